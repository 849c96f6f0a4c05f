#include "cli/ConfigCheckCommand.h"

#include <iostream>

#include "app/ConnectionValidator.h"
#include "common/Log.h"
#include "config/ConfigLoader.h"

namespace tributary::cli {

ConfigCheckCommand::ConfigCheckCommand()
    : Command("config check", "[FILE]",
              "Validates a configuration file and prints every problem as "
              "FILE:LINE:COLUMN: key.path: message. Exits 1 when there is any.") {}

int ConfigCheckCommand::execute(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    std::cerr << "tributary config check: takes at most one FILE\n";
    return kUsage;
  }
  auto file = args.empty() ? configPath() : std::filesystem::absolute(args[0]);
  config::ConfigLoader loader;
  auto r = loader.loadFile(file);
  if (r.ok() && !r.config.connections.empty()) {
    // Settings are checked against what each connector declares, so the plugins are loaded.
    auto registry = app::probePlugins(r.config, /*quiet=*/true);
    app::validateConnections(r.config, registry, r.diagnostics);
  }
  // A warning, not a problem: serve starts without the dir too, and a connection whose plugin
  // is missing because of it is a problem above.
  for (size_t i = 0; i < r.config.plugins.dirs.size(); ++i) {
    std::error_code ec;
    if (std::filesystem::is_directory(r.config.plugins.dirs[i], ec)) continue;
    std::cout << file.string() << ": plugins.dirs[" << i
              << "]: warning: " << plugins::PluginRegistry::missingDirMessage(r.config.plugins.dirs[i]) << "\n";
  }
  if (!r.ok()) {
    std::cout << r.diagnostics.format();
    std::cout << file.string() << ": " << r.diagnostics.size() << " problem(s)\n";
    return kFailure;
  }
  std::cout << file.string() << ": OK (" << r.config.workspaces.size() << " workspace(s), "
            << r.config.connections.size() << " connection(s))\n";
  return kOk;
}

}  // namespace tributary::cli
