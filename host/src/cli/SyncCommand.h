#pragma once

#include "cli/Command.h"
#include "common/SyncMode.h"

namespace tributary::cli {

// `tributary sync WORKSPACE`: enqueues syncs of one connection or all of a workspace's, as
// manual work; with --follow, shows each stream's progress until they end.
class SyncCommand : public Command {
 public:
  SyncCommand();

 protected:
  void defineCommandOptions(Poco::Util::OptionSet& options) override;
  bool handleCommandOption(const std::string& name, const std::string& value) override;
  int execute(const std::vector<std::string>& args) override;

 private:
  std::optional<std::string> connection_;
  sync::Requested mode_;  // none: auto
  std::optional<std::string> from_, to_;
  std::vector<std::string> streams_, ids_;
  bool dryRun_ = false;
  bool follow_ = false;
};

}  // namespace tributary::cli
