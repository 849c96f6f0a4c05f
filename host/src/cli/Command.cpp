#include "cli/Command.h"

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>

#include <iostream>

#include "common/Log.h"
#include "config/ConfigLoader.h"
#include "config/Paths.h"
#include "db/Connection.h"
#include "db/Migrator.h"

namespace tributary::cli {

using Poco::Util::Option;

Command::Command(std::string name, std::string synopsis, std::string description)
    : name_(std::move(name)), synopsis_(std::move(synopsis)), description_(std::move(description)) {
  setUnixOptions(true);
}

void Command::defineOptions(Poco::Util::OptionSet& options) {
  options.addOption(Option("help", "h", "show this help and exit").required(false).repeatable(false));
  if (needsConfig()) {
    options.addOption(Option("config", "c",
                             "configuration file (default: ./config/tributary.yaml when it exists, "
                             "else /etc/tributary/tributary.yaml)")
                          .required(false)
                          .repeatable(false)
                          .argument("FILE"));
    options.addOption(Option("migrations-dir", "", "where migrations are read from")
                          .required(false)
                          .repeatable(false)
                          .argument("DIR"));
    options.addOption(Option("log-level", "", "trace, debug, info, warn or error (overrides logging.level)")
                          .required(false)
                          .repeatable(false)
                          .argument("LEVEL"));
  }
  defineCommandOptions(options);
}

void Command::handleOption(const std::string& name, const std::string& value) {
  Poco::Util::Application::handleOption(name, value);
  if (name == "help") {
    help_ = true;
    stopOptionsProcessing();
  } else if (name == "config") {
    configFile_ = value;
  } else if (name == "migrations-dir") {
    migrationsDir_ = value;
  } else if (name == "log-level") {
    log::Level l;
    if (!log::parseLevel(value, l)) throw Poco::InvalidArgumentException("--log-level", value);
    logLevel_ = value;
  } else {
    handleCommandOption(name, value);
  }
}

void Command::printHelp() const {
  Poco::Util::HelpFormatter help(options());
  help.setUnixStyle(true);
  help.setCommand("tributary " + name_);
  help.setUsage(synopsis_);
  help.setHeader(description_);
  help.setIndent(4);
  help.format(std::cout);
}

std::filesystem::path Command::configPath() const {
  return configFile_ ? std::filesystem::absolute(*configFile_) : config::defaultConfigFile();
}

std::optional<config::Config> Command::loadConfig() {
  config::ConfigLoader loader;
  usedConfigFile_ = configPath();
  auto r = loader.loadFile(usedConfigFile_);
  if (!r.ok()) {
    std::cerr << r.diagnostics.format();
    std::error_code ec;
    if (!configFile_ && !std::filesystem::exists(usedConfigFile_, ec)) {
      std::cerr << "tributary " << name_ << ": no --config was given and there is no ./config/tributary.yaml here, "
                << "so tributary looked for " << usedConfigFile_.string() << ": pass --config FILE\n";
    }
    std::cerr << "tributary " << name_ << ": " << r.diagnostics.size()
              << " problem(s) in the configuration; nothing was started\n";
    return std::nullopt;
  }
  if (migrationsDir_) r.config.migrationsDir = std::filesystem::absolute(*migrationsDir_);
  if (logLevel_) {
    log::parseLevel(*logLevel_, r.config.logging.level);
  } else if (!logsAtConfiguredLevel() && r.config.logging.level < log::Level::Warn) {
    r.config.logging.level = log::Level::Warn;
  }
  log::configure(r.config.logging.level, r.config.logging.format);
  return r.config;
}

std::unique_ptr<db::DatabaseHandle> Command::openDatabase(const config::Config& cfg) {
  auto handle = db::DatabaseHandle::open(cfg, db::DatabaseHandle::Mode::Attach, name_);
  const std::string migrate =
      "`tributary migrate" + (cfg.file.empty() ? std::string() : " --config " + cfg.file.string()) + "`";
  db::Connection conn(handle->conninfo());
  const std::string where = db::describeConninfo(handle->conninfo());
  const std::runtime_error neverMigrated("the " + where + " has no Tributary tables: it was never migrated. Run " +
                                         migrate + " (serve also migrates when it starts)");
  db::MigrationStatus st;
  try {
    st = db::Migrator(conn, cfg.migrationsDir).status();
  } catch (const db::DbError&) {
    throw;
  } catch (const std::exception&) {
    // No migrations to compare with (an odd install): at least the tables must be there.
    if (!conn.exec("SELECT to_regclass('schema_migrations') IS NOT NULL").boolean(0, 0)) throw neverMigrated;
    return handle;
  }
  if (st.applied.empty()) throw neverMigrated;
  if (!st.pending.empty()) {
    throw std::runtime_error("the " + where +
                             " is not migrated for this tributary: " + std::to_string(st.pending.size()) +
                             " migration(s) pending, first " + st.pending.front().name + ". Run " + migrate);
  }
  for (const auto& problem : st.problems) std::cerr << "tributary " << name_ << ": warning: " << problem << "\n";
  return handle;
}

sigset_t blockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGQUIT, SIGHUP}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int Command::main(const std::vector<std::string>& args) {
  if (help_) {
    printHelp();
    return kOk;
  }
  if (logLevel_) {
    log::Level l = log::Level::Info;
    log::parseLevel(*logLevel_, l);
    log::configure(l, log::Format::Text);
  }
  try {
    return execute(args);
  } catch (const std::exception& e) {
    const std::string message = e.what();
    std::cerr << "tributary " << name_ << ": " << message << "\n";
    if (!usedConfigFile_.empty() && message.find(usedConfigFile_.string()) == std::string::npos) {
      std::cerr << "tributary " << name_ << ": (with the configuration " << usedConfigFile_.string() << ")\n";
    }
    return kFailure;
  }
}

}  // namespace tributary::cli
