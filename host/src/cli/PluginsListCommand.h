#pragma once

#include <optional>

#include "cli/Command.h"

namespace tributary::cli {

// `tributary plugins list`: every plugin found in the plugin dirs, loaded or refused, each
// probed in a child process. Needs no database, and no connection's settings or secrets.
class PluginsListCommand : public Command {
 public:
  PluginsListCommand();

 protected:
  void defineCommandOptions(Poco::Util::OptionSet& options) override;
  bool handleCommandOption(const std::string& name, const std::string& value) override;
  int execute(const std::vector<std::string>& args) override;

 private:
  // The configuration, less its workspaces and connections: their problems (an unset ${ENV}
  // secret) are `config check`'s and serve's to report. A missing file gives the defaults.
  std::optional<config::Config> loadPluginSettings();
  bool json_ = false;
};

}  // namespace tributary::cli
