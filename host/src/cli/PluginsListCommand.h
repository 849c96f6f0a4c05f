#pragma once

#include "cli/Command.h"

namespace tributary::cli {

// `tributary plugins list`: every plugin found in the plugin dirs, loaded or refused. Needs no
// database.
class PluginsListCommand : public Command {
 public:
  PluginsListCommand();

 protected:
  void defineCommandOptions(Poco::Util::OptionSet& options) override;
  bool handleCommandOption(const std::string& name, const std::string& value) override;
  int execute(const std::vector<std::string>& args) override;

 private:
  bool json_ = false;
};

}  // namespace tributary::cli
