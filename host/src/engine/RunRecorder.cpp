#include "engine/RunRecorder.h"

#include <map>
#include <set>

#include "common/Log.h"
#include "common/Redact.h"
#include "common/Time.h"
#include "db/PgArray.h"
#include "engine/Outbox.h"

namespace tributary::engine {
namespace {

// The last entry of sync_runs.attempts (this attempt's) with `fields` merged in.
std::string lastAttempt(const std::string& fields) {
  return "CASE WHEN jsonb_array_length(attempts) = 0 THEN attempts ELSE jsonb_set(attempts,"
         " ARRAY[(jsonb_array_length(attempts) - 1)::text], (attempts -> -1) || " +
         fields + ") END";
}

// The whole job's counts: every attempt's, added up.
constexpr const char* kJobTotals =
    "(SELECT jsonb_build_object('records', coalesce(sum(a.records), 0), 'inserted', coalesce(sum(a.inserted), 0),"
    " 'updated', coalesce(sum(a.updated), 0), 'unchanged', coalesce(sum(a.unchanged), 0),"
    " 'deleted', coalesce(sum(a.deleted), 0), 'failed', coalesce(sum(a.failed), 0),"
    " 'keys_only_missing', coalesce(sum(a.keys_only_missing), 0), 'attempts', count(*))"
    " FROM jsonb_to_recordset(sync_runs.attempts) AS a(records bigint, inserted bigint, updated bigint,"
    " unchanged bigint, deleted bigint, failed bigint, keys_only_missing bigint))";

// The run's metadata with what the HTTP client counted (http_calls, http_429s, retries, waits).
Json withHttp(Json meta, const RunStats& stats) {
  meta.update(stats.http.toJson());
  return meta;
}

// The run's metadata with the plugin's statistics, when there are some to write.
Json withPlugin(Json meta, const RunStats& stats) {
  if (!stats.plugin.is_null()) meta["plugin"] = stats.plugin;
  return meta;
}

// What a run keeps (sync_runs' errors, attempts and metadata, the connection's error_message,
// the run's events) is what `jobs show`, the API and webhooks show: whatever a plugin or a
// vendor said in it (a stream's error, a progress message, a fact) is redacted as the recorder
// receives it, once per write, so that every column below gets the redacted text.
RunStats redacted(const RunStats& given) {
  RunStats s = given;
  s.streams = redact::json(given.streams);
  s.progress = redact::json(given.progress);
  if (!given.plugin.is_null()) s.plugin = redact::json(given.plugin);
  return s;
}

}  // namespace

RunRecorder::RunRecorder(db::Pool& pool, RunSubject subject, RunFence& fence)
    : pool_(pool), s_(std::move(subject)), fence_(fence) {}

std::optional<Json> RunRecorder::open(sync::Mode mode, const std::string& syncType, const Json& streamNames,
                                      const RunStats& given) {
  const RunStats stats = redacted(given);
  auto conn = pool_.acquire();
  db::Transaction tx(*conn);
  fence_.check(*conn);
  const Json attempt = {
      {"attempt", s_.attempt}, {"worker", s_.workerId}, {"status", "running"}, {"error", nullptr}, {"records", 0},
      {"inserted", 0},         {"updated", 0},          {"unchanged", 0},      {"deleted", 0},     {"failed", 0}};
  auto existing = conn->exec(
      "SELECT id, status IN ('completed', 'completed_with_errors') AND metadata ? 'result', metadata -> 'result',"
      " metadata -> 'plugin'"
      " FROM sync_runs WHERE job_id = $1::uuid ORDER BY started_at DESC LIMIT 1 FOR UPDATE",
      s_.jobId);
  if (!existing.empty() && existing.boolean(0, 1)) {
    runId_ = existing.text(0, 0);
    log::warn("engine",
              "{}/{}: job {} already finished its work in run {} (its end did not reach the queue); not running it "
              "again",
              s_.workspaceSlug, s_.connectionName, s_.jobId, runId_);
    tx.commit();
    return Json::parse(existing.view(0, 2));
  }
  if (!existing.empty()) {
    runId_ = existing.text(0, 0);
    if (!existing.isNull(0, 3)) earlierPlugin_ = Json::parse(existing.view(0, 3));
    conn->exec(
        "UPDATE sync_runs SET status = 'running', completed_at = NULL, mode = $2, metadata = metadata || $3::jsonb,"
        " attempts = attempts || jsonb_build_array($4::jsonb || jsonb_build_object('started_at', now(),"
        "  'ended_at', NULL))"
        " WHERE id = $1::uuid",
        runId_, sync::toString(mode), Json{{"attempt", s_.attempt}}, attempt);
  } else {
    auto r = conn->exec(
        "INSERT INTO sync_runs (workspace_id, connection_id, connector, job_id, mode, sync_type, status, metadata,"
        " attempts)"
        " VALUES ($1::uuid, $2::uuid, $3, $4::uuid, $5, $6, 'running', $7::jsonb,"
        "  jsonb_build_array($8::jsonb || jsonb_build_object('started_at', now(), 'ended_at', NULL)))"
        " RETURNING id",
        s_.workspaceId, s_.connectionId, s_.connector, s_.jobId, sync::toString(mode),
        syncType == "scheduled" || syncType == "backfill" ? syncType : std::string("manual"),
        Json{{"attempt", s_.attempt}, {"streams", stats.streams}}, attempt);
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
  tx.commit();
  return std::nullopt;
}

std::optional<Json> RunRecorder::earlierResult() {
  auto conn = pool_.acquire();
  auto r = conn->exec(
      "SELECT metadata -> 'result' FROM sync_runs WHERE job_id = $1::uuid"
      " AND status IN ('completed', 'completed_with_errors') AND metadata ? 'result'"
      " ORDER BY started_at DESC LIMIT 1",
      s_.jobId);
  if (r.empty()) return std::nullopt;
  log::warn("engine", "{}/{}: job {} already finished its work (its end did not reach the queue); not running it again",
            s_.workspaceSlug, s_.connectionName, s_.jobId);
  return Json::parse(r.view(0, 0));
}

void RunRecorder::recordBatch(db::Connection& conn, const WriteCounts& c) {
  if (!opened()) return;
  conn.execPrepared("UPDATE sync_runs SET records_synced = records_synced + $2 + $3, attempts = " +
                        lastAttempt("jsonb_build_object('records', (attempts -> -1 ->> 'records')::bigint + $4,"
                                    " 'inserted', (attempts -> -1 ->> 'inserted')::bigint + $2,"
                                    " 'updated', (attempts -> -1 ->> 'updated')::bigint + $3,"
                                    " 'unchanged', (attempts -> -1 ->> 'unchanged')::bigint + $5,"
                                    " 'deleted', (attempts -> -1 ->> 'deleted')::bigint + $6,"
                                    " 'failed', (attempts -> -1 ->> 'failed')::bigint + $7,"
                                    " 'keys_only_missing', coalesce((attempts -> -1 ->> 'keys_only_missing')::bigint,"
                                    "  0) + $8)") +
                        " WHERE id = $1::uuid",
                    runId_, c.inserted, c.updated, c.records, c.unchanged, c.deleted, c.failed, c.keysOnlyMissing);
}

void RunRecorder::progress(const RunStats& given) {
  if (!opened() || fence_.lost()) return;
  const RunStats stats = redacted(given);
  try {
    auto conn = pool_.acquire();
    db::Transaction tx(*conn);
    fence_.check(*conn);
    Json meta = {{"progress", stats.progress}, {"streams", stats.streams}};
    meta.update(stats.http.toJson());
    if (!stats.plugin.is_null()) meta["plugin"] = stats.plugin;
    conn->exec("UPDATE sync_runs SET metadata = metadata || $2::jsonb WHERE id = $1::uuid", runId_, meta);
    outbox::emit(*conn, EventScope::connection(s_.workspaceId, s_.connectionId).run(runId_, s_.jobId), "sync.progress",
                 Json{{"run_id", runId_},
                      {"connection", s_.connectionName},
                      {"progress", stats.progress},
                      {"streams", stats.streams}});
    tx.commit();
  } catch (const std::exception& e) {
    log::warn("engine", "writing the progress of run {} failed: {}", runId_, e.what());
  }
}

void RunRecorder::waiting(int64_t untilMs, const std::string& givenReason, int64_t durationMs, const RunStats& given) {
  if (!opened() || fence_.lost()) return;
  const RunStats stats = redacted(given);
  const std::string reason = redact::text(givenReason);
  try {
    auto conn = pool_.acquire();
    db::Transaction tx(*conn);
    fence_.check(*conn);
    const std::string until = time::iso8601Ms(untilMs);
    conn->exec("UPDATE sync_runs SET status = 'waiting', duration_ms = $2, attempts = " +
                   lastAttempt("jsonb_build_object('ended_at', now(), 'status', 'waiting', 'error', $3::text,"
                               " 'until', $4::text)") +
                   ", metadata = metadata || $5::jsonb WHERE id = $1::uuid",
               runId_, durationMs, reason, until,
               withPlugin(withHttp(Json{{"streams", stats.streams}, {"waiting_until", until}}, stats), stats));
    outbox::emit(*conn, EventScope::connection(s_.workspaceId, s_.connectionId).run(runId_, s_.jobId), "sync.waiting",
                 Json{{"run_id", runId_},
                      {"job_id", s_.jobId},
                      {"connection", s_.connectionName},
                      {"until", until},
                      {"reason", reason},
                      {"streams", stats.streams}});
    tx.commit();
  } catch (const std::exception& e) {
    log::error("engine", "recording the wait of run {} failed: {}", runId_, e.what());
  }
}

void RunRecorder::failed(const std::string& status, const std::string& givenError, bool connectionError,
                         int64_t durationMs, const RunStats& given) {
  if (!opened() || fence_.lost()) return;  // a run that lost its job reports nothing over its successor
  const RunStats stats = redacted(given);
  const std::string error = redact::text(givenError);
  try {
    auto conn = pool_.acquire();
    db::Transaction tx(*conn);
    fence_.check(*conn);
    conn->exec(
        "UPDATE sync_runs SET status = $2, completed_at = now(), duration_ms = $3,"
        " errors = errors || jsonb_build_array($4::text), attempts = " +
            lastAttempt("jsonb_build_object('ended_at', now(), 'status', $2::text, 'error', $4::text)") +
            ", metadata = metadata || $5::jsonb WHERE id = $1::uuid",
        runId_, status, durationMs, error, withPlugin(withHttp(Json{{"streams", stats.streams}}, stats), stats));
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
    tx.commit();
  } catch (const std::exception& e) {
    log::error("engine", "recording the failure of run {} failed: {}", runId_, e.what());
  }
}

Json RunRecorder::finished(const RunOutcome& given, const RunStats& givenStats, Json givenSummary,
                           const std::function<Json(db::Connection&)>& followUps) {
  const RunStats stats = redacted(givenStats);
  RunOutcome o = given;
  o.error = redact::text(given.error);
  o.streams = redact::json(given.streams);
  Json summary = redact::json(givenSummary);
  auto conn = pool_.acquire();
  db::Transaction tx(*conn);
  fence_.check(*conn);
  auto r = conn->exec(
      "UPDATE sync_runs SET status = $2, completed_at = now(), duration_ms = $3,"
      " errors = CASE WHEN $4 = '' THEN errors ELSE errors || jsonb_build_array($4::text) END, attempts = " +
          lastAttempt("jsonb_build_object('ended_at', now(), 'status', $2::text, 'error', nullif($4, ''),"
                      " 'deleted', (attempts -> -1 ->> 'deleted')::bigint + $5)") +
          " WHERE id = $1::uuid RETURNING records_synced, " + kJobTotals,
      runId_, o.status, o.durationMs, o.error, o.swept);
  if (r.empty()) throw db::DbError("run " + runId_ + " of job " + s_.jobId + " is gone");
  const int64_t recordsSynced = r.int64(0, 0);
  const Json totals = Json::parse(r.view(0, 1));
  for (const char* k :
       {"records", "inserted", "updated", "unchanged", "deleted", "failed", "keys_only_missing", "attempts"}) {
    summary[k] = totals.value(k, int64_t{0});
  }
  if (!stats.plugin.is_null()) summary["plugin"] = stats.plugin;
  // A failed run queues none of its follow-ups (its retry, or the next run, asks again).
  summary["follow_ups"] = o.status != "failed" && followUps ? followUps(*conn) : Json::array();
  conn->exec("UPDATE sync_runs SET metadata = metadata || $2::jsonb WHERE id = $1::uuid", runId_,
             withPlugin(withHttp(Json{{"streams", stats.streams},
                                      {"progress", Json{{"current", totals.value("records", int64_t{0})},
                                                        {"total", totals.value("records", int64_t{0})},
                                                        {"message", "done"}}},
                                      {"totals", totals},
                                      {"follow_ups", summary["follow_ups"]},
                                      {"result", summary}},
                                 stats),
                        stats));
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
             {"lastSyncRecords", recordsSynced},
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
                    {"totals", totals},
                    {"follow_ups", summary["follow_ups"]}});
  tx.commit();
  return summary;
}

std::vector<queue::FinishedWork> RunCloser::attemptsEnded(db::Connection& conn,
                                                          const std::vector<queue::EndedAttempt>& attempts) {
  std::vector<queue::FinishedWork> finished;
  if (attempts.empty()) return finished;
  std::vector<std::string> ids, errors, attemptStatus, runStatus, willRetry;
  for (const auto& a : attempts) ids.push_back(a.jobId);
  auto done = conn.exec(
      "SELECT job_id::text, metadata -> 'result' FROM sync_runs WHERE job_id = ANY($1::uuid[])"
      " AND status IN ('completed', 'completed_with_errors') AND metadata ? 'result'",
      db::textArray(ids));
  std::set<std::string> doneIds;
  for (int i = 0; i < done.rows(); ++i) {
    doneIds.insert(done.text(i, 0));
    finished.push_back({done.text(i, 0), Json::parse(done.view(i, 1))});
  }
  ids.clear();
  for (const auto& a : attempts) {
    if (doneIds.count(a.jobId)) continue;
    ids.push_back(a.jobId);
    errors.push_back(a.error);
    switch (a.end) {
      case queue::AttemptEnd::Released:
        // It runs again with no attempt used: its run waits for it, as at its start.
        attemptStatus.push_back("released");
        runStatus.push_back("pending");
        break;
      case queue::AttemptEnd::Cancelled:
        attemptStatus.push_back("cancelled");
        runStatus.push_back("cancelled");
        break;
      case queue::AttemptEnd::TimedOut:
        attemptStatus.push_back("timed_out");
        runStatus.push_back("failed");
        break;
      case queue::AttemptEnd::Failed:
        attemptStatus.push_back("failed");
        runStatus.push_back("failed");
        break;
      case queue::AttemptEnd::Lost:
        attemptStatus.push_back("lost");
        runStatus.push_back("failed");
        break;
    }
    willRetry.push_back(a.status == queue::JobStatus::Pending ? "true" : "false");
  }
  if (ids.empty()) return finished;
  // The runs first (the queue holds their jobs' rows), then their connections, in id order so
  // that two rescues never lock them crosswise, then the outbox, last: the lock order of every
  // writer of these rows.
  auto closed = conn.exec(
      "UPDATE sync_runs SET status = ended.run_status,"
      " completed_at = CASE WHEN ended.run_status IN ('failed', 'cancelled') THEN now() END,"
      " duration_ms = (extract(epoch from now() - started_at) * 1000)::bigint,"
      " errors = errors || jsonb_build_array(ended.error), attempts = " +
          lastAttempt("jsonb_build_object('ended_at', now(), 'status', ended.attempt_status, 'error', ended.error)") +
          " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bool[])"
          "  AS ended(job_id, error, attempt_status, run_status, will_retry)"
          " WHERE sync_runs.job_id = ended.job_id AND sync_runs.status IN ('pending', 'running', 'waiting')"
          " RETURNING sync_runs.id, sync_runs.workspace_id, sync_runs.connection_id, sync_runs.job_id,"
          "  ended.run_status, ended.error, ended.will_retry",
      db::textArray(ids), db::textArray(errors), db::textArray(attemptStatus), db::textArray(runStatus),
      db::textArray(willRetry));
  std::vector<std::string> failedConnections, failedErrors;
  for (int i = 0; i < closed.rows(); ++i) {
    if (closed.view(i, 4) != "failed" || closed.isNull(i, 2)) continue;
    failedConnections.push_back(closed.text(i, 2));
    failedErrors.push_back(closed.text(i, 5));
  }
  std::map<std::string, std::string> names;
  if (!failedConnections.empty()) {
    auto r = conn.exec(
        "WITH locked AS (SELECT id FROM connections WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE),"
        " msg AS (SELECT DISTINCT ON (c) c, e FROM unnest($1::uuid[], $2::text[]) AS u(c, e))"
        " UPDATE connections SET status = 'error', error_message = msg.e, updated_at = now()"
        " FROM locked, msg WHERE connections.id = locked.id AND msg.c = locked.id"
        " RETURNING connections.id::text, connections.name",
        db::textArray(failedConnections), db::textArray(failedErrors));
    for (int i = 0; i < r.rows(); ++i) names[r.text(i, 0)] = r.text(i, 1);
  }
  for (int i = 0; i < closed.rows(); ++i) {
    const auto status = closed.view(i, 4);
    if (status == "pending" || closed.isNull(i, 2)) continue;
    const std::string connectionId = closed.text(i, 2);
    auto name = names.find(connectionId);
    outbox::emit(conn,
                 EventScope::connection(closed.text(i, 1), connectionId).run(closed.text(i, 0), closed.text(i, 3)),
                 status == "cancelled" ? "sync.cancelled" : "sync.failed",
                 Json{{"run_id", closed.text(i, 0)},
                      {"job_id", closed.text(i, 3)},
                      {"connection", name == names.end() ? Json(nullptr) : Json(name->second)},
                      {"status", std::string(status)},
                      {"error", closed.text(i, 5)},
                      {"will_retry", closed.boolean(i, 6)}});
  }
  return finished;
}

}  // namespace tributary::engine
