#include "engine/StreamWriter.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <unordered_map>

#include "common/Log.h"
#include "common/Redact.h"
#include "common/Strings.h"
#include "common/Time.h"
#include "config/Duration.h"
#include "db/PgArray.h"
#include "queue/Worker.h"

namespace tributary::engine {
namespace {

constexpr int64_t kErrorFlushBytes = 4 * 1024 * 1024;
// Links buffered past this are sent to their staging table before the batch ends.
constexpr size_t kLinkFlushBytes = 4 * 1024 * 1024;
constexpr const char* kLinkStage = "trib_stage_links";

std::string firstLine(const std::string& s) {
  auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

// Errors that say nothing about the records: a deadlock, a serialization failure, a lock or
// statement timeout, resources. The batch is tried again (or the call fails), never split.
bool transient(const db::DbError& e) {
  const std::string& s = e.sqlstate();
  return s.rfind("40", 0) == 0 || s.rfind("55", 0) == 0 || s.rfind("57", 0) == 0 || s.rfind("53", 0) == 0 ||
         e.isConnectionFailure();
}

// The database's complaint about one record, without the statement it came from.
std::string refusal(const std::string& what) {
  std::string message = firstLine(what);
  if (auto in = message.find(" ["); in != std::string::npos) message = message.substr(0, in);
  if (auto in = message.find(" (in: "); in != std::string::npos) message = message.substr(0, in);
  return "the database refused the record: " + message;
}

// The to_id of the newest live link of type `type` (SQL) from the row `row` (an alias) of
// connection `conn` (SQL): what a column the type owns holds when no link of this batch says.
std::string newestLiveLink(const std::string& conn, const std::string& type, const std::string& row) {
  return "(SELECT l.to_id FROM record_links l WHERE l.connection_id = " + conn + "::uuid AND l.type = " + type +
         " AND l.from_id = " + row +
         ".source_id AND l.deleted_at IS NULL ORDER BY l.updated_at DESC, l.seq DESC LIMIT 1)";
}

}  // namespace

WriteCounts& WriteCounts::operator+=(const WriteCounts& o) {
  records += o.records;
  inserted += o.inserted;
  updated += o.updated;
  unchanged += o.unchanged;
  deleted += o.deleted;
  failed += o.failed;
  batches += o.batches;
  links += o.links;
  linksDeleted += o.linksDeleted;
  keysOnlyMissing += o.keysOnlyMissing;
  return *this;
}

void StreamWriter::Batch::clear() {
  records = 0;
  keys = 0;
  deleted = 0;
  failed = 0;
  maxModified.reset();
  firstModified.reset();
  outOfOrder = false;
  duplicates = false;
  ids.clear();
  errors.clear();
  errorBytes = 0;
  cursor.reset();
  state.reset();
  start = std::chrono::steady_clock::now();
  failedIds.clear();
  seenAdded = 0;
  links.clear();
  linkCount = 0;
  linksDeleted = 0;
  linkTypes.clear();
}

StreamWriter::StreamWriter(std::vector<db::Connection*> connections, StreamTarget target, Options options,
                           BatchCommitHook& hook)
    : t_(std::move(target)), o_(std::move(options)), hook_(hook), encoder_(t_.entity) {
  if (connections.empty()) throw std::invalid_argument("StreamWriter needs a connection");
  if (o_.writingRunId.empty()) o_.writingRunId = o_.runId;
  if (t_.entity) {
    owners_.assign(t_.entity->columns.size(), nullptr);
    for (const auto& lt : o_.linkTypes) {
      if (lt.column.empty() || lt.fromEntity != t_.entity->table) continue;
      const int i = t_.entity->columnIndex(lt.column);
      if (i < 0) continue;  // the loader refuses such a plugin
      owners_[static_cast<size_t>(i)] = &lt;
      encoder_.own(static_cast<size_t>(i));
    }
  }
  const size_t n = o_.dryRun ? 1 : connections.size();
  slots_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Batch b;
    b.conn = connections[i];
    b.start = std::chrono::steady_clock::now();
    slots_.push_back(std::move(b));
  }
  target_ = o_.initialBatch;
  plainInsert_ = o_.targetEmpty && !o_.dryRun;
  if (o_.label.empty()) o_.label = t_.source;
  // ord and source_id come first; then modified_ms, deleted, hash and raw, and the entity's columns.
  keyColumns_ = "\t\\N\tf\t\\N\t\\N";
  if (t_.entity) {
    for (size_t i = 0; i < t_.entity->columns.size(); ++i) keyColumns_ += "\t\\N";
  }
  keyColumns_ += '\n';
  for (auto& b : slots_) ensureStaging(b);
  // The database's clock, not this host's: records are judged against it, and the rows this
  // stream writes name it as the time their read began.
  auto clock =
      slots_[0].conn->exec("SELECT clock_timestamp()::text, (extract(epoch from clock_timestamp()) * 1000)::bigint");
  readStartedAt_ = clock.text(0, 0);
  dbClockOffsetMs_ = clock.int64(0, 1) - time::toEpochMs(time::Clock::now());
}

std::optional<std::string> StreamWriter::refuseTime(int64_t ms) const {
  // Earlier than this, or later than the year 9999, PostgreSQL's time arithmetic and our own
  // formatting are not to be trusted with it, whatever the clock says.
  constexpr int64_t kEarliestMs = -62'135'596'800'000;  // 0001-01-01T00:00:00Z
  constexpr int64_t kLatestMs = 253'402'300'799'999;    // 9999-12-31T23:59:59.999Z
  if (ms < kEarliestMs) {
    return "modified_at_ms is " + std::to_string(ms) + ", before the year 1: not a time the engine stores";
  }
  const int64_t dbNow = time::toEpochMs(time::Clock::now()) + dbClockOffsetMs_;
  if (ms - dbNow > o_.maxClockSkew.count()) {
    return "modified_at_ms is " + std::to_string(ms) + " (" +
           (ms > kLatestMs ? "after the year 9999" : time::iso8601Ms(ms)) + "), more than " +
           config::formatDuration(o_.maxClockSkew) + " (sync.max_clock_skew) ahead of the database's clock (" +
           time::iso8601Ms(dbNow) +
           "): a time from the future would stop every later incremental sync, so the record is "
           "not stored";
  }
  return std::nullopt;
}

StreamWriter::~StreamWriter() {
  try {
    abort();
  } catch (...) {
  }
}

std::string StreamWriter::stagingTable() const {
  return "trib_stage_" + (t_.entity ? t_.entity->table : std::string("records"));
}

void StreamWriter::ensureStaging(Batch& b) {
  if (b.stagingReady) return;
  std::string sql = "CREATE TEMP TABLE IF NOT EXISTS " + stagingTable() +
                    " (ord bigint, source_id text, modified_ms bigint, deleted boolean, hash bigint, raw text";
  if (t_.entity) {
    for (const auto& c : t_.entity->columns) sql += ", " + strings::quoteIdent(c.name) + " text";
  }
  sql += ") ON COMMIT DELETE ROWS";
  b.conn->execScript(sql);
  if (!o_.linkTypes.empty() && !o_.dryRun) {
    b.conn->execScript(std::string("CREATE TEMP TABLE IF NOT EXISTS ") + kLinkStage +
                       " (ord bigint, type text, from_entity text, from_id text, to_entity text, to_id text,"
                       " deleted boolean) ON COMMIT DELETE ROWS");
  }
  if (o_.dryRun) b.conn->execScript("CREATE TEMP TABLE IF NOT EXISTS trib_dry_seen (stream text, source_id text)");
  b.stagingReady = true;
}

void StreamWriter::begin(Batch& b) {
  // A dry run's caller owns the one transaction everything runs in.
  if (!o_.dryRun && !b.tx) b.tx.emplace(*b.conn);
  b.open = true;
}

void StreamWriter::startCopy(Batch& b) {
  std::string sql = "COPY " + stagingTable() + " (ord, source_id, modified_ms, deleted, hash, raw";
  if (t_.entity) {
    for (const auto& c : t_.entity->columns) sql += ", " + strings::quoteIdent(c.name);
  }
  sql += ") FROM STDIN";
  b.copy = std::make_unique<db::CopyIn>(*b.conn, std::move(sql));
}

void StreamWriter::endCopy(Batch& b) {
  if (!b.copy) return;
  auto copy = std::move(b.copy);
  try {
    copy->end();
  } catch (const db::DbError& e) {
    throw db::DbError("COPY into " + stagingTable() + " failed: " + e.what(), e.sqlstate());
  }
}

void StreamWriter::add(const plugins::RecordView& rec) {
  pastCheckpoint_ = true;
  if (rec.keysOnly) {
    addKey(rec);
    return;
  }
  if (rec.sourceId.empty()) {
    addError("", "validate", "the record has no source id", rec.rawJson);
    return;
  }
  if (!validText(rec.sourceId) || !validText(rec.rawJson)) {
    addError(validText(rec.sourceId) ? rec.sourceId : std::string_view(), "validate",
             "the record is not valid UTF-8 (or holds a NUL byte)", validText(rec.rawJson) ? rec.rawJson : "");
    return;
  }
  if (rec.modifiedAtMs) {
    if (auto why = refuseTime(*rec.modifiedAtMs)) {
      addError(rec.sourceId, "validate", *why, rec.rawJson);
      return;
    }
  }
  Batch& b = cur();
  line_.clear();
  line_ += std::to_string(b.records);
  line_ += '\t';
  appendCopyText(line_, rec.sourceId);
  line_ += '\t';
  if (rec.modifiedAtMs) line_ += std::to_string(*rec.modifiedAtMs);
  else line_ += "\\N";
  line_ += rec.deleted ? "\tt\t" : "\tf\t";
  XXH3_state_t st;
  XXH3_64bits_reset(&st);
  XXH3_64bits_update(&st, rec.fieldsJson.data(), rec.fieldsJson.size());
  XXH3_64bits_update(&st, "\x1f", 1);
  XXH3_64bits_update(&st, rec.rawJson.data(), rec.rawJson.size());
  XXH3_64bits_update(&st, rec.deleted ? "D" : "L", 1);
  line_ += std::to_string(static_cast<int64_t>(XXH3_64bits_digest(&st)));
  line_ += '\t';
  appendCopyText(line_, rec.rawJson);
  if (t_.entity) {
    if (auto err = encoder_.encode(rec.fieldsJson, line_)) {
      addError(rec.sourceId, "validate", *err, rec.rawJson);
      return;
    }
  }
  line_ += '\n';
  begin(b);
  if (!b.copy) startCopy(b);
  if (!b.ids.insert(XXH3_64bits(rec.sourceId.data(), rec.sourceId.size())).second) b.duplicates = true;
  b.copy->put(line_);
  ++b.records;
  if (rec.deleted) ++b.deleted;
  if (o_.declaredOrdered) watchOrder(rec, b);
  if (rec.modifiedAtMs) {
    if (!b.maxModified) {
      b.maxModified = b.firstModified = rec.modifiedAtMs;
    } else if (*rec.modifiedAtMs > *b.maxModified) {
      b.maxModified = rec.modifiedAtMs;
    } else if (*rec.modifiedAtMs < *b.maxModified) {
      b.outOfOrder = true;
    }
  }
}

void StreamWriter::addKey(const plugins::RecordView& rec) {
  // Its fields and raw (empty by the ABI) are not read: a keys-only record says only "seen". Nor is
  // its time: it writes no version of the row, so it moves no watermark.
  if (rec.sourceId.empty()) {
    addError("", "validate", "the record has no source id", "");
    return;
  }
  if (!validText(rec.sourceId)) {
    addError("", "validate", "the record is not valid UTF-8 (or holds a NUL byte)", "");
    return;
  }
  Batch& b = cur();
  line_.clear();
  line_ += std::to_string(b.records);
  line_ += '\t';
  appendCopyText(line_, rec.sourceId);
  line_ += keyColumns_;
  begin(b);
  if (!b.copy) startCopy(b);
  b.copy->put(line_);
  ++b.records;
  ++b.keys;
}

void StreamWriter::watchOrder(const plugins::RecordView& rec, Batch& b) {
  if (!rec.modifiedAtMs) return;
  if (lastModifiedMs_ && *rec.modifiedAtMs < *lastModifiedMs_ && !orderViolation_) {
    orderViolation_ = "the stream declares TRIBUTARY_STREAM_MODIFICATION_ORDER, but record '" +
                      std::string(rec.sourceId) + "' (modified " + time::iso8601Ms(*rec.modifiedAtMs) +
                      ") came after record '" + lastId_ + "' (modified " + time::iso8601Ms(*lastModifiedMs_) +
                      "); this run is treated as unordered, so the next incremental starts from its first batch. "
                      "Fix the plugin's order, or drop the flag";
    log::warn("engine", "{} stream {}: {}", o_.label, t_.stream, *orderViolation_);
    b.outOfOrder = true;  // the safe path, even when the two records are in different batches
  }
  lastModifiedMs_ = rec.modifiedAtMs;
  lastId_.assign(rec.sourceId);
}

std::pair<int64_t, int64_t> StreamWriter::countKeys(Batch& b) {
  // A key sent whole in the same batch was written (and counted) as a record.
  const std::string alsoWhole = b.keys < b.records ? " AND NOT EXISTS (SELECT 1 FROM " + stagingTable() +
                                                         " f WHERE f.source_id = k.source_id AND f.hash IS NOT NULL)"
                                                   : "";
  auto r = b.conn->exec(
      "SELECT count(*), count(*) FILTER (WHERE t.source_id IS NULL) FROM (SELECT DISTINCT source_id"
      " FROM " +
          stagingTable() + " k WHERE k.hash IS NULL" + alsoWhole + ") k LEFT JOIN " + t_.table() +
          " t ON t.workspace_id = $1::uuid AND t.source = $2 AND t.source_id = k.source_id"
          " AND t.stream = $3 AND t.deleted_at IS NULL",
      t_.workspaceId, t_.source, t_.stream);
  const int64_t missing = r.int64(0, 1);
  return {r.int64(0, 0) - missing, missing};
}

void StreamWriter::addError(std::string_view sourceId, std::string_view stage, std::string_view message,
                            std::string_view raw) {
  pastCheckpoint_ = true;
  Batch& b = cur();
  std::string rawCopy(validText(raw) ? raw : std::string_view());
  b.errorBytes += static_cast<int64_t>(rawCopy.size() + message.size());
  ++b.failed;
  if (sourceId.empty()) ++unidentified_;
  else b.failedIds.emplace_back(sourceId);
  b.errors.push_back({std::string(sourceId), std::string(stage), std::string(message), std::move(rawCopy)});
  if (!o_.dryRun && b.errorBytes > kErrorFlushBytes) {
    // Many or large errors: write them now, inside the open batch, to keep memory bounded. The
    // batch committing on the other connection goes first: both may touch the same error rows.
    collect();
    begin(b);
    endCopy(b);
    writeErrors(b);
  }
}

void StreamWriter::addLink(const plugins::LinkTypeDescriptor& type, const plugins::LinkView& l) {
  pastCheckpoint_ = true;
  Batch& b = cur();
  begin(b);
  if (!o_.dryRun) {
    std::string& out = b.links;
    out += std::to_string(b.linkCount);
    out += '\t';
    appendCopyText(out, type.name);
    out += '\t';
    appendCopyText(out, type.fromEntity);
    out += '\t';
    appendCopyText(out, l.fromId);
    out += '\t';
    appendCopyText(out, type.toEntity);
    out += '\t';
    appendCopyText(out, l.toId);
    out += l.deleted ? "\tt\n" : "\tf\n";
    b.linkTypes.insert(type.name);
  }
  ++b.linkCount;
  if (l.deleted) ++b.linksDeleted;
  // An association pass may emit links by the hundred thousand between checkpoints: memory stays
  // bounded as it does for records.
  if (b.links.size() > kLinkFlushBytes) stageLinks(b);
}

void StreamWriter::stageLinks(Batch& b) {
  if (b.links.empty()) return;
  endCopy(b);  // one COPY at a time on a connection: the records' restarts at their next one
  db::CopyIn copy(*b.conn, std::string("COPY ") + kLinkStage +
                               " (ord, type, from_entity, from_id, to_entity, to_id, deleted) FROM STDIN");
  copy.put(b.links);
  try {
    copy.end();
  } catch (const db::DbError& e) {
    throw db::DbError(std::string("COPY into ") + kLinkStage + " failed: " + e.what(), e.sqlstate());
  }
  b.links.clear();
}

void StreamWriter::writeLinks(Batch& b) {
  stageLinks(b);
  const db::Param runId = o_.writingRunId.empty() ? db::Param() : db::Param(o_.writingRunId);
  // The batch's last word on each link wins (emitted, then removed: removed). A link emitted again
  // unchanged is not rewritten; one emitted again after its removal comes back.
  const std::string upsert =
      std::string("WITH src AS (SELECT DISTINCT ON (type, from_id, to_id) * FROM ") + kLinkStage +
      " ORDER BY type, from_id, to_id, ord DESC)"
      " INSERT INTO record_links AS l (workspace_id, connection_id, type, from_entity, from_id,"
      " to_entity, to_id, deleted_at, last_run_id)"
      " SELECT $1::uuid, $2::uuid, s.type, s.from_entity, s.from_id, s.to_entity, s.to_id,"
      " CASE WHEN s.deleted THEN now() END, $3::uuid FROM src s"
      // Unchanged links are skipped here, unlocked: ON CONFLICT would lock (and so write) each of
      // them only to leave it as it is. A lateral lookup by the key, not an anti-join: the table
      // may have no statistics yet, and a hash anti-join would read all of it for every batch.
      " LEFT JOIN LATERAL (SELECT o.deleted_at IS NULL AS live, o.from_entity, o.to_entity FROM record_links o"
      " WHERE o.connection_id = $2::uuid AND o.type = s.type AND o.from_id = s.from_id AND o.to_id = s.to_id"
      " LIMIT 1) o ON true WHERE o.live IS NULL OR o.live = s.deleted OR o.from_entity <> s.from_entity"
      " OR o.to_entity <> s.to_entity ORDER BY s.ord"
      " ON CONFLICT (connection_id, type, from_id, to_id) DO UPDATE SET"
      " workspace_id = EXCLUDED.workspace_id, from_entity = EXCLUDED.from_entity,"
      " to_entity = EXCLUDED.to_entity, deleted_at = EXCLUDED.deleted_at, updated_at = now(),"
      " last_run_id = EXCLUDED.last_run_id"
      " WHERE (l.deleted_at IS NULL) <> (EXCLUDED.deleted_at IS NULL)"
      " OR l.from_entity <> EXCLUDED.from_entity OR l.to_entity <> EXCLUDED.to_entity";
  for (int attempt = 1;; ++attempt) {
    db::Savepoint sp(*b.conn, "trib_links");
    try {
      b.conn->exec(upsert, t_.workspaceId, t_.connectionId, runId);
      for (const auto& lt : o_.linkTypes) {
        if (lt.column.empty() || !b.linkTypes.count(lt.name)) continue;
        const Entity* from = findEntity(lt.fromEntity);
        if (!from) continue;  // the loader refuses such a plugin
        const std::string col = strings::quoteIdent(lt.column);
        // Per from row, the batch's links of the type after the batch's last word on each: the
        // last one emitted live sets the column; with none live, removing the one the column
        // holds hands it to the row's newest other live link, or NULL.
        b.conn->exec(std::string("WITH ev AS (SELECT DISTINCT ON (from_id, to_id) from_id, to_id, deleted, ord FROM ") +
                         kLinkStage +
                         " WHERE type = $3 ORDER BY from_id, to_id, ord DESC),"
                         " pick AS (SELECT from_id, (array_agg(to_id ORDER BY ord DESC) FILTER (WHERE NOT deleted))[1]"
                         " AS live_to, array_agg(to_id) FILTER (WHERE deleted) AS removed FROM ev GROUP BY from_id)"
                         " UPDATE " +
                         from->table + " t SET " + col + " = coalesce(p.live_to, " + newestLiveLink("$4", "$3", "t") +
                         "), updated_at = now() FROM pick p WHERE t.workspace_id = $1::uuid AND t.source = $2"
                         " AND t.source_id = p.from_id AND CASE WHEN p.live_to IS NOT NULL THEN t." +
                         col + " IS DISTINCT FROM p.live_to ELSE t." + col + " = ANY(p.removed) END",
                     t_.workspaceId, t_.source, lt.name, t_.connectionId);
      }
      sp.release();
      return;
    } catch (const db::DbError& e) {
      if (b.conn->isBroken()) throw;
      sp.rollback();
      // A backfill's association pass beside a sync of the same rows: a deadlock's victim tries
      // again. Anything else fails the batch (and the call, which is retried).
      if (!transient(e) || attempt >= 3) throw;
      log::info("engine", "the {} links of a batch of {} hit {}; trying them again", b.linkCount, t_.stream,
                firstLine(e.what()));
    }
  }
}

void StreamWriter::stageState(std::string_view stateJson) {
  pastCheckpoint_ = true;
  cur().state = std::string(stateJson);
}

bool StreamWriter::checkpoint(std::string_view cursor) {
  pastCheckpoint_ = false;
  Batch& b = cur();
  b.cursor = std::string(cursor);
  const auto age = std::chrono::steady_clock::now() - b.start;
  const int64_t size = b.records + static_cast<int64_t>(b.errors.size()) + b.failed + b.linkCount;
  if (size == 0 && !b.open) return false;  // nothing to store yet; the cursor rides with the next batch
  if (size >= target_ || age >= o_.maxBatchAge) {
    startCommit();
    return true;
  }
  return false;
}

void StreamWriter::collect() {
  if (!inflight_.valid()) return;
  CommitResult r = inflight_.get();  // rethrows a commit's failure
  totals_ += r.counts;
  if (r.conflicted) plainInsert_ = false;
  if (r.took < o_.fastCommit && r.counts.records + r.counts.links >= target_)
    target_ = std::min(o_.maxBatch, target_ * 2);
  else if (r.took > o_.slowCommit) target_ = std::max(o_.minBatch, target_ / 2);
}

void StreamWriter::startCommit() {
  if (o_.dryRun) {
    dryRunCount(cur());
    return;
  }
  collect();  // one commit at a time, in checkpoint order
  Batch& b = cur();
  const bool plain = plainInsert_;
  if (slots_.size() == 1) {
    auto r = commitBatch(b, plain);
    std::promise<CommitResult> done;
    done.set_value(r);
    inflight_ = done.get_future();
    collect();
    return;
  }
  // The batch commits on its own connection while the next one fills the other.
  endCopy(b);  // the COPY stream belongs to this thread's protocol exchange; finish it here
  inflight_ = std::async(std::launch::async, [this, &b, plain] {
    // A crash here is this job's, for the supervisor's account.
    queue::setCrashTag(o_.jobId);
    return commitBatch(b, plain);
  });
  cur_ = (cur_ + 1) % slots_.size();
  cur().clear();
}

int64_t StreamWriter::plainInsert(Batch& b) {
  return b.conn->exec(insertSql(b), t_.workspaceId, t_.source, t_.connectionId, t_.stream, readStartedAt_).affected();
}

StreamWriter::CommitResult StreamWriter::commitBatch(Batch& b, bool plain) {
  const auto started = std::chrono::steady_clock::now();
  CommitResult result;
  begin(b);
  endCopy(b);
  CommitInfo info;
  info.cursor = b.cursor.value_or("");
  info.maxModifiedMs = b.maxModified;
  info.firstModifiedMs = b.firstModified;
  info.outOfOrder = b.outOfOrder;
  info.state = b.state;
  WriteCounts& c = info.counts;
  c.records = b.records;
  c.batches = 1;
  // Links first: the batch's new rows then take their owned columns from them as they are
  // inserted, instead of being written twice.
  if (b.linkCount > 0) writeLinks(b);
  if (b.records > 0) {
    // Only keys: nothing to write, only to count and to mark seen.
    bool done = b.keys == b.records;
    if (!done && plain && !b.duplicates) {
      db::Savepoint sp(*b.conn, "trib_batch");
      try {
        c.inserted = plainInsert(b);
        c.deleted = b.deleted;
        sp.release();
        done = true;
      } catch (const db::DbError& e) {
        if (b.conn->isBroken()) throw;
        sp.rollback();
        result.conflicted = true;  // rows exist after all: upsert from now on
        log::debug("engine", "plain insert into {} met existing rows ({}); upserting", t_.stream, firstLine(e.what()));
      }
    }
    for (int attempt = 1; !done; ++attempt) {
      db::Savepoint sp(*b.conn, "trib_batch");
      try {
        c += upsert(b, 0, b.records - 1);
        sp.release();
        done = true;
      } catch (const db::DbError& e) {
        if (b.conn->isBroken()) throw;
        sp.rollback();
        if (transient(e)) {
          // Two runs upserting the same rows in different orders (a backfill beside a sync):
          // PostgreSQL picked this one as the deadlock's victim. Try again, then give up.
          if (attempt >= 3) throw;
          log::info("engine", "a batch of {} records of {} hit {}; trying it again", b.records, t_.stream,
                    firstLine(e.what()));
          continue;
        }
        log::info("engine", "a batch of {} records of {} failed to write ({}); isolating the bad records", b.records,
                  t_.stream, firstLine(e.what()));
        isolate(b, 0, b.records - 1, c);
        done = true;
      }
    }
    if (b.keys > 0) {
      auto [present, missing] = countKeys(b);
      c.unchanged += present;
      c.keysOnlyMissing += missing;
    }
    if (o_.trackSeen) {
      auto r = b.conn->exec(
          "INSERT INTO sync_seen (run_id, stream, source_id) SELECT DISTINCT $1::uuid, $2, source_id FROM " +
              stagingTable(),
          o_.runId, t_.stream);
      info.seenAdded = r.affected();
    }
    if (o_.resolveErrors) {
      // Stored now, so their open errors are resolved; not the ones that failed again here.
      b.conn->exec(
          "UPDATE sync_record_errors SET resolved_at = now() WHERE resolved_at IS NULL AND connection_id = $1::uuid"
          " AND stream = $2 AND source_id IN (SELECT source_id FROM " +
              stagingTable() + (b.keys > 0 ? " WHERE hash IS NOT NULL" : "") +
              ")"
              " AND NOT (source_id = ANY($3::text[]))",
          t_.connectionId, t_.stream, db::textArray(b.failedIds));
    }
  }
  c.links = b.linkCount;
  c.linksDeleted = b.linksDeleted;
  writeErrors(b);
  info.seenAdded += b.seenAdded;
  c.failed = b.failed;
  if (c.records > 0 && c.failed * 10 > c.records + c.failed) {
    log::warn("engine", "{} of {} records of stream {} failed in one batch (over 10%)", c.failed, c.records + c.failed,
              t_.stream);
  }
  hook_.beforeCommit(*b.conn, info);
  b.tx->commit();
  b.tx.reset();
  b.open = false;
  result.counts = c;
  result.took = std::chrono::steady_clock::now() - started;
  b.clear();
  return result;
}

std::string StreamWriter::columnValue(const Column& c) const {
  const size_t i = static_cast<size_t>(t_.entity->columnIndex(c.name));
  // A new row's owned column comes from the links already stored: an association pass that ran
  // before the records is not lost. ($3 is the connection in both statements below.)
  if (owners_[i]) return newestLiveLink("$3", strings::quoteLiteral(owners_[i]->name), "s");
  return "s." + strings::quoteIdent(c.name) + (c.type == ColumnType::Text ? "" : "::" + std::string(sqlType(c.type)));
}

std::string StreamWriter::insertSql(const Batch& b) const {
  // A keys-only row has no digest: it is nothing to insert.
  const std::string rows = stagingTable() + " s" + (b.keys > 0 ? " WHERE s.hash IS NOT NULL" : "");
  const std::string modified =
      "CASE WHEN s.modified_ms IS NULL THEN NULL ELSE 'epoch'::timestamptz + s.modified_ms * interval '1 millisecond' END";
  if (!t_.entity) {
    return "INSERT INTO records (workspace_id, source, stream, source_id, connection_id, data, raw_hash,"
           " source_modified_at, source_read_at, deleted_at) SELECT $1::uuid, $2, $4, s.source_id, $3::uuid,"
           " s.raw::jsonb, s.hash, " +
           modified + ", $5::timestamptz, CASE WHEN s.deleted THEN now() END FROM " + rows;
  }
  std::string cols, exprs;
  for (const auto& c : t_.entity->columns) {
    cols += ", " + strings::quoteIdent(c.name);
    exprs += ", " + columnValue(c);
  }
  return "INSERT INTO " + t_.entity->table + " (workspace_id, source, source_id, connection_id, stream" + cols +
         ", raw, raw_hash, source_modified_at, source_read_at, deleted_at) SELECT $1::uuid, $2, s.source_id, $3::uuid,"
         " $4" +
         exprs + ", s.raw::jsonb, s.hash, " + modified + ", $5::timestamptz, CASE WHEN s.deleted THEN now() END FROM " +
         rows;
}

std::string StreamWriter::upsertSql(const Batch& b, bool ranged) const {
  const std::string stage = stagingTable();
  // Keys-only rows (no digest) are not written.
  std::string where = ranged ? " WHERE ord BETWEEN $6 AND $7" : "";
  if (b.keys > 0) where += where.empty() ? " WHERE hash IS NOT NULL" : " AND hash IS NOT NULL";
  std::string src = b.duplicates
                        ? "SELECT DISTINCT ON (source_id) * FROM " + stage + where + " ORDER BY source_id, ord DESC"
                        : "SELECT * FROM " + stage + where;
  const std::string modified =
      "CASE WHEN s.modified_ms IS NULL THEN NULL ELSE 'epoch'::timestamptz + s.modified_ms * interval '1 millisecond' END";
  // Written only when the digest or the deletion changed, and never over a newer source
  // version: a newer source time wins, an older one never does. With equal times (sources with
  // second-granularity times), or when the record carries no time, the read that began later
  // wins (the same read may rewrite its own rows); and a missing time never clears a known one.
  const std::string onConflict =
      ", raw_hash = EXCLUDED.raw_hash,"
      " source_modified_at = coalesce(EXCLUDED.source_modified_at, t.source_modified_at),"
      " source_read_at = EXCLUDED.source_read_at,"
      " deleted_at = CASE WHEN EXCLUDED.deleted_at IS NULL THEN NULL ELSE coalesce(t.deleted_at, EXCLUDED.deleted_at) END,"
      " updated_at = now()"
      " WHERE (t.raw_hash <> EXCLUDED.raw_hash OR (t.deleted_at IS NULL) <> (EXCLUDED.deleted_at IS NULL))"
      " AND ((EXCLUDED.source_modified_at IS NOT NULL"
      "       AND (t.source_modified_at IS NULL OR EXCLUDED.source_modified_at > t.source_modified_at))"
      "   OR ((EXCLUDED.source_modified_at IS NULL OR EXCLUDED.source_modified_at = t.source_modified_at)"
      "       AND (t.source_read_at IS NULL OR EXCLUDED.source_read_at >= t.source_read_at)))"
      " RETURNING (xmax = 0) AS inserted, deleted_at IS NOT NULL AS deleted)"
      " SELECT (SELECT count(*) FROM src), count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),"
      " count(*) FILTER (WHERE deleted) FROM up";
  if (t_.entity) {
    std::string cols, exprs, sets;
    for (size_t i = 0; i < t_.entity->columns.size(); ++i) {
      const Column& c = t_.entity->columns[i];
      const std::string q = strings::quoteIdent(c.name);
      cols += ", " + q;
      exprs += ", " + columnValue(c);
      if (!owners_[i]) sets += ", " + q + " = EXCLUDED." + q;  // an owned column is its links' alone
    }
    return "WITH src AS (" + src + "), up AS (INSERT INTO " + t_.entity->table +
           " AS t (workspace_id, source, source_id, connection_id, stream" + cols +
           ", raw, raw_hash, source_modified_at, source_read_at, deleted_at)"
           " SELECT $1::uuid, $2, s.source_id, $3::uuid, $4" +
           exprs + ", s.raw::jsonb, s.hash, " + modified +
           ", $5::timestamptz, CASE WHEN s.deleted THEN now() END FROM src s"
           " ON CONFLICT (workspace_id, source, source_id) DO UPDATE SET connection_id = EXCLUDED.connection_id,"
           " stream = EXCLUDED.stream" +
           sets + ", raw = EXCLUDED.raw" + onConflict;
  }
  return "WITH src AS (" + src +
         "), up AS (INSERT INTO records AS t (workspace_id, source, stream, source_id, connection_id, data, raw_hash,"
         " source_modified_at, source_read_at, deleted_at)"
         " SELECT $1::uuid, $2, $4, s.source_id, $3::uuid, s.raw::jsonb, s.hash, " +
         modified +
         ", $5::timestamptz, CASE WHEN s.deleted THEN now() END FROM src s"
         " ON CONFLICT (workspace_id, source, stream, source_id) DO UPDATE SET connection_id = EXCLUDED.connection_id,"
         " data = EXCLUDED.data" +
         onConflict;
}

WriteCounts StreamWriter::upsert(Batch& b, int64_t lo, int64_t hi) {
  const bool ranged = lo > 0 || hi < b.records - 1;
  db::Result r =
      ranged ? b.conn->exec(upsertSql(b, true), t_.workspaceId, t_.source, t_.connectionId, t_.stream, readStartedAt_,
                            lo, hi)
             : b.conn->exec(upsertSql(b, false), t_.workspaceId, t_.source, t_.connectionId, t_.stream, readStartedAt_);
  WriteCounts c;
  const int64_t distinct = r.int64(0, 0);
  c.inserted = r.int64(0, 1);
  c.updated = r.int64(0, 2);
  c.deleted = r.int64(0, 3);
  c.unchanged = distinct - c.inserted - c.updated;
  return c;
}

void StreamWriter::isolate(Batch& b, int64_t lo, int64_t hi, WriteCounts& counts) {
  db::Savepoint sp(*b.conn, "trib_part");
  try {
    counts += upsert(b, lo, hi);
    sp.release();
    return;
  } catch (const db::DbError& e) {
    if (b.conn->isBroken()) throw;
    sp.rollback();
    if (transient(e)) throw;  // not the record's fault: the call fails and is retried
    if (lo == hi) {
      auto row = b.conn->exec("SELECT source_id, raw FROM " + stagingTable() + " WHERE ord = $1", lo);
      b.errors.push_back(
          {row.empty() ? "" : row.text(0, 0), "write", refusal(e.what()), row.empty() ? "" : row.text(0, 1)});
      if (!row.empty()) b.failedIds.push_back(row.text(0, 0));
      ++b.failed;
      return;
    }
  }
  const int64_t mid = lo + (hi - lo) / 2;
  isolate(b, lo, mid, counts);
  isolate(b, mid + 1, hi, counts);
}

void StreamWriter::writeErrors(Batch& b) {
  if (b.errors.empty()) return;
  // One row per record: the last error of a record that failed twice in the batch wins.
  std::vector<std::string> ids, stages, messages, raws;
  std::unordered_map<std::string, size_t> seen;
  for (auto& e : b.errors) {
    if (!e.sourceId.empty()) {
      if (auto it = seen.find(e.sourceId); it != seen.end()) {
        stages[it->second] = e.stage;
        messages[it->second] = e.message;
        raws[it->second] = e.raw;
        continue;
      }
      seen.emplace(e.sourceId, ids.size());
    }
    ids.push_back(e.sourceId);
    stages.push_back(e.stage);
    messages.push_back(e.message);
    raws.push_back(e.raw);
  }
  // A record's error is the plugin's or the encoder's words, shown by `records replay --list`
  // and the API: redacted as a run's errors are (the raw record is the vendor's data, kept).
  for (auto& m : messages) m = redact::text(m);
  // A record with an open error that fails again updates that error, so the list stays one row
  // per broken record however often it is retried.
  b.conn->exec(
      "INSERT INTO sync_record_errors (workspace_id, connection_id, run_id, job_id, stream, source_id, stage, error, raw)"
      " SELECT $1::uuid, $2::uuid, $3::uuid, $4::uuid, $5, nullif(i, ''), s, m, nullif(r, '')"
      " FROM unnest($6::text[], $7::text[], $8::text[], $9::text[]) AS u(i, s, m, r)"
      " ON CONFLICT (connection_id, stream, source_id) WHERE resolved_at IS NULL AND source_id IS NOT NULL"
      " DO UPDATE SET stage = EXCLUDED.stage, error = EXCLUDED.error, raw = EXCLUDED.raw, run_id = EXCLUDED.run_id,"
      " job_id = EXCLUDED.job_id, occurrences = sync_record_errors.occurrences + 1, created_at = now()",
      t_.workspaceId, t_.connectionId, o_.runId.empty() ? db::Param() : db::Param(o_.runId),
      o_.jobId.empty() ? db::Param() : db::Param(o_.jobId), t_.stream, db::textArray(ids), db::textArray(stages),
      db::textArray(messages), db::textArray(raws));
  if (o_.trackSeen) {
    // A record that failed was still seen: a full refresh must not take its row for deleted.
    std::vector<std::string> named;
    for (const auto& id : ids) {
      if (!id.empty()) named.push_back(id);
    }
    if (!named.empty()) {
      b.seenAdded += b.conn
                         ->exec(
                             "INSERT INTO sync_seen (run_id, stream, source_id) SELECT $1::uuid, $2, i"
                             " FROM unnest($3::text[]) AS i",
                             o_.runId, t_.stream, db::textArray(named))
                         .affected();
    }
  }
  b.errors.clear();
  b.errorBytes = 0;
}

void StreamWriter::dryRunCount(Batch& b) {
  endCopy(b);
  WriteCounts c;
  c.records = b.records;
  c.failed = b.failed;
  if (b.records > 0) {
    const std::string target = t_.entity ? t_.entity->table : std::string("records");
    const std::string streamCond = t_.entity ? " AND $4::text IS NOT NULL" : " AND t.stream = $4";
    auto r = b.conn->exec(
        "WITH src AS (SELECT DISTINCT ON (source_id) * FROM " + stagingTable() +
            (b.keys > 0 ? " WHERE hash IS NOT NULL" : "") +
            " ORDER BY source_id, ord DESC)"
            " SELECT count(*), count(*) FILTER (WHERE t.source_id IS NULL),"
            " count(*) FILTER (WHERE t.source_id IS NOT NULL AND (t.raw_hash <> s.hash OR (t.deleted_at IS NULL) = s.deleted)),"
            " count(*) FILTER (WHERE s.deleted AND (t.source_id IS NULL OR t.deleted_at IS NULL))"
            " FROM src s LEFT JOIN " +
            target + " t ON t.workspace_id = $1::uuid AND t.source = $2 AND t.source_id = s.source_id" + streamCond +
            " WHERE $3::text IS NOT NULL",
        t_.workspaceId, t_.source, t_.connectionId, t_.stream);
    c.inserted = r.int64(0, 1);
    c.updated = r.int64(0, 2);
    c.deleted = r.int64(0, 3);
    c.unchanged = r.int64(0, 0) - c.inserted - c.updated;
    if (b.keys > 0) {
      auto [present, missing] = countKeys(b);
      c.unchanged += present;
      c.keysOnlyMissing = missing;
    }
    b.conn->exec("INSERT INTO trib_dry_seen SELECT $1, source_id FROM " + stagingTable(), t_.stream);
    b.conn->execScript("TRUNCATE " + stagingTable());
  }
  c.batches = 1;
  c.links = b.linkCount;
  c.linksDeleted = b.linksDeleted;
  totals_ += c;
  b.clear();
}

int64_t StreamWriter::countUnseen() {
  const std::string target = t_.entity ? t_.entity->table : std::string("records");
  auto r = slots_[0].conn->exec("SELECT count(*) FROM " + target +
                                    " t WHERE t.workspace_id = $1::uuid AND t.source = $2 AND t.stream = $3"
                                    " AND t.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM trib_dry_seen d"
                                    " WHERE d.stream = $3 AND d.source_id = t.source_id)",
                                t_.workspaceId, t_.source, t_.stream);
  return r.int64(0, 0);
}

void StreamWriter::finish() {
  collect();
  Batch& b = cur();
  if (b.records > 0 || !b.errors.empty() || b.failed > 0 || b.cursor || b.state || b.open) {
    if (o_.dryRun) {
      dryRunCount(b);
    } else {
      auto r = commitBatch(b, plainInsert_);
      std::promise<CommitResult> done;
      done.set_value(r);
      inflight_ = done.get_future();
      collect();
    }
  }
}

void StreamWriter::abortBatch(Batch& b) {
  if (b.copy) {
    b.copy->abort("the batch was abandoned");
    b.copy.reset();
  }
  b.tx.reset();  // rolls back
  b.open = false;
  b.clear();
}

void StreamWriter::abort() {
  if (inflight_.valid()) {
    try {
      collect();
    } catch (const std::exception& e) {
      log::warn("engine", "a commit of stream {} failed while the run was stopping: {}", t_.stream, e.what());
    }
  }
  for (auto& b : slots_) abortBatch(b);
}

}  // namespace tributary::engine
