#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/SyncMode.h"
#include "db/Connection.h"
#include "engine/RunFence.h"
#include "engine/RunRecorder.h"
#include "engine/StreamPlanner.h"
#include "engine/StreamWriter.h"

namespace tributary::engine {

// What completing a stream did.
struct CompletedStream {
  int64_t swept = 0;                     // rows a full refresh marked deleted
  std::optional<std::string> loweredTo;  // the watermark, lowered after an initial sync read out of order
};

// Every statement on a connection's per-stream state: stream_state (cursors, watermarks, the
// initial sync's progress, the carried state), backfill_cursors (a backfill job's own cursors) and sync_seen (the
// ids a full refresh saw). Methods that take a RunFence run in their own transaction and check
// the fence last before COMMIT; recordBatch runs inside the writer's batch transaction.
class StreamStateStore {
 public:
  // `maxClockSkew`: how far past the database's clock a watermark may go (sync.max_clock_skew).
  StreamStateStore(std::string connectionId, std::string jobId,
                   std::chrono::milliseconds maxClockSkew = std::chrono::hours(1));

  StreamSnapshot load(db::Connection& conn, const std::string& stream) const;
  // None when the job has not started the stream yet.
  std::optional<BackfillSnapshot> loadBackfill(db::Connection& conn, const std::string& stream) const;
  // The stream's carried state (set_stream_state), JSON text; none when it has none.
  std::optional<std::string> loadCarriedState(db::Connection& conn, const std::string& stream) const;

  // The stream starts (or resumes) in this run.
  void startBackfill(db::Connection& conn, const std::string& stream) const;
  void startResumed(db::Connection& conn, RunFence& fence, const StreamPlan& plan, const std::string& runId) const;
  // A fresh start: drops the cursor and any seen set an abandoned initial sync left behind.
  void startFresh(db::Connection& conn, RunFence& fence, const StreamPlan& plan, const std::string& runId) const;

  // In a batch's transaction: its cursor, its seen ids, the watermark (never past the database's
  // clock plus the skew), whether the run still reads in modification order, and the carried
  // state staged with it (not in a backfill, which cannot stage one).
  void recordBatch(db::Connection& conn, sync::Mode mode, const std::string& stream, const CommitInfo& batch) const;

  // The stream's call succeeded and every batch committed. A full refresh marks the rows it did
  // not see deleted, but only if its seen set is whole and no failed record lacked an id.
  CompletedStream complete(db::Connection& conn, RunFence& fence, const StreamPlan& plan, const StreamTarget& target,
                           int64_t unidentifiedErrors, const std::string& label) const;
  // The stream's call failed or was cancelled: `status` is failed or cancelled.
  void markEnded(db::Connection& conn, RunFence& fence, const std::string& stream, const std::string& status,
                 const std::string& error) const;

 private:
  std::string connectionId_;
  std::string jobId_;
  std::chrono::milliseconds maxClockSkew_;
};

// The commit hook of one stream's writer: stores the batch's state, checks the fence, and adds
// the batch's counts to the run (after the fence: the job row before the run row, the order the
// queue's rescue keeps too). Holds only what the run fixed before the stream began, so it is
// safe on the writer's commit thread.
class StreamCheckpointer final : public BatchCommitHook {
 public:
  StreamCheckpointer(const StreamStateStore& store, RunFence& fence, sync::Mode mode, std::string stream,
                     RunRecorder* run)
      : store_(store), fence_(fence), mode_(mode), stream_(std::move(stream)), run_(run) {}
  void beforeCommit(db::Connection& conn, const CommitInfo& batch) override {
    store_.recordBatch(conn, mode_, stream_, batch);
    fence_.check(conn);
    if (run_) run_->recordBatch(conn, batch.counts);
  }

 private:
  const StreamStateStore& store_;
  RunFence& fence_;
  sync::Mode mode_;
  std::string stream_;
  RunRecorder* run_;  // none in a dry run
};

}  // namespace tributary::engine
