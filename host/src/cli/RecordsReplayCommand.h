#pragma once

#include "cli/Command.h"

namespace tributary::cli {

// `tributary records replay WORKSPACE`: re-reads the records that failed (sync_record_errors)
// from their source, by id, as backfill jobs; each one stored resolves its error.
class RecordsReplayCommand : public Command {
 public:
  RecordsReplayCommand();

 protected:
  void defineCommandOptions(Poco::Util::OptionSet& options) override;
  bool handleCommandOption(const std::string& name, const std::string& value) override;
  int execute(const std::vector<std::string>& args) override;

 private:
  std::optional<std::string> connection_;
  std::optional<std::string> stream_;
  bool list_ = false;
};

}  // namespace tributary::cli
