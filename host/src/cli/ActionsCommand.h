#pragma once

#include <optional>
#include <string>

#include "cli/Command.h"

namespace tributary::cli {

// `tributary actions run WORKSPACE CONNECTION ACTION [--body JSON] [--wait]` queues a connector's
// action (write-back) as an `action` job, its body checked against the action's declared fields
// first; --wait follows the job and prints its result. `tributary actions list [WORKSPACE
// CONNECTION] [--json]` lists the actions and their body fields. Both learn the connectors'
// actions from the plugins probed in child processes: no plugin code runs in the CLI.
class ActionsCommand : public Command {
 public:
  enum class Verb { Run, List };
  explicit ActionsCommand(Verb verb);

 protected:
  void defineCommandOptions(Poco::Util::OptionSet& options) override;
  bool handleCommandOption(const std::string& name, const std::string& value) override;
  int execute(const std::vector<std::string>& args) override;

 private:
  int runAction(const std::vector<std::string>& args);
  int listActions(const std::vector<std::string>& args);

  Verb verb_;
  std::optional<std::string> body_;
  bool wait_ = false;
  bool json_ = false;
};

}  // namespace tributary::cli
