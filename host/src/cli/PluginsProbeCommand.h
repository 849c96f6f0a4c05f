#pragma once

#include <optional>

#include "cli/Command.h"

namespace tributary::cli {

// `tributary plugins probe PATH...`: loads plugins in this process (the file checks, dlopen,
// the ABI, the descriptor, one instance created and destroyed) and reports each as JSON. It is
// the child that serve, `plugins list`, `config check` and the workers run for every plugin
// file, so that a plugin that crashes or hangs while loading takes down only this process (see
// plugins/PluginProbe.h for the protocol). Reads no configuration.
class PluginsProbeCommand : public Command {
 public:
  PluginsProbeCommand();

 protected:
  bool needsConfig() const override { return false; }
  void defineCommandOptions(Poco::Util::OptionSet& options) override;
  bool handleCommandOption(const std::string& name, const std::string& value) override;
  int execute(const std::vector<std::string>& args) override;

 private:
  std::optional<std::string> outputFd_;
};

}  // namespace tributary::cli
