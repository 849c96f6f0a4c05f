#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/Json.h"
#include "common/SyncMode.h"
#include "db/Pool.h"
#include "engine/RunFence.h"
#include "queue/AttemptListener.h"

namespace tributary::engine {

// The connection and job a run belongs to.
struct RunSubject {
  std::string workspaceId, workspaceSlug;
  std::string connectionId, connectionName;
  std::string connector;
  std::string jobId;
  int attempt = 1;
  int maxAttempts = 1;
};

// What a run's metadata says as it goes.
struct RunStats {
  Json streams = Json::object();   // per stream: mode, status, counts, pages, progress, error
  Json progress = Json::object();  // the latest {current, total, message, stream}
  int64_t httpCalls = 0;
  int64_t http429s = 0;
};

// How a run ended, for its closing record.
struct RunOutcome {
  std::string status;  // completed, completed_with_errors or failed
  std::string error;   // "" unless failed
  int64_t durationMs = 0;
  int64_t recordsSynced = 0;  // inserted + updated
  sync::Mode mode = sync::Mode::Incremental;
  Json streams = Json::object();  // per stream, of the streams this run planned
  Json totals = Json::object();
};

// Writes a run's record: its sync_runs row, the connection's status, and the events that
// announce it (sync.started, sync.progress, sync.completed, sync.failed, sync.cancelled), each
// in one transaction with the fence checked last. A run that lost its job writes nothing.
class RunRecorder {
 public:
  RunRecorder(db::Pool& pool, RunSubject subject, RunFence& fence);

  // Opens the job's run, or reopens it on a later attempt of the same job.
  void open(sync::Mode mode, const std::string& syncType, const Json& streamNames, const RunStats& stats);
  // Progress into the run's metadata and a sync.progress event. Never throws: a failed write
  // is logged, and the next one carries the same figures.
  void progress(const RunStats& stats);
  // The run ended early: `status` failed or cancelled. `connectionError` (a permanent failure,
  // bad credentials say) also puts the connection in error. Never throws.
  void failed(const std::string& status, const std::string& error, bool connectionError, int64_t durationMs,
              const RunStats& stats);
  // Every planned stream completed. Throws a database error (the job is then retried).
  void finished(const RunOutcome& outcome, const RunStats& stats);

  bool opened() const { return !runId_.empty(); }
  const std::string& runId() const { return runId_; }

 private:
  db::Pool& pool_;
  RunSubject s_;
  RunFence& fence_;
  std::string runId_;
};

// Closes the runs of attempts the queue ended on its own (a worker lost, a lease expired): the
// engine's half of the queue's rescue, in its transaction.
class RunCloser final : public queue::AttemptListener {
 public:
  void attemptsEnded(db::Connection& conn, const std::vector<queue::EndedAttempt>& attempts) override;
};

}  // namespace tributary::engine
