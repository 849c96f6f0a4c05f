#pragma once

// What the scheduler's integration tests share: a migrated database of their own, and rows of
// workspaces, connections and jobs written directly, as the YAML sync and the workers would.

#include <string>

#include "TestSupport.h"
#include "db/Connection.h"
#include "db/Migrator.h"

namespace tributary::test {

class SchedulerDatabase {
 public:
  SchedulerDatabase() : conn_(db_.conninfo()) { db::Migrator(conn_, migrationsDir()).apply(); }

  const std::string& conninfo() const { return db_.conninfo(); }
  db::Connection& sql() { return conn_; }

  std::string addWorkspace(const std::string& slug) {
    return conn_.exec("INSERT INTO workspaces (slug, name) VALUES ($1, $1) RETURNING id::text", slug).text(0, 0);
  }

  // A connection with a schedule (null for none) and, optionally, its zone and misfire policy.
  std::string addConnection(const std::string& workspaceId, const std::string& name,
                            const std::optional<std::string>& schedule,
                            const std::optional<std::string>& zone = std::nullopt,
                            const std::optional<std::string>& misfire = std::nullopt) {
    return conn_
        .exec(
            "INSERT INTO connections (workspace_id, name, connector, schedule, schedule_timezone, "
            "misfire) VALUES ($1, $2, 'tributary.example', $3, $4, $5) RETURNING id::text",
            workspaceId, name, schedule, zone, misfire)
        .text(0, 0);
  }

  // A sync job for the connection in `status`, as a manual sync or a worker would leave it.
  std::string addSyncJob(const std::string& workspaceId, const std::string& connectionId, const std::string& status) {
    return conn_
        .exec(
            "INSERT INTO jobs (kind, workspace_id, connection_id, status, timeout_ms, payload) "
            "VALUES ('sync', $1, $2, $3, 60000, '{\"sync_type\":\"manual\"}') RETURNING id::text",
            workspaceId, connectionId, status)
        .text(0, 0);
  }

  int64_t count(const std::string& sql) { return conn_.exec(sql).int64(0, 0); }

  int64_t scheduledJobs(const std::string& connectionId) {
    return conn_
        .exec(
            "SELECT count(*) FROM jobs WHERE connection_id = $1 "
            "AND payload->>'sync_type' = 'scheduled'",
            connectionId)
        .int64(0, 0);
  }

  // What a worker does when the job is done, so the next slot does not find it busy.
  void completeSyncJobs() {
    conn_.exec(
        "UPDATE jobs SET status = 'completed', completed_at = now() "
        "WHERE kind = 'sync' AND status IN ('pending', 'running')");
  }

 private:
  TestDatabase db_;
  db::Connection conn_;
};

}  // namespace tributary::test
