#include "engine/TargetTable.h"

namespace tributary::engine {

const std::string& StreamTarget::table() const {
  static const std::string records = "records";
  return entity ? entity->table : records;
}

namespace target {

bool hasLiveRows(db::Connection& conn, const StreamTarget& t) {
  return conn
      .exec("SELECT EXISTS (SELECT 1 FROM " + t.table() +
                " WHERE workspace_id = $1::uuid AND source = $2 AND stream = $3 AND deleted_at IS NULL)",
            t.workspaceId, t.source, t.stream)
      .boolean(0, 0);
}

bool emptyForSource(db::Connection& conn, const StreamTarget& t) {
  // A canonical table is keyed by (workspace, source, source id), whatever the stream: a row of
  // another stream of the same source would conflict too.
  const std::string streamCond = t.entity ? " AND $3::text IS NOT NULL" : " AND stream = $3";
  return conn
      .exec("SELECT NOT EXISTS (SELECT 1 FROM " + t.table() + " WHERE workspace_id = $1::uuid AND source = $2" +
                streamCond + ")",
            t.workspaceId, t.source, t.stream)
      .boolean(0, 0);
}

bool hasOpenRecordErrors(db::Connection& conn, const StreamTarget& t) {
  return conn
      .exec(
          "SELECT EXISTS (SELECT 1 FROM sync_record_errors WHERE connection_id = $1::uuid AND stream = $2"
          " AND resolved_at IS NULL)",
          t.connectionId, t.stream)
      .boolean(0, 0);
}

int64_t sweepUnseen(db::Connection& conn, const StreamTarget& t, const std::string& seenRunId,
                    const std::optional<std::string>& refreshStartedAt) {
  // Fresh statistics, so the anti-join below is planned for the set's real size.
  conn.execScript("ANALYZE sync_seen");
  return conn
      .exec("UPDATE " + t.table() +
                " t SET deleted_at = now(), updated_at = now() WHERE t.workspace_id = $1::uuid"
                " AND t.source = $2 AND t.stream = $3 AND t.deleted_at IS NULL AND t.updated_at < $5::timestamptz"
                " AND NOT EXISTS (SELECT 1 FROM sync_seen s WHERE s.run_id = $4::uuid"
                "  AND s.stream = $3 AND s.source_id = t.source_id)",
            t.workspaceId, t.source, t.stream, seenRunId, refreshStartedAt)
      .affected();
}

}  // namespace target
}  // namespace tributary::engine
