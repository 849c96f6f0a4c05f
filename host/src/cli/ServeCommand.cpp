#include "cli/ServeCommand.h"

#include <Poco/Util/Option.h>
#include <signal.h>

#include <iostream>

#include "common/Log.h"
#include "common/Process.h"

namespace tributary::cli {

using Poco::Util::Option;

ServeCommand::ServeCommand()
    : Command("serve", "[--port N] [--bind ADDR] [--role all|worker] [--apply-config] [--ready-file PATH]",
              "Runs the Tributary host in the foreground: the HTTP API, the scheduler and the "
              "workers, on the configured database (or the embedded one). Stops cleanly on "
              "SIGINT (Ctrl-C) or SIGTERM. At start it applies its workspaces and connections to the "
              "database when it is the first host there, when no other host runs with another "
              "configuration, or with --apply-config; otherwise a file that differs from the applied "
              "one changes nothing and is reported in the log and in /ready (docs/operators.md).") {}

void ServeCommand::defineCommandOptions(Poco::Util::OptionSet& options) {
  options.addOption(Option("port", "p", "listen on this port instead of server.port (0: any free port)")
                        .required(false)
                        .repeatable(false)
                        .argument("N"));
  options.addOption(Option("bind", "", "listen on this address instead of server.bind")
                        .required(false)
                        .repeatable(false)
                        .argument("ADDR"));
  options.addOption(Option("role", "", "all (default): API, scheduler and workers; worker: workers only")
                        .required(false)
                        .repeatable(false)
                        .argument("ROLE"));
  options.addOption(Option("apply-config", "",
                           "apply this file's workspaces and connections even when other running hosts have "
                           "another configuration (role all only)")
                        .required(false)
                        .repeatable(false));
  options.addOption(Option("ready-file", "", "once serving, write the bound ports here as JSON")
                        .required(false)
                        .repeatable(false)
                        .argument("PATH"));
}

bool ServeCommand::handleCommandOption(const std::string& name, const std::string& value) {
  if (name == "port") {
    int port = -1;
    try {
      port = std::stoi(value);
    } catch (...) {
    }
    if (port < 0 || port > 65535) throw Poco::InvalidArgumentException("--port must be 0..65535", value);
    hostOptions_.port = port;
  } else if (name == "bind") {
    hostOptions_.bind = value;
  } else if (name == "role") {
    if (value != "all" && value != "worker") {
      throw Poco::InvalidArgumentException("--role must be all or worker", value);
    }
    hostOptions_.role = value;
  } else if (name == "apply-config") {
    hostOptions_.applyConfig = true;
  } else if (name == "ready-file") {
    hostOptions_.readyFile = std::filesystem::absolute(value);
  } else {
    return false;
  }
  return true;
}

int ServeCommand::execute(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "tributary serve: unexpected argument " << args[0] << "\n";
    return kUsage;
  }
  if (hostOptions_.applyConfig && hostOptions_.role == "worker") {
    std::cerr << "tributary serve: --apply-config goes with --role all: a worker host never applies the "
                 "configuration\n";
    return kUsage;
  }
  // Block the stop signals before any thread starts, so that every thread inherits the mask and
  // only the sigtimedwait below receives them.
  sigset_t stopSignals = blockStopSignals();

  auto cfg = loadConfig();
  if (!cfg) return kFailure;
  hostOptions_.logLevel = logLevelOverride().value_or("");
  app::Host host(*cfg, hostOptions_);
  try {
    host.start();
  } catch (const std::exception& e) {
    log::error("serve", "cannot start: {}", e.what());
    host.stop();
    return kFailure;
  }
  if (hostOptions_.role == "worker") {
    log::info("serve", "running workers only (pid {}); stop with Ctrl-C or kill -TERM {}", ::getpid(), ::getpid());
  } else {
    log::info("serve", "API listening on {} (pid {}); stop with Ctrl-C or kill -TERM {}", host.apiUrl(), ::getpid(),
              ::getpid());
  }

  int exitCode = kOk;
  while (true) {
    struct timespec tick {
      0, 500'000'000
    };
    int sig = sigtimedwait(&stopSignals, nullptr, &tick);
    if (sig > 0) {
      log::info("serve", "received {}; shutting down", process::signalName(sig));
      break;
    }
    std::string fatal = host.checkHealth();
    if (!fatal.empty()) {
      log::error("serve", "{}; shutting down", fatal);
      exitCode = kFailure;
      break;
    }
  }
  host.stop();
  return exitCode;
}

}  // namespace tributary::cli
