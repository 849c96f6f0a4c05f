#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "db/AdvisoryLocks.h"
#include "db/Connection.h"

namespace tributary::db {

struct MigrationFile {
  int version = 0;
  std::string name;  // "002_workspaces" without ".sql"
  std::filesystem::path path;
  std::string checksum;  // SHA-256 of the file's bytes
};

struct AppliedMigration {
  int version = 0;
  std::string name;
  std::string checksum;
  std::string appliedAt;
};

struct MigrationStatus {
  std::vector<AppliedMigration> applied;
  std::vector<MigrationFile> pending;
  // Problems that make the host refuse to start: a changed file, an unknown applied version.
  std::vector<std::string> problems;
  bool current() const { return pending.empty() && problems.empty(); }
};

// Applies migrations/NNN_name.sql in order, each in its own transaction, under an advisory lock
// so that hosts starting together apply each one exactly once.
class Migrator {
 public:
  Migrator(Connection& conn, std::filesystem::path dir);

  // Reads the directory; throws std::runtime_error naming a badly named or duplicate file.
  std::vector<MigrationFile> scan() const;
  MigrationStatus status();
  // Applies what is pending; returns the versions applied. Throws when status() has problems.
  std::vector<MigrationFile> apply();

  static constexpr int64_t kAdvisoryLockKey = advisory::kMigrations;

 private:
  void ensureTable();
  MigrationStatus statusLocked(const std::vector<MigrationFile>& files);
  Connection& conn_;
  std::filesystem::path dir_;
};

}  // namespace tributary::db
