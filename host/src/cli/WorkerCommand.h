#pragma once

#include "cli/Command.h"

namespace tributary::cli {

// `tributary worker`: one worker process, as `serve` starts them. Internal: operators run
// `serve` (or `serve --role worker`), which supervises these.
class WorkerCommand : public Command {
 public:
  WorkerCommand();

 protected:
  void defineCommandOptions(Poco::Util::OptionSet& options) override;
  bool handleCommandOption(const std::string& name, const std::string& value) override;
  int execute(const std::vector<std::string>& args) override;
  bool logsAtConfiguredLevel() const override { return true; }

 private:
  int index_ = 0;
  bool once_ = false;
};

}  // namespace tributary::cli
