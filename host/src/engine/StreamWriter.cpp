#include "engine/StreamWriter.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <libpq-fe.h>

#include "common/Log.h"
#include "common/Strings.h"

namespace tributary::engine {
namespace {

constexpr size_t kCopyFlushBytes = 256 * 1024;
constexpr int64_t kErrorFlushBytes = 4 * 1024 * 1024;

std::string pgArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string firstLine(const std::string& s) {
  auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
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
  return *this;
}

StreamWriter::StreamWriter(db::Connection& conn, StreamTarget target, Options options, CommitHook hook)
    : conn_(conn), t_(std::move(target)), o_(std::move(options)), hook_(std::move(hook)), encoder_(t_.entity) {
  target_ = o_.initialBatch;
  ensureStaging();
}

StreamWriter::~StreamWriter() {
  try {
    abort();
  } catch (...) {
  }
}

std::string StreamWriter::stagingTable() const { return "trib_stage_" + (t_.entity ? t_.entity->table : std::string("records")); }

void StreamWriter::ensureStaging() {
  if (stagingReady_) return;
  std::string sql = "CREATE TEMP TABLE IF NOT EXISTS " + stagingTable() +
                    " (ord bigint, source_id text, modified_ms bigint, deleted boolean, hash bigint, raw text";
  if (t_.entity) {
    for (const auto& c : t_.entity->columns) sql += ", " + strings::quoteIdent(c.name) + " text";
  }
  sql += ") ON COMMIT DELETE ROWS";
  conn_.execScript(sql);
  if (o_.dryRun) conn_.execScript("CREATE TEMP TABLE IF NOT EXISTS trib_dry_seen (stream text, source_id text)");
  stagingReady_ = true;
}

void StreamWriter::beginBatch() {
  if (!o_.dryRun && !inTx_) conn_.execScript("BEGIN");
  inTx_ = true;
  batchStart_ = std::chrono::steady_clock::now();
}

void StreamWriter::startCopy() {
  std::string sql = "COPY " + stagingTable() + " (ord, source_id, modified_ms, deleted, hash, raw";
  if (t_.entity) {
    for (const auto& c : t_.entity->columns) sql += ", " + strings::quoteIdent(c.name);
  }
  sql += ") FROM STDIN";
  PGresult* r = PQexec(conn_.raw(), sql.c_str());
  const bool ok = r && PQresultStatus(r) == PGRES_COPY_IN;
  std::string err = ok ? "" : PQerrorMessage(conn_.raw());
  if (r) PQclear(r);
  if (!ok) throw db::DbError("cannot start COPY into " + stagingTable() + ": " + err);
  inCopy_ = true;
}

void StreamWriter::flushCopyBuffer() {
  if (copyBuf_.empty()) return;
  if (PQputCopyData(conn_.raw(), copyBuf_.data(), static_cast<int>(copyBuf_.size())) != 1) {
    throw db::DbError(std::string("COPY failed: ") + PQerrorMessage(conn_.raw()));
  }
  copyBuf_.clear();
}

void StreamWriter::endCopy() {
  if (!inCopy_) return;
  flushCopyBuffer();
  inCopy_ = false;
  if (PQputCopyEnd(conn_.raw(), nullptr) != 1) {
    throw db::DbError(std::string("COPY failed: ") + PQerrorMessage(conn_.raw()));
  }
  PGresult* r = PQgetResult(conn_.raw());
  const bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string err = ok ? "" : (r ? PQresultErrorMessage(r) : PQerrorMessage(conn_.raw()));
  if (r) PQclear(r);
  while (PGresult* extra = PQgetResult(conn_.raw())) PQclear(extra);
  if (!ok) throw db::DbError("COPY into " + stagingTable() + " failed: " + err);
}

void StreamWriter::add(const plugins::RecordView& rec) {
  if (rec.sourceId.empty()) {
    addError("", "validate", "the record has no source id", rec.rawJson);
    return;
  }
  if (!validText(rec.sourceId) || !validText(rec.rawJson)) {
    addError(validText(rec.sourceId) ? rec.sourceId : std::string_view(), "validate",
             "the record is not valid UTF-8 (or holds a NUL byte)", validText(rec.rawJson) ? rec.rawJson : "");
    return;
  }
  line_.clear();
  line_ += std::to_string(batchRecords_);
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
  if (!inTx_) beginBatch();
  if (!inCopy_) startCopy();
  if (!batchIds_.insert(XXH3_64bits(rec.sourceId.data(), rec.sourceId.size())).second) batchHasDuplicates_ = true;
  copyBuf_ += line_;
  if (copyBuf_.size() >= kCopyFlushBytes) flushCopyBuffer();
  ++batchRecords_;
  if (rec.deleted) ++batchDeleted_;
  if (rec.modifiedAtMs && (!batchMaxModified_ || *rec.modifiedAtMs > *batchMaxModified_)) {
    batchMaxModified_ = rec.modifiedAtMs;
  }
}

void StreamWriter::addError(std::string_view sourceId, std::string_view stage, std::string_view message,
                            std::string_view raw) {
  std::string rawCopy(validText(raw) ? raw : std::string_view());
  errorBytes_ += static_cast<int64_t>(rawCopy.size() + message.size());
  ++batchFailed_;
  errors_.push_back({std::string(sourceId), std::string(stage), std::string(message), std::move(rawCopy)});
  if (!o_.dryRun && errorBytes_ > kErrorFlushBytes) {
    // Many or large errors: write them now, inside the open batch, to keep memory bounded.
    if (!inTx_) beginBatch();
    endCopy();
    writeErrors();
  }
}

bool StreamWriter::checkpoint(std::string_view cursor) {
  cursor_ = std::string(cursor);
  const auto age = std::chrono::steady_clock::now() - batchStart_;
  const int64_t size = batchRecords_ + static_cast<int64_t>(errors_.size());
  if (size == 0 && !inTx_) return false;  // nothing to store yet; the cursor rides with the next batch
  if (size >= target_ || age >= o_.maxBatchAge) {
    commit();
    return true;
  }
  return false;
}

void StreamWriter::finish() {
  if (batchRecords_ > 0 || !errors_.empty() || cursor_ || inTx_) commit();
}

void StreamWriter::abort() {
  if (inCopy_) {
    PQputCopyEnd(conn_.raw(), "the batch was abandoned");
    while (PGresult* r = PQgetResult(conn_.raw())) PQclear(r);
    inCopy_ = false;
  }
  if (inTx_ && !o_.dryRun && !conn_.isBroken()) conn_.execScript("ROLLBACK");
  inTx_ = false;
  copyBuf_.clear();
  batchRecords_ = 0;
  batchDeleted_ = 0;
  batchMaxModified_.reset();
  batchHasDuplicates_ = false;
  batchIds_.clear();
  errors_.clear();
  errorBytes_ = 0;
  batchFailed_ = 0;
  cursor_.reset();
}

std::string StreamWriter::upsertSql(bool ranged) const {
  const std::string stage = stagingTable();
  std::string src = batchHasDuplicates_
                        ? "SELECT DISTINCT ON (source_id) * FROM " + stage + (ranged ? " WHERE ord BETWEEN $5 AND $6" : "") +
                              " ORDER BY source_id, ord DESC"
                        : "SELECT * FROM " + stage + (ranged ? " WHERE ord BETWEEN $5 AND $6" : "");
  const std::string modified =
      "CASE WHEN s.modified_ms IS NULL THEN NULL ELSE 'epoch'::timestamptz + s.modified_ms * interval '1 millisecond' END";
  std::string cols, exprs, sets;
  if (t_.entity) {
    for (const auto& c : t_.entity->columns) {
      const std::string q = strings::quoteIdent(c.name);
      cols += ", " + q;
      exprs += ", s." + q + (c.type == ColumnType::Text ? "" : "::" + std::string(sqlType(c.type)));
      sets += ", " + q + " = EXCLUDED." + q;
    }
    return "WITH src AS (" + src + "), up AS (INSERT INTO " + t_.entity->table +
           " AS t (workspace_id, source, source_id, connection_id, stream" + cols +
           ", raw, raw_hash, source_modified_at, deleted_at)"
           " SELECT $1::uuid, $2, s.source_id, $3::uuid, $4" + exprs + ", s.raw::jsonb, s.hash, " + modified +
           ", CASE WHEN s.deleted THEN now() END FROM src s"
           " ON CONFLICT (workspace_id, source, source_id) DO UPDATE SET connection_id = EXCLUDED.connection_id,"
           " stream = EXCLUDED.stream" + sets +
           ", raw = EXCLUDED.raw, raw_hash = EXCLUDED.raw_hash, source_modified_at = EXCLUDED.source_modified_at,"
           " deleted_at = CASE WHEN EXCLUDED.deleted_at IS NULL THEN NULL ELSE coalesce(t.deleted_at, EXCLUDED.deleted_at) END,"
           " updated_at = now()"
           " WHERE (t.raw_hash <> EXCLUDED.raw_hash OR (t.deleted_at IS NULL) <> (EXCLUDED.deleted_at IS NULL))"
           " AND (EXCLUDED.source_modified_at IS NULL OR t.source_modified_at IS NULL"
           "      OR EXCLUDED.source_modified_at >= t.source_modified_at)"
           " RETURNING (xmax = 0) AS inserted, deleted_at IS NOT NULL AS deleted)"
           " SELECT (SELECT count(*) FROM src), count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),"
           " count(*) FILTER (WHERE deleted) FROM up";
  }
  return "WITH src AS (" + src +
         "), up AS (INSERT INTO records AS t (workspace_id, source, stream, source_id, connection_id, data, raw_hash,"
         " source_modified_at, deleted_at)"
         " SELECT $1::uuid, $2, $4, s.source_id, $3::uuid, s.raw::jsonb, s.hash, " + modified +
         ", CASE WHEN s.deleted THEN now() END FROM src s"
         " ON CONFLICT (workspace_id, source, stream, source_id) DO UPDATE SET connection_id = EXCLUDED.connection_id,"
         " data = EXCLUDED.data, raw_hash = EXCLUDED.raw_hash, source_modified_at = EXCLUDED.source_modified_at,"
         " deleted_at = CASE WHEN EXCLUDED.deleted_at IS NULL THEN NULL ELSE coalesce(t.deleted_at, EXCLUDED.deleted_at) END,"
         " updated_at = now()"
         " WHERE (t.raw_hash <> EXCLUDED.raw_hash OR (t.deleted_at IS NULL) <> (EXCLUDED.deleted_at IS NULL))"
         " AND (EXCLUDED.source_modified_at IS NULL OR t.source_modified_at IS NULL"
         "      OR EXCLUDED.source_modified_at >= t.source_modified_at)"
         " RETURNING (xmax = 0) AS inserted, deleted_at IS NOT NULL AS deleted)"
         " SELECT (SELECT count(*) FROM src), count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),"
         " count(*) FILTER (WHERE deleted) FROM up";
}

WriteCounts StreamWriter::upsert(int64_t lo, int64_t hi) {
  const bool ranged = lo > 0 || hi < batchRecords_ - 1;
  db::Result r = ranged ? conn_.exec(upsertSql(true), t_.workspaceId, t_.source, t_.connectionId, t_.stream, lo, hi)
                        : conn_.exec(upsertSql(false), t_.workspaceId, t_.source, t_.connectionId, t_.stream);
  WriteCounts c;
  const int64_t distinct = r.int64(0, 0);
  c.inserted = r.int64(0, 1);
  c.updated = r.int64(0, 2);
  c.deleted = r.int64(0, 3);
  c.unchanged = distinct - c.inserted - c.updated;
  return c;
}

void StreamWriter::isolate(int64_t lo, int64_t hi, WriteCounts& counts) {
  conn_.execScript("SAVEPOINT trib_part");
  try {
    counts += upsert(lo, hi);
    conn_.execScript("RELEASE SAVEPOINT trib_part");
    return;
  } catch (const db::DbError& e) {
    if (conn_.isBroken()) throw;
    conn_.execScript("ROLLBACK TO SAVEPOINT trib_part");
    conn_.execScript("RELEASE SAVEPOINT trib_part");
    if (lo == hi) {
      auto row = conn_.exec("SELECT source_id, raw FROM " + stagingTable() + " WHERE ord = $1", lo);
      std::string message = firstLine(e.what());
      if (auto in = message.find(" [22"); in != std::string::npos) message = message.substr(0, in);
      if (auto in = message.find(" (in: "); in != std::string::npos) message = message.substr(0, in);
      errors_.push_back({row.empty() ? "" : row.text(0, 0), "write", "the database refused the record: " + message,
                         row.empty() ? "" : row.text(0, 1)});
      ++batchFailed_;
      (void)counts;
      return;
    }
  }
  const int64_t mid = lo + (hi - lo) / 2;
  isolate(lo, mid, counts);
  isolate(mid + 1, hi, counts);
}

void StreamWriter::writeErrors() {
  if (errors_.empty()) return;
  std::vector<std::string> ids, stages, messages, raws;
  for (auto& e : errors_) {
    ids.push_back(e.sourceId);
    stages.push_back(e.stage);
    messages.push_back(e.message);
    raws.push_back(e.raw);
  }
  conn_.exec(
      "INSERT INTO sync_record_errors (workspace_id, connection_id, run_id, job_id, stream, source_id, stage, error, raw)"
      " SELECT $1::uuid, $2::uuid, $3::uuid, $4::uuid, $5, nullif(i, ''), s, m, nullif(r, '')"
      " FROM unnest($6::text[], $7::text[], $8::text[], $9::text[]) AS u(i, s, m, r)",
      t_.workspaceId, t_.connectionId, o_.runId.empty() ? db::Param() : db::Param(o_.runId),
      o_.jobId.empty() ? db::Param() : db::Param(o_.jobId), t_.stream, pgArray(ids), pgArray(stages),
      pgArray(messages), pgArray(raws));
  errors_.clear();
  errorBytes_ = 0;
}

void StreamWriter::dryRunCount() {
  endCopy();
  WriteCounts c;
  c.records = batchRecords_;
  c.failed = batchFailed_;
  if (batchRecords_ > 0) {
    const std::string target = t_.entity ? t_.entity->table : std::string("records");
    const std::string streamCond = t_.entity ? " AND $4::text IS NOT NULL" : " AND t.stream = $4";
    auto r = conn_.exec(
        "WITH src AS (SELECT DISTINCT ON (source_id) * FROM " + stagingTable() + " ORDER BY source_id, ord DESC)"
        " SELECT count(*), count(*) FILTER (WHERE t.source_id IS NULL),"
        " count(*) FILTER (WHERE t.source_id IS NOT NULL AND (t.raw_hash <> s.hash OR (t.deleted_at IS NULL) = s.deleted)),"
        " count(*) FILTER (WHERE s.deleted AND (t.source_id IS NULL OR t.deleted_at IS NULL))"
        " FROM src s LEFT JOIN " + target + " t ON t.workspace_id = $1::uuid AND t.source = $2 AND t.source_id = s.source_id" +
            streamCond + " WHERE $3::text IS NOT NULL",
        t_.workspaceId, t_.source, t_.connectionId, t_.stream);
    c.inserted = r.int64(0, 1);
    c.updated = r.int64(0, 2);
    c.deleted = r.int64(0, 3);
    c.unchanged = r.int64(0, 0) - c.inserted - c.updated;
    conn_.exec("INSERT INTO trib_dry_seen SELECT $1, source_id FROM " + stagingTable(), t_.stream);
    conn_.execScript("TRUNCATE " + stagingTable());
  }
  c.batches = 1;
  totals_ += c;
  batchRecords_ = 0;
  batchDeleted_ = 0;
  batchMaxModified_.reset();
  batchHasDuplicates_ = false;
  batchIds_.clear();
  errors_.clear();
  errorBytes_ = 0;
  batchFailed_ = 0;
  cursor_.reset();
  batchStart_ = std::chrono::steady_clock::now();
}

int64_t StreamWriter::countUnseen() {
  const std::string target = t_.entity ? t_.entity->table : std::string("records");
  auto r = conn_.exec("SELECT count(*) FROM " + target +
                          " t WHERE t.workspace_id = $1::uuid AND t.source = $2 AND t.stream = $3 AND t.deleted_at IS NULL"
                          " AND NOT EXISTS (SELECT 1 FROM trib_dry_seen d WHERE d.stream = $3 AND d.source_id = t.source_id)",
                      t_.workspaceId, t_.source, t_.stream);
  return r.int64(0, 0);
}

void StreamWriter::commit() {
  if (o_.dryRun) {
    dryRunCount();
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  if (!inTx_) beginBatch();
  endCopy();
  CommitInfo info;
  info.cursor = cursor_.value_or("");
  info.maxModifiedMs = batchMaxModified_;
  WriteCounts& c = info.counts;
  c.records = batchRecords_;
  c.batches = 1;
  if (batchRecords_ > 0) {
    conn_.execScript("SAVEPOINT trib_batch");
    try {
      c += upsert(0, batchRecords_ - 1);
      conn_.execScript("RELEASE SAVEPOINT trib_batch");
    } catch (const db::DbError& e) {
      if (conn_.isBroken()) throw;
      conn_.execScript("ROLLBACK TO SAVEPOINT trib_batch");
      log::info("engine", "batch of {} records of {} failed to write ({}); isolating the bad records", batchRecords_,
                t_.stream, firstLine(e.what()));
      isolate(0, batchRecords_ - 1, c);
    }
    if (o_.trackSeen) {
      auto r = conn_.exec("INSERT INTO sync_seen (run_id, stream, source_id) SELECT DISTINCT $1::uuid, $2, source_id FROM " +
                              stagingTable(),
                          o_.runId, t_.stream);
      info.seenAdded = r.affected();
    }
    if (o_.resolveErrors) {
      conn_.exec(
          "UPDATE sync_record_errors SET resolved_at = now() WHERE resolved_at IS NULL AND connection_id = $1::uuid"
          " AND stream = $2 AND source_id IN (SELECT source_id FROM " + stagingTable() + ")",
          t_.connectionId, t_.stream);
    }
  }
  writeErrors();
  c.failed = batchFailed_;
  if (c.records > 0 && c.failed * 10 > c.records + c.failed) {
    log::warn("engine", "{} of {} records of stream {} failed in one batch (over 10%)", c.failed, c.records + c.failed,
              t_.stream);
  }
  hook_(conn_, info);
  conn_.execScript("COMMIT");
  inTx_ = false;
  totals_ += c;

  const auto took = std::chrono::steady_clock::now() - started;
  if (took < o_.fastCommit && batchRecords_ >= target_) target_ = std::min(o_.maxBatch, target_ * 2);
  else if (took > o_.slowCommit) target_ = std::max(o_.minBatch, target_ / 2);
  batchRecords_ = 0;
  batchDeleted_ = 0;
  batchMaxModified_.reset();
  batchHasDuplicates_ = false;
  batchIds_.clear();
  batchFailed_ = 0;
  cursor_.reset();
  batchStart_ = std::chrono::steady_clock::now();
}

}  // namespace tributary::engine
