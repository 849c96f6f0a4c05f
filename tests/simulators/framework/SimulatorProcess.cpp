#include "SimulatorProcess.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "VendorRegistry.h"

namespace tributary::sim {

SimulatorProcess::SimulatorProcess(Options options) : options_(std::move(options)) {}

SimulatorProcess::~SimulatorProcess() { stop(); }

void SimulatorProcess::start() {
  const Scenario scenario = Scenario::load(options_.scenarioPath, registeredVendorNames());
  clock_ = std::make_unique<SimClock>(scenario.clockStartMs);
  const WallClock wall = systemWallClock();
  for (const auto& [name, section] : scenario.vendors) {
    VendorContext context{name, scenario.seed, *clock_, wall, section};
    auto vendor = findVendor(name)->make(context);
    auto runtime =
        std::make_unique<VendorRuntime>(std::move(vendor), *clock_, wall, scenario.requestLogCapacity, scenario.seed);
    runtime->loadFaults(section.child("faults"));
    vendors_.push_back(std::move(runtime));
  }
  std::vector<VendorRuntime*> runtimes;
  for (auto& runtime : vendors_) runtimes.push_back(runtime.get());
  globalAdmin_ = std::make_unique<GlobalAdminApi>(*clock_, runtimes);

  // With a fixed --port N: admin on N, vendors on N+1, N+2, ... in scenario order.
  auto portFor = [&](size_t slot) -> uint16_t {
    return options_.port == 0 ? 0 : static_cast<uint16_t>(options_.port + slot);
  };
  GlobalAdminApi* admin = globalAdmin_.get();
  adminListener_ = std::make_unique<HttpListener>(
      options_.bindAddress, portFor(0), 2, [admin](const SimRequest& request) { return admin->dispatch(request); });
  adminListener_->start();
  for (size_t i = 0; i < vendors_.size(); ++i) {
    VendorRuntime* runtime = vendors_[i].get();
    listeners_.push_back(
        std::make_unique<HttpListener>(options_.bindAddress, portFor(i + 1), scenario.serverThreads,
                                       [runtime](const SimRequest& request) { return runtime->dispatch(request); }));
    listeners_.back()->start();
  }
}

void SimulatorProcess::stop() {
  for (auto& listener : listeners_) listener->stop();
  if (adminListener_) adminListener_->stop();
}

nlohmann::json SimulatorProcess::readyDocument() const {
  nlohmann::json vendors = nlohmann::json::object();
  for (size_t i = 0; i < vendors_.size(); ++i) {
    const std::string base = listeners_[i]->baseUrl();
    nlohmann::json entry = {{"base_url", base}, {"admin_url", base + "/admin"}};
    entry.update(vendors_[i]->vendor().readyInfo(base));
    vendors[vendors_[i]->vendor().name()] = entry;
  }
  return {{"pid", static_cast<int64_t>(::getpid())},
          {"admin_url", adminListener_->baseUrl()},
          {"clock_start_ms", clock_->startMs()},
          {"vendors", vendors}};
}

void SimulatorProcess::writeReadyFile() const {
  if (options_.readyFile.empty()) return;
  const std::string temp = options_.readyFile + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write the ready file " + temp);
    out << readyDocument().dump() << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write the ready file " + temp);
  }
  if (std::rename(temp.c_str(), options_.readyFile.c_str()) != 0) {
    throw std::runtime_error("cannot rename " + temp + " to " + options_.readyFile);
  }
}

}  // namespace tributary::sim
