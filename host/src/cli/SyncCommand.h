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
  std::optional<std::string> api_;    // --api URL: through a serve's HTTP API, not the database
  std::optional<std::string> token_;  // --token, else TRIBUTARY_TOKEN
  // The --api form: POST .../sync, then (--follow) the job's server-sent events.
  int viaApi(const std::string& workspace);
};

}  // namespace tributary::cli
