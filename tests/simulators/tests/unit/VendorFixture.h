#pragma once

#include <memory>
#include <string>

#include "framework/Scenario.h"
#include "framework/SimClock.h"
#include "framework/VendorRegistry.h"
#include "framework/VendorRuntime.h"

namespace tributary::sim::testing {

// One vendor built from a scenario text, served through VendorRuntime::dispatch with a fake
// wall clock: the whole request path except the socket.
class VendorFixture {
 public:
  explicit VendorFixture(const std::string& scenarioYaml) {
    const Scenario scenario = Scenario::parse(scenarioYaml, "test.yaml", registeredVendorNames());
    clock = std::make_unique<SimClock>(scenario.clockStartMs);
    auto now = wallMs;
    WallClock wall = [now] { return *now; };
    const auto& [name, section] = scenario.vendors.front();
    VendorContext context{name, scenario.seed, *clock, wall, section};
    runtime = std::make_unique<VendorRuntime>(findVendor(name)->make(context), *clock, wall, 1000, scenario.seed);
    runtime->loadFaults(section.child("faults"));
  }

  SimResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                   const std::string& token = "") {
    std::map<std::string, std::string> headers;
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    return runtime->dispatch(SimRequest::make(method, target, body, headers));
  }
  nlohmann::json json(const SimResponse& response) { return nlohmann::json::parse(response.body); }

  std::shared_ptr<int64_t> wallMs = std::make_shared<int64_t>(1700000000000);
  std::unique_ptr<SimClock> clock;
  std::unique_ptr<VendorRuntime> runtime;
};

}  // namespace tributary::sim::testing
