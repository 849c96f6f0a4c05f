// tributary-sim: local simulators of the SaaS vendors Tributary syncs from.
// Usage: tributary-sim --scenario FILE [--port 0] [--ready-file PATH] [--bind 127.0.0.1]
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <Poco/Exception.h>

#include "framework/ConfigError.h"
#include "framework/SimulatorProcess.h"

namespace {

const char* const kUsage =
    "usage: tributary-sim --scenario FILE [--port N] [--ready-file PATH] [--bind ADDRESS]\n"
    "  --scenario FILE    YAML or JSON scenario (see docs/simulators.md)\n"
    "  --port N           0 (default) gives every listener an ephemeral port; N puts the\n"
    "                     global admin on N and the vendors on N+1, N+2, ... in scenario order\n"
    "  --ready-file PATH  written atomically with every URL once all listeners are up\n"
    "  --bind ADDRESS     listen address (default 127.0.0.1)\n";

int usageError(const std::string& message) {
  std::cerr << "tributary-sim: " << message << "\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  tributary::sim::SimulatorProcess::Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)name;
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--scenario") {
      const char* v = value("--scenario");
      if (!v) return usageError("--scenario needs a file");
      options.scenarioPath = v;
    } else if (arg == "--ready-file") {
      const char* v = value("--ready-file");
      if (!v) return usageError("--ready-file needs a path");
      options.readyFile = v;
    } else if (arg == "--bind") {
      const char* v = value("--bind");
      if (!v) return usageError("--bind needs an address");
      options.bindAddress = v;
    } else if (arg == "--port") {
      const char* v = value("--port");
      if (!v) return usageError("--port needs a number");
      char* end = nullptr;
      const long port = std::strtol(v, &end, 10);
      if (*end != '\0' || port < 0 || port > 65000) {
        return usageError(std::string("--port: expected 0..65000, got '") + v + "'");
      }
      options.port = static_cast<uint16_t>(port);
    } else {
      return usageError("unknown argument '" + arg + "'");
    }
  }
  if (options.scenarioPath.empty()) return usageError("--scenario is required");

  // Block the stop signals before any server thread starts, so only sigwait below sees them.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  tributary::sim::SimulatorProcess simulator(options);
  try {
    simulator.start();
    simulator.writeReadyFile();
  } catch (const tributary::sim::ConfigError& error) {
    std::cerr << "tributary-sim: " << error.what() << "\n";
    return 2;
  } catch (const Poco::Exception& error) {
    std::cerr << "tributary-sim: cannot start: " << error.displayText() << "\n";
    return 1;
  } catch (const std::exception& error) {
    std::cerr << "tributary-sim: cannot start: " << error.what() << "\n";
    return 1;
  }
  std::cerr << "tributary-sim: ready " << simulator.readyDocument().dump() << "\n";
  int received = 0;
  sigwait(&stopSignals, &received);
  std::cerr << "tributary-sim: " << (received == SIGINT ? "SIGINT" : "SIGTERM") << ", stopping\n";
  simulator.stop();
  if (!options.readyFile.empty()) std::remove(options.readyFile.c_str());
  return 0;
}
