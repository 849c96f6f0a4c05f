#include "engine/StreamStateStore.h"

#include "common/Log.h"
#include "common/Redact.h"
#include "engine/TargetTable.h"

namespace tributary::engine {
namespace {

std::string msParam(std::optional<int64_t> ms) { return ms ? std::to_string(*ms) : std::string(); }

}  // namespace

StreamStateStore::StreamStateStore(std::string connectionId, std::string jobId, std::chrono::milliseconds maxClockSkew)
    : connectionId_(std::move(connectionId)), jobId_(std::move(jobId)), maxClockSkew_(maxClockSkew) {}

StreamSnapshot StreamStateStore::load(db::Connection& conn, const std::string& stream) const {
  auto st = conn.exec(
      "SELECT initialized_at IS NOT NULL, cursor::text, cursor_mode,"
      " (extract(epoch from cursor_since) * 1000)::bigint, (extract(epoch from watermark) * 1000)::bigint,"
      " initial_run_id, initial_tracks_seen, cursor_job_id, (extract(epoch from now()) * 1000)::bigint,"
      " carried_state::text"
      " FROM stream_state WHERE connection_id = $1::uuid AND stream = $2",
      connectionId_, stream);
  StreamSnapshot s;
  if (st.empty()) return s;
  s.dbNowMs = st.int64(0, 8);
  s.exists = true;
  s.initialized = st.boolean(0, 0);
  s.cursor = st.optText(0, 1);
  if (auto m = st.optText(0, 2)) s.cursorMode = sync::parseMode(*m);
  s.cursorSinceMs = st.optInt64(0, 3);
  s.watermarkMs = st.optInt64(0, 4);
  s.initialRunId = st.optText(0, 5);
  s.initialTracksSeen = st.boolean(0, 6);
  s.cursorJobId = st.optText(0, 7);
  s.carriedState = st.optText(0, 9);
  return s;
}

std::optional<std::string> StreamStateStore::loadCarriedState(db::Connection& conn, const std::string& stream) const {
  auto st = conn.exec("SELECT carried_state::text FROM stream_state WHERE connection_id = $1::uuid AND stream = $2",
                      connectionId_, stream);
  if (st.empty()) return std::nullopt;
  return st.optText(0, 0);
}

std::optional<BackfillSnapshot> StreamStateStore::loadBackfill(db::Connection& conn, const std::string& stream) const {
  auto b = conn.exec("SELECT cursor::text, done FROM backfill_cursors WHERE job_id = $1::uuid AND stream = $2", jobId_,
                     stream);
  if (b.empty()) return std::nullopt;
  return BackfillSnapshot{b.optText(0, 0), b.boolean(0, 1)};
}

void StreamStateStore::startBackfill(db::Connection& conn, const std::string& stream) const {
  conn.exec("INSERT INTO backfill_cursors (job_id, stream) VALUES ($1::uuid, $2) ON CONFLICT DO NOTHING", jobId_,
            stream);
}

void StreamStateStore::startResumed(db::Connection& conn, RunFence& fence, const StreamPlan& plan,
                                    const std::string& runId) const {
  db::Transaction tx(conn);
  conn.exec(
      "UPDATE stream_state SET status = 'running', last_mode = $3, last_run_id = $4::uuid, cursor_job_id = $5::uuid,"
      " read_whole = $6, updated_at = now() WHERE connection_id = $1::uuid AND stream = $2",
      connectionId_, plan.stream->name, sync::toString(plan.mode), runId, jobId_, plan.stream->fullRefreshOnly());
  fence.check(conn);
  tx.commit();
}

void StreamStateStore::startFresh(db::Connection& conn, RunFence& fence, const StreamPlan& plan,
                                  const std::string& runId) const {
  const std::string& stream = plan.stream->name;
  db::Transaction tx(conn);
  auto old = conn.exec("SELECT initial_run_id FROM stream_state WHERE connection_id = $1::uuid AND stream = $2",
                       connectionId_, stream);
  if (!old.empty() && !old.isNull(0, 0)) {
    conn.exec("DELETE FROM sync_seen WHERE run_id = $1::uuid AND stream = $2", old.text(0, 0), stream);
  }
  conn.exec("INSERT INTO stream_state (connection_id, stream) VALUES ($1::uuid, $2) ON CONFLICT DO NOTHING",
            connectionId_, stream);
  conn.exec(
      "UPDATE stream_state SET status = 'running', last_mode = $3, last_run_id = $4::uuid, cursor = NULL,"
      " cursor_mode = $3, cursor_job_id = $5::uuid,"
      " cursor_since = CASE WHEN $6 = '' THEN NULL ELSE 'epoch'::timestamptz + $6::bigint * interval '1 millisecond' END,"
      " initial_run_id = CASE WHEN $3 = 'initial' THEN $4::uuid END,"
      " initial_started_at = CASE WHEN $3 = 'initial' THEN now() END,"
      " initial_tracks_seen = ($3 = 'initial' AND $7), initial_seen = 0,"
      " order_floor = NULL, order_last_modified = NULL, order_unordered = false,"
      // A requested full resync starts without the carried state; dropping it here, as the
      // stream starts, means no crash after this can bring the old one back (see StreamPlanner).
      " carried_state = CASE WHEN $9 THEN NULL ELSE carried_state END,"
      " carried_state_at = CASE WHEN $9 THEN NULL ELSE carried_state_at END,"
      " carried_state_job_id = CASE WHEN $9 THEN NULL ELSE carried_state_job_id END,"
      // A watermark the planner did not trust (beyond the skew) is dropped: this run reads
      // everything and sets it anew, so the next one starts from there again.
      " watermark = CASE WHEN watermark > now() + $8::bigint * interval '1 millisecond' THEN NULL ELSE watermark END,"
      " read_whole = $10, updated_at = now()"
      " WHERE connection_id = $1::uuid AND stream = $2",
      connectionId_, stream, sync::toString(plan.mode), runId, jobId_, msParam(plan.sinceMs), plan.trackSeen,
      maxClockSkew_.count(), plan.dropState, plan.stream->fullRefreshOnly());
  fence.check(conn);
  tx.commit();
}

void StreamStateStore::recordBatch(db::Connection& conn, sync::Mode mode, const std::string& stream,
                                   const CommitInfo& batch) const {
  const std::string maxMs = msParam(batch.maxModifiedMs);
  if (mode == sync::Mode::Backfill) {
    conn.exec(
        "UPDATE backfill_cursors SET cursor = coalesce(nullif($3, '')::jsonb, cursor), updated_at = now()"
        " WHERE job_id = $1::uuid AND stream = $2",
        jobId_, stream, batch.cursor);
    return;
  }
  // The watermark never passes the database's clock plus the skew the writer allows, whatever
  // a record says (the writer refuses records further ahead).
  conn.exec(
      "UPDATE stream_state SET cursor = coalesce(nullif($3, '')::jsonb, cursor), initial_seen = initial_seen + $4,"
      " watermark = CASE WHEN $5 = '' THEN watermark ELSE greatest("
      // a watermark beyond the skew (left by a record from the future) is no bound to keep
      "   CASE WHEN watermark > now() + $6::bigint * interval '1 millisecond' THEN NULL ELSE watermark END, least("
      "   'epoch'::timestamptz + $5::bigint * interval '1 millisecond', now() + $6::bigint * interval '1 millisecond'))"
      " END, updated_at = now()"
      " WHERE connection_id = $1::uuid AND stream = $2",
      connectionId_, stream, batch.cursor, batch.seenAdded, maxMs, maxClockSkew_.count());
  if (batch.state) {
    // The carried state the plugin set before this batch's checkpoint: it commits with that
    // cursor, so a run resumed from it gets the state that goes with it. JSON null (staged as
    // "null" exactly) clears it.
    const bool clear = *batch.state == "null";
    conn.exec(
        "UPDATE stream_state SET carried_state = CASE WHEN $4 THEN NULL ELSE $3::jsonb END,"
        " carried_state_at = now(), carried_state_job_id = $5::uuid"
        " WHERE connection_id = $1::uuid AND stream = $2",
        connectionId_, stream, clear ? std::string("null") : *batch.state, clear, jobId_);
  }
  if (batch.maxModifiedMs) {
    // Whether this run reads in modification order (see migrations 006 and 008). A resumed run
    // starts strictly after its checkpoint, so order holds across a resume too.
    conn.exec(
        "UPDATE stream_state SET"
        " order_floor = coalesce(order_floor, 'epoch'::timestamptz + $3::bigint * interval '1 millisecond'),"
        " order_unordered = order_unordered OR $5 OR coalesce(order_last_modified >"
        "   'epoch'::timestamptz + $4::bigint * interval '1 millisecond', false),"
        // Only a batch with a checkpoint moves it: a resume starts after the last checkpoint, so a
        // final batch without one may be sent again, and must not look out of order then.
        " order_last_modified = CASE WHEN $6 THEN greatest(order_last_modified,"
        "   'epoch'::timestamptz + $3::bigint * interval '1 millisecond') ELSE order_last_modified END"
        " WHERE connection_id = $1::uuid AND stream = $2",
        connectionId_, stream, maxMs, msParam(batch.firstModifiedMs), batch.outOfOrder, !batch.cursor.empty());
  }
}

CompletedStream StreamStateStore::complete(db::Connection& conn, RunFence& fence, const StreamPlan& plan,
                                           const StreamTarget& target, int64_t unidentifiedErrors,
                                           const std::string& label) const {
  const std::string& stream = plan.stream->name;
  CompletedStream done;
  db::Transaction tx(conn);
  if (plan.mode == sync::Mode::Backfill) {
    conn.exec("UPDATE backfill_cursors SET done = true, updated_at = now() WHERE job_id = $1::uuid AND stream = $2",
              jobId_, stream);
    fence.check(conn);
    tx.commit();
    return done;
  }
  if (plan.mode == sync::Mode::Initial && plan.trackSeen) {
    // The rows this full refresh did not see are gone at the source. Only now, with every batch
    // committed, are they marked deleted; and only if the seen set is whole.
    auto st = conn.exec(
        "SELECT initial_seen, initial_run_id, initial_started_at::text FROM stream_state"
        " WHERE connection_id = $1::uuid AND stream = $2",
        connectionId_, stream);
    const int64_t expected = st.int64(0, 0);
    const std::string seenRun = st.optText(0, 1).value_or(plan.seenRunId);
    const int64_t have =
        conn.exec("SELECT count(*) FROM sync_seen WHERE run_id = $1::uuid AND stream = $2", seenRun, stream)
            .int64(0, 0);
    if (unidentifiedErrors > 0) {
      log::warn("engine",
                "{} stream {}: {} failed record(s) had no id, so the full refresh cannot tell which rows it missed; "
                "not marking unseen rows deleted",
                label, stream, unidentifiedErrors);
    } else if (have != expected) {
      log::error("engine",
                 "{} stream {}: the full refresh's seen set holds {} ids, {} were recorded; not marking unseen rows "
                 "deleted",
                 label, stream, have, expected);
    } else {
      done.swept = target::sweepUnseen(conn, target, seenRun, st.optText(0, 2));
      if (done.swept) {
        log::info("engine", "{} stream {}: the full refresh marked {} rows it did not see deleted", label, stream,
                  done.swept);
      }
    }
    conn.exec("DELETE FROM sync_seen WHERE run_id = $1::uuid AND stream = $2", seenRun, stream);
  }
  {
    // A run that read out of modification order (an initial sync listed by id, an incremental
    // one paged newest first): the next incremental starts from its first batch, so that what
    // changed while it ran is read (see migrations 006 and 008).
    auto lowered = conn.exec(
        "UPDATE stream_state SET watermark = least(watermark, order_floor)"
        " WHERE connection_id = $1::uuid AND stream = $2 AND order_unordered AND order_floor < watermark"
        " RETURNING order_floor::text",
        connectionId_, stream);
    if (!lowered.empty()) done.loweredTo = lowered.text(0, 0);
  }
  conn.exec(
      "UPDATE stream_state SET initialized_at = coalesce(initialized_at, now()), cursor = NULL, cursor_mode = NULL,"
      " cursor_since = NULL, cursor_job_id = NULL, initial_run_id = NULL, initial_started_at = NULL,"
      " initial_tracks_seen = false, initial_seen = 0,"
      " order_floor = NULL, order_last_modified = NULL, order_unordered = false,"
      " status = 'completed', last_error = NULL, last_success_at = now(), updated_at = now()"
      " WHERE connection_id = $1::uuid AND stream = $2",
      connectionId_, stream);
  // Last, so that the job row is held only for the commit, not through the sweep.
  fence.check(conn);
  tx.commit();
  if (done.loweredTo) {
    log::info("engine",
              "{} stream {}: the {} sync did not read in modification order; the next incremental starts from "
              "its first batch's time ({}) so that changes made while it ran are not missed",
              label, stream, sync::toString(plan.mode), *done.loweredTo);
  }
  return done;
}

void StreamStateStore::markEnded(db::Connection& conn, RunFence& fence, const std::string& stream,
                                 const std::string& status, const std::string& error) const {
  db::Transaction tx(conn);
  // The stream's error is its plugin's words (a vendor's body, a URL), shown by `jobs show` and
  // the API: redacted as the run's errors are (RunRecorder).
  conn.exec(
      "UPDATE stream_state SET status = $3, last_error = $4, updated_at = now()"
      " WHERE connection_id = $1::uuid AND stream = $2",
      connectionId_, stream, status, redact::text(error));
  fence.check(conn);
  tx.commit();
}

}  // namespace tributary::engine
