#include "cli/VersionCommand.h"

#include <iostream>

#include "tributary/connector_abi.h"

namespace tributary::cli {

VersionCommand::VersionCommand()
    : Command("version", "", "Prints the version of tributary and of the plugin ABI it speaks.") {}

int VersionCommand::execute(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "tributary version: takes no arguments\n";
    return kUsage;
  }
  std::cout << "tributary " << TRIBUTARY_VERSION << " (connector ABI " << TRIBUTARY_ABI_VERSION_MAJOR << "."
            << TRIBUTARY_ABI_VERSION_MINOR << ")\n";
  return kOk;
}

}  // namespace tributary::cli
