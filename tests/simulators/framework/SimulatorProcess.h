#pragma once

#include <memory>
#include <string>
#include <vector>

#include "GlobalAdminApi.h"
#include "HttpListener.h"
#include "Scenario.h"
#include "SimClock.h"
#include "VendorRuntime.h"

namespace tributary::sim {

// The whole simulator: builds the vendors a scenario names, serves each on its own listener
// plus one global admin listener, and describes them in the ready file.
class SimulatorProcess {
 public:
  struct Options {
    std::string scenarioPath;
    std::string bindAddress = "127.0.0.1";
    uint16_t port = 0;
    std::string readyFile;
  };

  explicit SimulatorProcess(Options options);
  ~SimulatorProcess();

  // Throws ConfigError for scenario problems.
  void start();
  void stop();
  // The ready-file document (after start()).
  nlohmann::json readyDocument() const;
  // Writes it to a temporary file and renames it into place, so readers never see half.
  void writeReadyFile() const;

 private:
  Options options_;
  std::unique_ptr<SimClock> clock_;
  std::vector<std::unique_ptr<VendorRuntime>> vendors_;
  std::vector<std::unique_ptr<HttpListener>> listeners_;
  std::unique_ptr<GlobalAdminApi> globalAdmin_;
  std::unique_ptr<HttpListener> adminListener_;
};

}  // namespace tributary::sim
