#pragma once

#include "cli/Command.h"

namespace tributary::cli {

// `tributary connections discover|streams WORKSPACE CONNECTION`: a connection's streams. discover
// queues a `discover` job (a worker runs the plugin's discover hook and stores what it finds);
// streams prints what is stored. Neither loads plugin code.
class ConnectionsCommand : public Command {
 public:
  enum class Action { Discover, Streams };
  explicit ConnectionsCommand(Action action);

 protected:
  void defineCommandOptions(Poco::Util::OptionSet& options) override;
  bool handleCommandOption(const std::string& name, const std::string& value) override;
  int execute(const std::vector<std::string>& args) override;

 private:
  Action action_;
  bool wait_ = false;
  bool json_ = false;
};

}  // namespace tributary::cli
