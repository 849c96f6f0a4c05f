#pragma once

#include "cli/Command.h"

namespace tributary::cli {

// `tributary jobs list|show|retry|cancel`: the queue, for operators.
class JobsCommand : public Command {
 public:
  enum class Action { List, Show, Retry, Cancel };
  explicit JobsCommand(Action action);

 protected:
  void defineCommandOptions(Poco::Util::OptionSet& options) override;
  bool handleCommandOption(const std::string& name, const std::string& value) override;
  int execute(const std::vector<std::string>& args) override;

 private:
  Action action_;
  std::vector<std::string> statuses_;
  std::optional<std::string> kind_;
  std::optional<std::string> workspace_;
  int limit_ = 50;
  bool json_ = false;
};

}  // namespace tributary::cli
