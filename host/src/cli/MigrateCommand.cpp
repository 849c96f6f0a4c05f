#include "cli/MigrateCommand.h"

#include <Poco/Util/Option.h>

#include <iostream>

#include "db/Connection.h"
#include "db/DatabaseHandle.h"
#include "db/Migrator.h"

namespace tributary::cli {

MigrateCommand::MigrateCommand()
    : Command("migrate", "[--status]",
              "Applies pending database migrations in order, each in its own transaction, under "
              "an advisory lock. With --status, lists applied and pending migrations and "
              "changes nothing.") {}

void MigrateCommand::defineCommandOptions(Poco::Util::OptionSet& options) {
  options.addOption(
      Poco::Util::Option("status", "", "list applied and pending migrations").required(false).repeatable(false));
}

bool MigrateCommand::handleCommandOption(const std::string& name, const std::string&) {
  if (name == "status") statusOnly_ = true;
  return name == "status";
}

int MigrateCommand::execute(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "tributary migrate: unexpected argument " << args[0] << "\n";
    return kUsage;
  }
  auto cfg = loadConfig();
  if (!cfg) return kFailure;
  auto handle = db::DatabaseHandle::open(*cfg, db::DatabaseHandle::Mode::OwnOrAttach, "migrate");
  db::Connection conn(handle->conninfo());
  db::Migrator migrator(conn, cfg->migrationsDir);
  if (statusOnly_) {
    auto st = migrator.status();
    for (const auto& a : st.applied) {
      std::cout << "applied  " << a.name << "  " << a.appliedAt << "\n";
    }
    for (const auto& p : st.pending) std::cout << "pending  " << p.name << "\n";
    for (const auto& problem : st.problems) std::cout << "problem  " << problem << "\n";
    std::cout << st.applied.size() << " applied, " << st.pending.size() << " pending\n";
    return st.problems.empty() ? kOk : kFailure;
  }
  auto applied = migrator.apply();
  std::cout << (applied.empty() ? "nothing to apply: the database is current\n"
                                : "applied " + std::to_string(applied.size()) + " migration(s)\n");
  return kOk;
}

}  // namespace tributary::cli
