#pragma once

#include "cli/Command.h"

namespace tributary::cli {

class VersionCommand : public Command {
 public:
  VersionCommand();

 protected:
  bool needsConfig() const override { return false; }
  int execute(const std::vector<std::string>& args) override;
};

}  // namespace tributary::cli
