#include "db/Migrator.h"

#include <algorithm>
#include <map>
#include <regex>
#include <stdexcept>

#include "common/Files.h"
#include "common/Hash.h"
#include "common/Log.h"

namespace tributary::db {

Migrator::Migrator(Connection& conn, std::filesystem::path dir) : conn_(conn), dir_(std::move(dir)) {}

std::vector<MigrationFile> Migrator::scan() const {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir_, ec)) {
    throw std::runtime_error("migrations directory " + dir_.string() + " does not exist (set --migrations-dir)");
  }
  static const std::regex kName(R"(^(\d{3,})_([A-Za-z0-9_]+)\.sql$)");
  std::vector<MigrationFile> files;
  std::map<int, std::string> seen;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    const std::string fname = entry.path().filename().string();
    if (entry.path().extension() != ".sql") continue;
    std::smatch m;
    if (!std::regex_match(fname, m, kName)) {
      throw std::runtime_error(entry.path().string() +
                               ": migration files are named NNN_name.sql (digits, underscore, "
                               "letters, digits or underscores)");
    }
    int version = std::stoi(m[1].str());
    if (auto it = seen.find(version); it != seen.end()) {
      throw std::runtime_error(entry.path().string() + ": version " + std::to_string(version) + " is also used by " +
                               it->second);
    }
    seen[version] = fname;
    MigrationFile f;
    f.version = version;
    f.name = fname.substr(0, fname.size() - 4);
    f.path = entry.path();
    f.checksum = hash::sha256Hex(files::readFile(entry.path()));
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(),
            [](const MigrationFile& a, const MigrationFile& b) { return a.version < b.version; });
  return files;
}

void Migrator::ensureTable() {
  conn_.execScript(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version integer PRIMARY KEY,"
      " name text NOT NULL,"
      " checksum text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
}

MigrationStatus Migrator::statusLocked(const std::vector<MigrationFile>& files) {
  MigrationStatus st;
  auto exists = conn_.exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
  std::map<int, AppliedMigration> applied;
  if (exists.boolean(0, 0)) {
    auto r = conn_.exec(
        "SELECT version, name, checksum, to_char(applied_at AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM schema_migrations ORDER BY version");
    for (int i = 0; i < r.rows(); ++i) {
      AppliedMigration a{static_cast<int>(r.int64(i, 0)), r.text(i, 1), r.text(i, 2), r.text(i, 3)};
      applied[a.version] = a;
      st.applied.push_back(a);
    }
  }
  std::map<int, const MigrationFile*> byVersion;
  for (const auto& f : files) {
    byVersion[f.version] = &f;
    auto it = applied.find(f.version);
    if (it == applied.end()) {
      st.pending.push_back(f);
    } else if (it->second.checksum != f.checksum) {
      st.problems.push_back("migration " + f.path.string() + " was changed after it was applied on " +
                            it->second.appliedAt + " (checksum " + it->second.checksum.substr(0, 12) +
                            " in the database, " + f.checksum.substr(0, 12) +
                            " on disk): restore the file; released migrations are never edited, "
                            "add a new one instead");
    }
  }
  for (const auto& [v, a] : applied) {
    if (!byVersion.count(v)) {
      st.problems.push_back("the database has migration " + a.name + " applied, which is not in " + dir_.string() +
                            ": this binary is older than the database schema");
    }
  }
  return st;
}

MigrationStatus Migrator::status() { return statusLocked(scan()); }

std::vector<MigrationFile> Migrator::apply() {
  auto files = scan();
  conn_.exec("SELECT pg_advisory_lock($1)", kAdvisoryLockKey);
  std::vector<MigrationFile> done;
  try {
    ensureTable();
    auto st = statusLocked(files);
    if (!st.problems.empty()) throw std::runtime_error(st.problems.front());
    for (const auto& f : st.pending) {
      const std::string sql = files::readFile(f.path);
      if (hash::sha256Hex(sql) != f.checksum) {
        throw std::runtime_error(f.path.string() + " changed while migrations were running");
      }
      Transaction tx(conn_);
      try {
        conn_.execScript(sql);
      } catch (const DbError& e) {
        throw DbError("migration " + f.path.string() + " failed: " + e.what(), e.sqlstate());
      }
      conn_.exec("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", f.version, f.name,
                 f.checksum);
      tx.commit();
      log::info("migrate", "applied {}", f.name);
      done.push_back(f);
    }
  } catch (...) {
    try {
      conn_.exec("SELECT pg_advisory_unlock($1)", kAdvisoryLockKey);
    } catch (...) {
    }
    throw;
  }
  conn_.exec("SELECT pg_advisory_unlock($1)", kAdvisoryLockKey);
  return done;
}

}  // namespace tributary::db
