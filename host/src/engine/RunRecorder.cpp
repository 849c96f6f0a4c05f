#include "engine/RunRecorder.h"

#include "common/Log.h"
#include "common/Time.h"
#include "db/PgArray.h"
#include "engine/Outbox.h"

namespace tributary::engine {

RunRecorder::RunRecorder(db::Pool& pool, RunSubject subject, RunFence& fence)
    : pool_(pool), s_(std::move(subject)), fence_(fence) {}

void RunRecorder::open(sync::Mode mode, const std::string& syncType, const Json& streamNames, const RunStats& stats) {
  auto conn = pool_.acquire();
  db::Transaction tx(*conn);
  auto existing =
      conn->exec("SELECT id FROM sync_runs WHERE job_id = $1::uuid ORDER BY started_at DESC LIMIT 1", s_.jobId);
  if (!existing.empty()) {
    runId_ = existing.text(0, 0);
    conn->exec(
        "UPDATE sync_runs SET status = 'running', completed_at = NULL, mode = $2, metadata = metadata || $3::jsonb"
        " WHERE id = $1::uuid",
        runId_, sync::toString(mode), Json{{"attempt", s_.attempt}});
  } else {
    auto r = conn->exec(
        "INSERT INTO sync_runs (workspace_id, connection_id, connector, job_id, mode, sync_type, status, metadata)"
        " VALUES ($1::uuid, $2::uuid, $3, $4::uuid, $5, $6, 'running', $7::jsonb) RETURNING id",
        s_.workspaceId, s_.connectionId, s_.connector, s_.jobId, sync::toString(mode),
        syncType == "scheduled" || syncType == "backfill" ? syncType : std::string("manual"),
        Json{{"attempt", s_.attempt}, {"streams", stats.streams}});
    runId_ = r.text(0, 0);
  }
  conn->exec("UPDATE connections SET status = 'syncing', updated_at = now() WHERE id = $1::uuid", s_.connectionId);
  outbox::emit(*conn, EventScope::connection(s_.workspaceId, s_.connectionId).run(runId_, s_.jobId), "sync.started",
               Json{{"run_id", runId_},
                    {"job_id", s_.jobId},
                    {"workspace", s_.workspaceSlug},
                    {"connection", s_.connectionName},
                    {"connector", s_.connector},
                    {"mode", sync::toString(mode)},
                    {"sync_type", syncType},
                    {"streams", streamNames},
                    {"attempt", s_.attempt}});
  fence_.check(*conn);
  tx.commit();
}

void RunRecorder::progress(const RunStats& stats) {
  if (!opened() || fence_.lost()) return;
  try {
    auto conn = pool_.acquire();
    db::Transaction tx(*conn);
    Json meta = {{"progress", stats.progress},
                 {"streams", stats.streams},
                 {"http_calls", stats.httpCalls},
                 {"http_429s", stats.http429s}};
    conn->exec("UPDATE sync_runs SET metadata = metadata || $2::jsonb WHERE id = $1::uuid", runId_, meta);
    outbox::emit(*conn, EventScope::connection(s_.workspaceId, s_.connectionId).run(runId_, s_.jobId), "sync.progress",
                 Json{{"run_id", runId_},
                      {"connection", s_.connectionName},
                      {"progress", stats.progress},
                      {"streams", stats.streams}});
    fence_.check(*conn);
    tx.commit();
  } catch (const std::exception& e) {
    log::warn("engine", "writing the progress of run {} failed: {}", runId_, e.what());
  }
}

void RunRecorder::failed(const std::string& status, const std::string& error, bool connectionError, int64_t durationMs,
                         const RunStats& stats) {
  if (!opened() || fence_.lost()) return;  // a run that lost its job reports nothing over its successor
  try {
    auto conn = pool_.acquire();
    db::Transaction tx(*conn);
    conn->exec(
        "UPDATE sync_runs SET status = $2, completed_at = now(), duration_ms = $3,"
        " errors = errors || jsonb_build_array($4::text), metadata = metadata || $5::jsonb WHERE id = $1::uuid",
        runId_, status, durationMs, error,
        Json{{"streams", stats.streams}, {"http_calls", stats.httpCalls}, {"http_429s", stats.http429s}});
    conn->exec(
        "UPDATE connections SET status = CASE WHEN $2 THEN 'error' ELSE status END,"
        " error_message = CASE WHEN $2 THEN $3 ELSE error_message END, updated_at = now() WHERE id = $1::uuid",
        s_.connectionId, connectionError, error);
    outbox::emit(*conn, EventScope::connection(s_.workspaceId, s_.connectionId).run(runId_, s_.jobId),
                 status == "cancelled" ? "sync.cancelled" : "sync.failed",
                 Json{{"run_id", runId_},
                      {"job_id", s_.jobId},
                      {"connection", s_.connectionName},
                      {"status", status},
                      {"error", error},
                      {"will_retry", !connectionError && status == "failed" && s_.attempt < s_.maxAttempts},
                      {"streams", stats.streams}});
    fence_.check(*conn);
    tx.commit();
  } catch (const std::exception& e) {
    log::error("engine", "recording the failure of run {} failed: {}", runId_, e.what());
  }
}

void RunRecorder::finished(const RunOutcome& o, const RunStats& stats) {
  auto conn = pool_.acquire();
  db::Transaction tx(*conn);
  conn->exec(
      "UPDATE sync_runs SET status = $2, completed_at = now(), duration_ms = $3, records_synced = $4,"
      " errors = CASE WHEN $5 = '' THEN errors ELSE errors || jsonb_build_array($5::text) END,"
      " metadata = metadata || $6::jsonb WHERE id = $1::uuid",
      runId_, o.status, o.durationMs, o.recordsSynced, o.error,
      Json{{"streams", stats.streams},
           {"http_calls", stats.httpCalls},
           {"http_429s", stats.http429s},
           {"progress", Json{{"current", o.totals.value("records", int64_t{0})},
                             {"total", o.totals.value("records", int64_t{0})},
                             {"message", "done"}}},
           {"totals", o.totals}});
  if (o.status == "failed") {
    conn->exec("UPDATE connections SET status = 'error', error_message = $2, updated_at = now() WHERE id = $1::uuid",
               s_.connectionId, o.error);
  } else {
    // The seeds' columns, kept for compatibility: last_sync_at is when the sync finished.
    conn->exec(
        "UPDATE connections SET status = 'synced', error_message = NULL, last_sync_at = now(),"
        " sync_cursor = $2::jsonb, updated_at = now() WHERE id = $1::uuid",
        s_.connectionId,
        Json{{"lastSyncMode", sync::toString(o.mode)},
             {"lastSyncAt", time::iso8601(time::Clock::now())},
             {"lastSyncRecords", o.recordsSynced},
             {"runId", runId_}});
  }
  outbox::emit(*conn, EventScope::connection(s_.workspaceId, s_.connectionId).run(runId_, s_.jobId),
               o.status == "failed" ? "sync.failed" : "sync.completed",
               Json{{"run_id", runId_},
                    {"job_id", s_.jobId},
                    {"workspace", s_.workspaceSlug},
                    {"connection", s_.connectionName},
                    {"connector", s_.connector},
                    {"status", o.status},
                    {"error", o.error},
                    {"streams", o.streams},
                    {"totals", o.totals}});
  fence_.check(*conn);
  tx.commit();
}

void RunCloser::attemptsEnded(db::Connection& conn, const std::vector<queue::EndedAttempt>& attempts) {
  std::vector<std::string> ids, errors;
  for (const auto& a : attempts) {
    ids.push_back(a.jobId);
    errors.push_back(a.error);
  }
  conn.exec(
      "UPDATE sync_runs SET status = 'failed', completed_at = now(),"
      " duration_ms = (extract(epoch from now() - started_at) * 1000)::bigint,"
      " errors = errors || jsonb_build_array(lost.error)"
      " FROM unnest($1::uuid[], $2::text[]) AS lost(job_id, error)"
      " WHERE sync_runs.job_id = lost.job_id AND sync_runs.status IN ('pending', 'running')",
      db::textArray(ids), db::textArray(errors));
}

}  // namespace tributary::engine
