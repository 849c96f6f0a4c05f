#pragma once

#include <Poco/Util/Application.h>
#include <Poco/Util/OptionSet.h>
#include <signal.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/Config.h"
#include "db/DatabaseHandle.h"

namespace tributary::cli {

// Exit codes shared by every subcommand.
enum ExitCode { kOk = 0, kFailure = 1, kUsage = 2 };

// One subcommand of `tributary`: Poco::Util option handling plus what every subcommand shares
// (--help, --config, --migrations-dir, --log-level).
class Command : public Poco::Util::Application {
 public:
  Command(std::string name, std::string synopsis, std::string description);

 protected:
  // Subclasses add their own options here.
  virtual void defineCommandOptions(Poco::Util::OptionSet&) {}
  // Returns true when the option was theirs.
  virtual bool handleCommandOption(const std::string&, const std::string&) { return false; }
  virtual int execute(const std::vector<std::string>& args) = 0;
  // Long-running commands log at the configured level; one-shot commands only warnings and
  // errors unless --log-level says otherwise, so that their output is their answer.
  virtual bool logsAtConfiguredLevel() const { return false; }
  // Whether this command reads a configuration file at all.
  virtual bool needsConfig() const { return true; }

  // Loads --config (or the default); prints every problem and returns nullopt when invalid.
  std::optional<config::Config> loadConfig();
  // The database of a command other than serve and migrate: database.url, or the embedded
  // cluster of a running serve; never a cluster of its own. Refuses an unmigrated database with
  // the command that migrates it. Throws std::runtime_error with what to do.
  std::unique_ptr<db::DatabaseHandle> openDatabase(const config::Config& cfg);
  std::filesystem::path configPath() const;
  const std::string& commandName() const { return name_; }
  const std::optional<std::string>& logLevelOverride() const { return logLevel_; }

  void defineOptions(Poco::Util::OptionSet& options) override;
  void handleOption(const std::string& name, const std::string& value) override;
  int main(const std::vector<std::string>& args) override;
  void initialize(Poco::Util::Application&) override {}
  void uninitialize() override {}

 private:
  void printHelp() const;
  std::string name_, synopsis_, description_;
  bool help_ = false;
  std::optional<std::filesystem::path> configFile_;
  std::filesystem::path usedConfigFile_;  // named when the command fails
  std::optional<std::filesystem::path> migrationsDir_;
  std::optional<std::string> logLevel_;
};

// Blocks SIGINT, SIGTERM, SIGQUIT and SIGHUP in the calling thread (so in every thread it
// starts afterwards) and returns the set, for a long-running command to sigtimedwait on.
sigset_t blockStopSignals();

// Runs `tributary ARGS...`; returns the process exit code.
int runCli(int argc, char** argv);

}  // namespace tributary::cli
