#include "cli/ConfigCheckCommand.h"

#include <iostream>

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
  if (!r.ok()) {
    std::cout << r.diagnostics.format();
    std::cout << file.string() << ": " << r.diagnostics.size() << " problem(s)\n";
    return kFailure;
  }
  std::cout << file.string() << ": OK\n";
  return kOk;
}

}  // namespace tributary::cli
