#pragma once

#include "cli/Command.h"

namespace tributary::cli {

class ConfigCheckCommand : public Command {
 public:
  ConfigCheckCommand();

 protected:
  int execute(const std::vector<std::string>& args) override;
};

}  // namespace tributary::cli
