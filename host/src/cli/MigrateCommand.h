#pragma once

#include "cli/Command.h"

namespace tributary::cli {

class MigrateCommand : public Command {
 public:
  MigrateCommand();

 protected:
  void defineCommandOptions(Poco::Util::OptionSet& options) override;
  bool handleCommandOption(const std::string& name, const std::string& value) override;
  int execute(const std::vector<std::string>& args) override;

 private:
  bool statusOnly_ = false;
};

}  // namespace tributary::cli
