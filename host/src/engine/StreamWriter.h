#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "db/Connection.h"
#include "engine/EntitySchema.h"
#include "engine/RecordEncoder.h"
#include "plugins/RunServices.h"

namespace tributary::engine {

// Where one stream's records go.
struct StreamTarget {
  std::string workspaceId;
  std::string source;        // the connection's name
  std::string connectionId;
  std::string stream;
  const Entity* entity = nullptr;  // null: the generic records table
};

struct WriteCounts {
  int64_t records = 0;    // emitted and stored or compared
  int64_t inserted = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
  int64_t deleted = 0;    // records that carried a deletion
  int64_t failed = 0;     // per-record errors (poison, validation, write)
  int64_t batches = 0;

  WriteCounts& operator+=(const WriteCounts& o);
};

// What a commit stores beside its records (in the same transaction).
struct CommitInfo {
  std::string cursor;                  // the checkpoint closing the batch
  std::optional<int64_t> maxModifiedMs;  // the batch's largest source modification time
  WriteCounts counts;                  // of this batch
  int64_t seenAdded = 0;               // ids added to sync_seen
};

// Writes one stream's records exactly once: records stream into COPY into a staging table as
// they are emitted (memory stays bounded whatever the batch size); at a checkpoint the batch
// is upserted with one INSERT ... ON CONFLICT, its errors and cursor written, and all of it
// committed in one transaction. Rows whose digest is unchanged are not rewritten; a row never
// moves back to an older source version. A record whose write fails is isolated by splitting
// the batch under savepoints, so the rest lands. Batch sizes adapt: they grow while commits are
// fast and shrink when they are slow.
class StreamWriter {
 public:
  struct Options {
    bool dryRun = false;       // count what would change; the caller owns the transaction
    bool trackSeen = false;    // record ids in sync_seen (a full refresh over existing rows)
    bool resolveErrors = false;  // mark open record errors of stored ids resolved
    std::string runId;
    std::string jobId;
    int initialBatch = 1000;
    int minBatch = 200;
    int maxBatch = 50000;
    std::chrono::milliseconds fastCommit{300};
    std::chrono::milliseconds slowCommit{2000};
    std::chrono::milliseconds maxBatchAge{5000};
  };
  // Runs inside the batch's transaction, before COMMIT: the caller stores the cursor, the
  // watermark and progress there.
  using CommitHook = std::function<void(db::Connection&, const CommitInfo&)>;

  StreamWriter(db::Connection& conn, StreamTarget target, Options options, CommitHook hook);
  ~StreamWriter();

  void add(const plugins::RecordView& record);
  void addError(std::string_view sourceId, std::string_view stage, std::string_view message,
                std::string_view raw);
  // A checkpoint: commits when the batch is big or old enough. Returns true if it committed.
  bool checkpoint(std::string_view cursor);
  // Commits whatever is open, with the last checkpoint's cursor (the end of a successful call).
  void finish();
  // Drops the open batch (a failed or cancelled call): nothing of it is stored.
  void abort();

  const WriteCounts& totals() const { return totals_; }
  int batchTarget() const { return target_; }
  bool open() const { return inTx_; }
  // For a dry run's end: rows of this stream the target holds but the run did not see.
  int64_t countUnseen();

 private:
  void ensureStaging();
  void beginBatch();
  void startCopy();
  void endCopy();
  void flushCopyBuffer();
  void commit();
  WriteCounts upsert(int64_t lo, int64_t hi);
  void isolate(int64_t lo, int64_t hi, WriteCounts& counts);
  void writeErrors();
  void dryRunCount();
  std::string stagingTable() const;
  std::string upsertSql(bool ranged) const;

  db::Connection& conn_;
  StreamTarget t_;
  Options o_;
  CommitHook hook_;
  RecordEncoder encoder_;

  bool stagingReady_ = false;
  bool inTx_ = false;
  bool inCopy_ = false;
  std::string line_;
  std::string copyBuf_;
  int64_t batchRecords_ = 0;
  int64_t batchDeleted_ = 0;
  std::optional<int64_t> batchMaxModified_;
  bool batchHasDuplicates_ = false;
  std::unordered_set<uint64_t> batchIds_;
  std::optional<std::string> cursor_;  // latest checkpoint not yet committed
  std::chrono::steady_clock::time_point batchStart_;
  struct PendingError {
    std::string sourceId, stage, message, raw;
  };
  std::vector<PendingError> errors_;
  int64_t errorBytes_ = 0;
  int64_t batchFailed_ = 0;
  int target_;
  WriteCounts totals_;
  bool dryStaged_ = false;
};

}  // namespace tributary::engine
