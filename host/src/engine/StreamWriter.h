#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "db/Connection.h"
#include "engine/EntitySchema.h"
#include "engine/RecordEncoder.h"
#include "engine/RecordSink.h"
#include "engine/TargetTable.h"
#include "plugins/RunServices.h"

namespace tributary::engine {

struct WriteCounts {
  int64_t records = 0;  // emitted and stored or compared
  int64_t inserted = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
  int64_t deleted = 0;  // records that carried a deletion
  int64_t failed = 0;   // per-record errors (poison, validation, write)
  int64_t batches = 0;
  int64_t links = 0;         // links emitted and stored (or, in a dry run, counted)
  int64_t linksDeleted = 0;  // of them, removals (TRIBUTARY_LINK_DELETED)
  // Keys-only records (TRIBUTARY_RECORD_KEYS_ONLY) whose key has no live row of the stream: the
  // source has a record the target lacks. Counted in `records`, not in `unchanged`.
  int64_t keysOnlyMissing = 0;

  WriteCounts& operator+=(const WriteCounts& o);
};

// What a commit stores beside its records (in the same transaction).
struct CommitInfo {
  std::string cursor;                      // the checkpoint closing the batch
  std::optional<int64_t> maxModifiedMs;    // the batch's largest source modification time
  std::optional<int64_t> firstModifiedMs;  // the first record's, in emit order
  bool outOfOrder = false;                 // a record came with an older modification time than one before it
  WriteCounts counts;                      // of this batch
  int64_t seenAdded = 0;                   // ids added to sync_seen
  std::optional<std::string> state;        // the carried state staged before the checkpoint ("null": clear it)
};

// What the writer's owner stores in each batch's transaction, beside the records: the stream's
// cursor, its watermark, its progress. beforeCommit runs inside the transaction, last before
// COMMIT, on whichever thread commits the batch (with double-buffering, not the plugin's): it
// may only touch the connection it is given and state it guards itself. It throws to refuse
// the commit (the fence of a job that is no longer held, for one); the batch then rolls back.
class BatchCommitHook {
 public:
  virtual ~BatchCommitHook() = default;
  virtual void beforeCommit(db::Connection& conn, const CommitInfo& batch) = 0;
};

// Writes one stream's records exactly once. Records stream into COPY into a temporary staging
// table as they are emitted, so memory stays bounded whatever the batch size. A keys-only record
// (seen, no new content) goes through the same COPY, with no digest and no raw: the upsert skips
// it, a full refresh's seen set takes it (so the sweep keeps its row), and it counts as unchanged
// when the stream has a live row of that key, else as keys_only_missing. At a checkpoint
// the batch is upserted with one INSERT ... ON CONFLICT, its errors and cursor are written, and
// all of it commits in one transaction. Rows whose digest is unchanged are not rewritten, and a
// row never moves back to an older source version. A record whose write fails is isolated by
// splitting the batch under savepoints, so the rest lands. Batch sizes adapt: they grow while
// commits are fast and shrink when they are slow.
//
// With two connections the writer double-buffers: one batch commits on one connection while
// the plugin fills the next through the other. Commits still happen one at a time and in
// checkpoint order, so a crash leaves exactly the batches before some checkpoint.
//
// Links (ABI 1.1) ride with the batch they are emitted in: they stream into a staging table of
// their own by COPY and land in record_links with one upsert, in the batch's transaction, before
// its records. A column a link type owns (deals.account_id) is left alone by the row upsert (a
// new row takes it from record_links, so a link that came before its row is not lost) and
// written by that type's links alone: the to_id of the batch's last live link from the row, or,
// when the batch removes the link the column holds, the row's newest other live link of the type
// (or NULL).
class StreamWriter final : public RecordSink {
 public:
  struct Options {
    bool dryRun = false;         // count what would change; the caller owns the transaction
    bool trackSeen = false;      // record ids in sync_seen (a full refresh over existing rows)
    bool resolveErrors = false;  // mark open record errors of stored ids resolved
    // The target held no row of this source when the stream began (a first initial sync): a
    // plain INSERT does, with no conflict handling, until a conflict says otherwise.
    bool targetEmpty = false;
    std::string runId;
    std::string jobId;
    // The run doing the writing, for record_links.last_run_id (runId may name the run that began
    // a resumed full refresh); runId when empty.
    std::string writingRunId;
    // Every link type of the plugin: a link of any may come in any stream. Those with a column
    // own it (see above).
    std::vector<plugins::LinkTypeDescriptor> linkTypes;
    int initialBatch = 1000;
    int minBatch = 200;
    int maxBatch = 50000;
    std::chrono::milliseconds fastCommit{300};
    std::chrono::milliseconds slowCommit{2000};
    std::chrono::milliseconds maxBatchAge{5000};
    // A record stamped further ahead of the database's clock is a per-record error.
    std::chrono::milliseconds maxClockSkew{3'600'000};
    // The stream declares TRIBUTARY_STREAM_MODIFICATION_ORDER: a record older than the one before
    // it is a broken promise, logged once (naming both records) and kept as orderViolation().
    bool declaredOrdered = false;
    std::string label;  // the connection, for log lines ("acme/hubspot")
  };
  // `connections`: one, or two to double-buffer (not for dry runs). `hook` outlives the writer.
  StreamWriter(std::vector<db::Connection*> connections, StreamTarget target, Options options, BatchCommitHook& hook);
  ~StreamWriter();

  void add(const plugins::RecordView& record) override;
  void addError(std::string_view sourceId, std::string_view stage, std::string_view message,
                std::string_view raw) override;
  // Rides with the open batch, like its cursor: it commits with the batch's checkpoint, or with
  // finish(); abort() drops it. A later call before that replaces it.
  void stageState(std::string_view stateJson) override;
  void addLink(const plugins::LinkTypeDescriptor& type, const plugins::LinkView& link) override;
  // A checkpoint: commits when the batch is big or old enough. Returns true if it committed
  // (or started committing).
  bool checkpoint(std::string_view cursor) override;
  // Commits whatever is open, with the last checkpoint's cursor, and waits for every commit
  // (the end of a successful call). Throws what a commit threw.
  void finish();
  // Drops the open batch (a failed or cancelled call): nothing of it is stored. A commit
  // already under way completes, since it holds an earlier checkpoint.
  void abort();
  // Whether nothing was added (records, errors, links, state) since the last checkpoint: the
  // open batch is then exactly what that checkpoint covers, and finish() may store it though
  // the call did not succeed (a wait: what was read before it is kept).
  bool atCheckpoint() const { return !pastCheckpoint_; }

  WriteCounts totals() const { return totals_; }
  // Failed records that had no source id: a full refresh cannot tell which rows they were.
  int64_t unidentifiedErrors() const { return unidentified_; }
  // Records that carried a value for a column a link type owns, which the upsert ignored.
  int64_t ownedValuesIgnored() const { return encoder_.ownedValuesIgnored(); }
  int batchTarget() const { return target_; }
  // What broke the stream's declared modification order, the first time it did; none if nothing.
  const std::optional<std::string>& orderViolation() const { return orderViolation_; }
  // For a dry run's end: rows of this stream the target holds but the run did not see.
  int64_t countUnseen();

 private:
  struct PendingError {
    std::string sourceId, stage, message, raw;
  };
  // One batch being filled or committed, on its own connection.
  struct Batch {
    db::Connection* conn = nullptr;
    bool stagingReady = false;
    bool open = false;                  // records or errors have come since the last commit
    std::optional<db::Transaction> tx;  // the batch's (none in a dry run: the caller's)
    std::unique_ptr<db::CopyIn> copy;   // records streaming into the staging table
    int64_t records = 0;                // rows staged, keys-only ones included (their ord)
    int64_t keys = 0;                   // keys-only rows staged
    int64_t deleted = 0;
    int64_t failed = 0;
    std::optional<int64_t> maxModified;
    std::optional<int64_t> firstModified;
    bool outOfOrder = false;
    bool duplicates = false;
    std::unordered_set<uint64_t> ids;
    std::vector<PendingError> errors;
    int64_t errorBytes = 0;
    std::optional<std::string> cursor;
    std::optional<std::string> state;  // carried state staged since the last commit
    std::chrono::steady_clock::time_point start;
    std::vector<std::string> failedIds;  // of this batch's errors, written or not
    int64_t seenAdded = 0;               // error ids already put in sync_seen
    std::string links;                   // COPY lines of links not yet sent to the staging table
    int64_t linkCount = 0;
    int64_t linksDeleted = 0;
    std::set<std::string> linkTypes;  // the types of this batch's links
    void clear();
  };
  struct CommitResult {
    WriteCounts counts;
    std::chrono::steady_clock::duration took{};
    bool conflicted = false;  // the plain INSERT met an existing row
  };

  Batch& cur() { return slots_[cur_]; }
  void addKey(const plugins::RecordView& record);
  void watchOrder(const plugins::RecordView& record, Batch& b);
  // In the batch's transaction: its keys-only rows that have a live row of the stream, and those
  // that have none (a key also sent whole in the batch counts with the whole record).
  std::pair<int64_t, int64_t> countKeys(Batch& b);
  void ensureStaging(Batch& b);
  void begin(Batch& b);
  void startCopy(Batch& b);
  void endCopy(Batch& b);
  void startCommit();
  void collect();
  CommitResult commitBatch(Batch& b, bool plainInsert);
  WriteCounts upsert(Batch& b, int64_t lo, int64_t hi);
  int64_t plainInsert(Batch& b);
  void isolate(Batch& b, int64_t lo, int64_t hi, WriteCounts& counts);
  void writeErrors(Batch& b);
  void stageLinks(Batch& b);
  void writeLinks(Batch& b);
  void dryRunCount(Batch& b);
  void abortBatch(Batch& b);
  std::string stagingTable() const;
  std::string upsertSql(const Batch& b, bool ranged) const;
  std::string insertSql(const Batch& b) const;
  // The value a new row's column `c` gets: from the link type that owns it, or the record's.
  std::string columnValue(const Column& c) const;
  // Why a record's modification time cannot be stored (too far in the future, or before the
  // year 1); none when it can.
  std::optional<std::string> refuseTime(int64_t modifiedAtMs) const;

  StreamTarget t_;
  Options o_;
  BatchCommitHook& hook_;
  RecordEncoder encoder_;
  std::vector<const plugins::LinkTypeDescriptor*> owners_;  // per column of the entity: its owner, or null
  std::vector<Batch> slots_;
  size_t cur_ = 0;
  std::future<CommitResult> inflight_;
  bool plainInsert_ = false;
  bool pastCheckpoint_ = false;  // something was added since the last checkpoint
  std::string line_;
  std::string keyColumns_;  // a keys-only row's columns after its source id: none set
  int target_;
  WriteCounts totals_;
  int64_t unidentified_ = 0;
  std::string readStartedAt_;    // the database's clock when the stream's read began
  int64_t dbClockOffsetMs_ = 0;  // the database's clock minus this host's
  // Declared modification order: the last record with a time, and the first break of the order.
  std::optional<int64_t> lastModifiedMs_;
  std::string lastId_;
  std::optional<std::string> orderViolation_;
};

}  // namespace tributary::engine
