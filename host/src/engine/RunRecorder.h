#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/Json.h"
#include "common/SyncMode.h"
#include "db/Pool.h"
#include "engine/RunFence.h"
#include "engine/StreamWriter.h"
#include "http/HttpMetrics.h"
#include "queue/AttemptListener.h"

namespace tributary::engine {

// The connection and job a run belongs to, and this attempt of it.
struct RunSubject {
  std::string workspaceId, workspaceSlug;
  std::string connectionId, connectionName;
  std::string connector;
  std::string jobId;
  int attempt = 1;
  int maxAttempts = 1;
  std::string workerId;
};

// What a run's metadata says as it goes.
struct RunStats {
  Json streams = Json::object();   // per stream, this attempt: mode, status, counts, pages, progress, error
  Json progress = Json::object();  // the latest {current, total, message, stream}
  http::HttpCounters http;         // what the HTTP client did: http_calls, http_429s, retries, waits
  Json plugin;                     // the plugin's own statistics, {counters, facts} (RunStatistics); null: none written
};

// How a run ended, for its closing record.
struct RunOutcome {
  std::string status;  // completed, completed_with_errors or failed
  std::string error;   // "" unless failed
  int64_t durationMs = 0;
  int64_t swept = 0;  // rows this attempt's full refreshes marked deleted
  sync::Mode mode = sync::Mode::Incremental;
  Json streams = Json::object();  // per stream, of the streams this run planned
};

// Writes a run's record: its sync_runs row (one per job, whatever its attempts), the
// connection's status, and the events that announce it (sync.started, sync.progress,
// sync.waiting, sync.completed, sync.failed, sync.cancelled).
//
// Counts cover the whole job: every batch adds its counts to the run (records_synced) and to
// the attempt's entry in `attempts`, in the batch's own transaction, so they are exact across
// retries, crashes and rescues; each attempt keeps its own counts, start, end and error.
//
// Each transaction here takes the fence first, then writes the run, then the connection, then
// emits its event: the job row, the run row, the connection row, then the outbox, the order
// every writer of them keeps (the queue's rescue too), so no two of them deadlock. A run that
// lost its job writes nothing.
class RunRecorder {
 public:
  RunRecorder(db::Pool& pool, RunSubject subject, RunFence& fence);

  // Opens the job's run, or reopens it on a later attempt of the same job, with a new entry in
  // `attempts`. When an earlier attempt already finished the work (its end was recorded here
  // but the worker's report of it to the queue was lost), returns that attempt's result and
  // opens nothing: the job is done.
  std::optional<Json> open(sync::Mode mode, const std::string& syncType, const Json& streamNames,
                           const RunStats& stats);
  // The plugin statistics the earlier attempts of a reopened run stored (null when none): this
  // attempt adds to them.
  const Json& earlierPluginStats() const { return earlierPlugin_; }
  // The result an earlier attempt of the job stored when it finished the work, if one did (as
  // open() finds it), without opening anything: for a run that would otherwise ask the source
  // something before open() (a discovery), so that it asks nothing.
  std::optional<Json> earlierResult();
  // In a batch's transaction, after the fence: the batch's counts.
  void recordBatch(db::Connection& conn, const WriteCounts& batch);
  // Progress into the run's metadata and a sync.progress event. Never throws: a failed write
  // is logged, and the next one carries the same figures.
  void progress(const RunStats& stats);
  // The vendor's rate limit or quota: the run waits until `untilMs` (status waiting, the
  // attempt's entry closed as waiting, a sync.waiting event); no failure. Never throws.
  void waiting(int64_t untilMs, const std::string& reason, int64_t durationMs, const RunStats& stats);
  // The run ended early: `status` failed or cancelled. `connectionError` (a permanent failure,
  // bad credentials say) also puts the connection in error. Never throws.
  void failed(const std::string& status, const std::string& error, bool connectionError, int64_t durationMs,
              const RunStats& stats);
  // Every planned stream completed. `summary` is the job's result as this attempt sees it;
  // returned with its counts made the whole job's (every attempt's), and stored with the run.
  // Unless the run failed, `followUps` queues the follow-up jobs its plugin asked for in the same
  // transaction (after the run row, before the connection row: see the lock order above) and
  // returns their listing, stored as the result's and the run's `follow_ups`; a crash cannot
  // lose them or queue them twice. Throws a database error (the job is then retried).
  Json finished(const RunOutcome& outcome, const RunStats& stats, Json summary,
                const std::function<Json(db::Connection&)>& followUps = {});

  bool opened() const { return !runId_.empty(); }
  const std::string& runId() const { return runId_; }

 private:
  db::Pool& pool_;
  RunSubject s_;
  RunFence& fence_;
  std::string runId_;
  Json earlierPlugin_;
};

// Closes the runs of attempts the queue ended on its own (a worker lost, a lease expired, a
// job killed over its timeout, a job released because its worker died of another's fault):
// the attempt's entry and the run are closed with the reason, the connection shows the error,
// and a sync.failed event says whether the job will be retried. In the queue's transaction.
// A run whose work had finished is reported back, so the queue completes its job.
class RunCloser final : public queue::AttemptListener {
 public:
  std::vector<queue::FinishedWork> attemptsEnded(db::Connection& conn,
                                                 const std::vector<queue::EndedAttempt>& attempts) override;
};

}  // namespace tributary::engine
