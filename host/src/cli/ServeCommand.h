#pragma once

#include "app/Host.h"
#include "cli/Command.h"

namespace tributary::cli {

class ServeCommand : public Command {
 public:
  ServeCommand();

 protected:
  void defineCommandOptions(Poco::Util::OptionSet& options) override;
  bool handleCommandOption(const std::string& name, const std::string& value) override;
  int execute(const std::vector<std::string>& args) override;
  bool logsAtConfiguredLevel() const override { return true; }

 private:
  app::HostOptions hostOptions_;
};

}  // namespace tributary::cli
