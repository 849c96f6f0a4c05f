#include "engine/SyncRun.h"

#include <fmt/format.h>

#include "common/Log.h"
#include "common/Strings.h"
#include "common/Time.h"
#include "engine/EntitySchema.h"
#include "http/HttpResponse.h"
#include "plugins/RunServices.h"

namespace tributary::engine {
namespace {

using plugins::CallResult;
using plugins::ResultCode;

std::optional<int64_t> parseTimeArg(const Json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) {
    if (auto t = time::parseIso8601(v.get<std::string>())) return time::toEpochMs(*t);
  }
  return std::nullopt;
}

std::string tsParam(std::optional<int64_t> ms) { return ms ? std::to_string(*ms) : std::string(); }

// The services a hook call gets: records go to the stream's writer; everything else is counted.
class EngineServices : public plugins::RunServices {
 public:
  EngineServices(queue::JobContext& ctx, std::string stream, StreamWriter* writer, int64_t& pages, int64_t& httpCalls,
                 int64_t& http429s, std::function<void(int64_t, int64_t, std::string_view)> progress)
      : ctx_(ctx),
        stream_(std::move(stream)),
        writer_(writer),
        pages_(pages),
        httpCalls_(httpCalls),
        http429s_(http429s),
        progress_(std::move(progress)) {}

  void emitRecord(const plugins::RecordView& r) override {
    requireWriter("emit_record");
    if (r.stream != stream_) {
      throw plugins::RunStopped(ResultCode::Fatal, "the plugin emitted a record for stream '" + std::string(r.stream) +
                                                       "' during a call for stream '" + stream_ + "'");
    }
    guard([&] { writer_->add(r); });
  }
  void emitRecordError(const plugins::RecordErrorView& e) override {
    requireWriter("emit_record_error");
    guard([&] { writer_->addError(e.sourceId, "transform", e.message, e.rawJson); });
  }
  void commitCheckpoint(std::string_view stream, std::string_view cursor) override {
    requireWriter("commit_checkpoint");
    if (stream != stream_) {
      throw plugins::RunStopped(ResultCode::Fatal, "the plugin committed a checkpoint for stream '" +
                                                       std::string(stream) + "' during a call for '" + stream_ + "'");
    }
    ++pages_;
    guard([&] { writer_->checkpoint(cursor); });
  }
  void reportProgress(int64_t current, int64_t total, std::string_view message) override {
    progress_(current, total, message);
  }
  bool isCancelled() override { return ctx_.stopRequested(); }
  http::HttpResponse httpRequest(const http::HttpRequest& request) override {
    ++httpCalls_;
    auto r = plugins::RunServices::httpRequest(request);
    if (r.status == 429) ++http429s_;
    return r;
  }

  const std::optional<std::string>& databaseError() const { return dbError_; }

 private:
  void requireWriter(const char* fn) {
    if (!writer_)
      throw plugins::RunStopped(ResultCode::Fatal, std::string(fn) + " called outside a sync call (in check)");
  }
  template <typename F>
  void guard(F&& f) {
    try {
      f();
    } catch (const db::DbError& e) {
      dbError_ = e.what();
      throw plugins::RunStopped(ResultCode::Retry, "database error while writing stream " + stream_ + ": " + e.what());
    }
  }

  queue::JobContext& ctx_;
  std::string stream_;
  StreamWriter* writer_;
  int64_t& pages_;
  int64_t& httpCalls_;
  int64_t& http429s_;
  std::function<void(int64_t, int64_t, std::string_view)> progress_;
  std::optional<std::string> dbError_;
};

Json countsJson(const WriteCounts& c) {
  return Json{{"records", c.records}, {"inserted", c.inserted}, {"updated", c.updated}, {"unchanged", c.unchanged},
              {"deleted", c.deleted}, {"failed", c.failed},     {"batches", c.batches}};
}

}  // namespace

SyncRun::SyncRun(queue::JobContext& ctx, const config::Config& cfg, const plugins::PluginRegistry& registry)
    : ctx_(ctx), cfg_(cfg), registry_(registry), job_(ctx.job()) {}

SyncRun::~SyncRun() = default;

std::string SyncRun::modeName(StreamMode m) const {
  switch (m) {
    case StreamMode::Initial: return "initial";
    case StreamMode::Incremental: return "incremental";
    case StreamMode::Backfill: return "backfill";
  }
  return "initial";
}

std::string SyncRun::tableOf(const plugins::StreamDescriptor& s) const {
  return findEntity(s.entity) ? s.entity : std::string("records");
}

queue::Outcome SyncRun::fail(queue::Outcome::Kind kind, const std::string& message) {
  queue::Outcome o;
  o.kind = kind;
  o.error = message;
  return o;
}

void SyncRun::loadConnection() {
  if (!job_.connectionId) throw std::invalid_argument("a " + job_.kind + " job needs a connection_id");
  auto conn = ctx_.pool().acquire();
  auto r = conn->exec(
      "SELECT c.id, c.workspace_id, w.slug, c.name, c.connector, c.enabled FROM connections c"
      " JOIN workspaces w ON w.id = c.workspace_id WHERE c.id = $1::uuid",
      *job_.connectionId);
  if (r.empty()) throw std::invalid_argument("connection " + *job_.connectionId + " does not exist");
  connectionId_ = r.text(0, 0);
  workspaceId_ = r.text(0, 1);
  workspaceSlug_ = r.text(0, 2);
  name_ = r.text(0, 3);
  connector_ = r.text(0, 4);
  if (!r.boolean(0, 5)) {
    throw std::invalid_argument("connection " + workspaceSlug_ + "/" + name_ +
                                " is disabled (it is no longer in the configuration, or has enabled: false)");
  }
  conf_ = cfg_.findConnection(workspaceSlug_, name_);
  if (!conf_) {
    throw std::invalid_argument("connection " + workspaceSlug_ + "/" + name_ + " is not in " + cfg_.file.string() +
                                ", the configuration this worker read; restart the worker after changing it");
  }
  plugin_ = registry_.find(connector_);
  if (!plugin_) {
    throw std::invalid_argument("connector " + connector_ + " of connection " + workspaceSlug_ + "/" + name_ +
                                " is not loaded in this worker (tributary plugins list shows why)");
  }
}

void SyncRun::createInstance() {
  plugins::InstanceOptions o;
  for (const auto& [key, value] : conf_->settings) {
    const auto* decl = plugin_->findConfigKey(key);
    if ((decl && decl->secret) || value.source == config::ValueSource::SecretFile) o.secrets[key] = value.value;
    else o.settings[key] = value.value;
  }
  if (conf_->baseUrl && plugin_->findConfigKey("base_url")) o.settings["base_url"] = *conf_->baseUrl;
  o.label = workspaceSlug_ + "/" + name_;
  o.log = [label = o.label](plugins::LogLevel level, std::string_view message) {
    switch (level) {
      case plugins::LogLevel::Error: log::error("plugin", "[{}] {}", label, message); break;
      case plugins::LogLevel::Warn: log::warn("plugin", "[{}] {}", label, message); break;
      case plugins::LogLevel::Info: log::info("plugin", "[{}] {}", label, message); break;
      default: log::debug("plugin", "[{}] {}", label, message); break;
    }
  };
  auto created = plugins::ConnectorInstance::create(plugin_, o);
  if (!created.result.ok()) {
    throw std::runtime_error("cannot create an instance of " + connector_ + ": " + created.result.message);
  }
  instance_ = std::move(created.instance);
  ctx_.setExecutor(Json{{"plugin", plugin_->name()}, {"version", plugin_->version()}});
}

void SyncRun::parsePayload() {
  const Json& p = job_.payload;
  if (job_.kind == "backfill") {
    requestedMode_ = "backfill";
    syncType_ = "backfill";
  }
  if (p.contains("mode") && p["mode"].is_string()) {
    requestedMode_ = p["mode"].get<std::string>();
    if (job_.kind == "backfill") requestedMode_ = "backfill";
  }
  if (requestedMode_ != "auto" && requestedMode_ != "initial" && requestedMode_ != "incremental" &&
      requestedMode_ != "backfill") {
    throw std::invalid_argument("unknown sync mode '" + requestedMode_ + "' (auto, initial, incremental, backfill)");
  }
  if (p.contains("sync_type") && p["sync_type"].is_string()) syncType_ = p["sync_type"].get<std::string>();
  dryRun_ = p.value("dry_run", false);
  replay_ = p.value("replay", false);
  if (p.contains("streams") && p["streams"].is_array()) {
    for (const auto& s : p["streams"]) streamNames_.push_back(s.get<std::string>());
  }
  if (p.contains("window") && p["window"].is_object()) {
    if (p["window"].contains("from")) windowFrom_ = parseTimeArg(p["window"]["from"]);
    if (p["window"].contains("to")) windowTo_ = parseTimeArg(p["window"]["to"]);
  }
  if (p.contains("ids") && p["ids"].is_array()) {
    for (const auto& id : p["ids"]) ids_.push_back(id.is_string() ? id.get<std::string>() : id.dump());
  }
  if (requestedMode_ == "backfill" && !windowFrom_ && !windowTo_ && ids_.empty()) {
    throw std::invalid_argument("a backfill needs a time window (from/to) or a list of ids");
  }
}

std::vector<SyncRun::StreamPlan> SyncRun::plan() {
  std::vector<const plugins::StreamDescriptor*> streams;
  if (streamNames_.empty()) {
    for (const auto& s : plugin_->streams()) streams.push_back(&s);
  } else {
    for (const auto& n : streamNames_) {
      const auto* s = plugin_->findStream(n);
      if (!s) {
        std::vector<std::string> known;
        for (const auto& k : plugin_->streams()) known.push_back(k.name);
        throw std::invalid_argument("connection " + workspaceSlug_ + "/" + name_ + " has no stream '" + n +
                                    "' (streams: " + strings::join(known, ", ") + ")");
      }
      streams.push_back(s);
    }
  }
  auto conn = ctx_.pool().acquire();
  std::vector<StreamPlan> plans;
  for (const auto* s : streams) {
    StreamPlan p;
    p.stream = s;
    if (requestedMode_ == "backfill") {
      p.mode = StreamMode::Backfill;
      auto b = conn->exec("SELECT cursor::text, done FROM backfill_cursors WHERE job_id = $1::uuid AND stream = $2",
                          job_.id, s->name);
      if (!b.empty()) {
        p.resume = !b.isNull(0, 0);
        p.cursor = b.isNull(0, 0) ? "" : b.text(0, 0);
        p.skip = b.boolean(0, 1);
      }
      plans.push_back(p);
      continue;
    }
    auto st = conn->exec(
        "SELECT initialized_at IS NOT NULL, cursor::text, cursor_mode, (extract(epoch from cursor_since) * 1000)::bigint,"
        " (extract(epoch from watermark) * 1000)::bigint, initial_run_id, initial_tracks_seen, cursor_job_id"
        " FROM stream_state WHERE connection_id = $1::uuid AND stream = $2",
        connectionId_, s->name);
    const bool exists = !st.empty();
    const bool initialized = exists && st.boolean(0, 0);
    const auto cursorMode = exists ? st.optText(0, 2) : std::nullopt;
    const auto cursorJob = exists ? st.optText(0, 7) : std::nullopt;
    if (requestedMode_ == "initial" && !(cursorMode == "initial" && cursorJob == job_.id)) {
      p.mode = StreamMode::Initial;  // a forced full resync starts over, unless it is this job resuming
    } else if (cursorMode == "initial") {
      p.mode = StreamMode::Initial;
      p.resume = true;
    } else if (cursorMode == "incremental") {
      p.mode = StreamMode::Incremental;
      p.resume = true;
      p.sinceMs = st.optInt64(0, 3);
    } else if (initialized) {
      p.mode = StreamMode::Incremental;
      if (auto w = st.optInt64(0, 4)) p.sinceMs = *w - cfg_.sync.overlap.count();
    } else {
      p.mode = StreamMode::Initial;
    }
    if (p.resume) {
      p.cursor = st.isNull(0, 1) ? "" : st.text(0, 1);
      if (p.mode == StreamMode::Initial) {
        p.trackSeen = st.boolean(0, 6);
        p.seenRunId = st.optText(0, 5).value_or("");
      }
    } else if (p.mode == StreamMode::Initial) {
      const std::string table = tableOf(*s);
      auto any =
          conn->exec("SELECT EXISTS (SELECT 1 FROM " + table +
                         " WHERE workspace_id = $1::uuid AND source = $2 AND stream = $3 AND deleted_at IS NULL)",
                     workspaceId_, name_, s->name);
      p.trackSeen = any.boolean(0, 0);
    }
    plans.push_back(p);
  }
  return plans;
}

void SyncRun::openRun(const std::vector<StreamPlan>& plans) {
  started_ = std::chrono::steady_clock::now();
  std::string mode = requestedMode_ == "backfill" ? "backfill" : "incremental";
  Json names = Json::array();
  for (const auto& p : plans) {
    if (p.mode == StreamMode::Initial) mode = "initial";
    names.push_back(p.stream->name);
    streamsMeta_[p.stream->name] =
        Json{{"mode", modeName(p.mode)}, {"status", p.skip ? "completed" : "pending"}, {"resumed", p.resume}};
  }
  if (dryRun_) return;
  auto conn = ctx_.pool().acquire();
  db::Transaction tx(*conn);
  auto existing =
      conn->exec("SELECT id FROM sync_runs WHERE job_id = $1::uuid ORDER BY started_at DESC LIMIT 1", job_.id);
  if (!existing.empty()) {
    runId_ = existing.text(0, 0);
    conn->exec(
        "UPDATE sync_runs SET status = 'running', completed_at = NULL, mode = $2, metadata = metadata || $3::jsonb"
        " WHERE id = $1::uuid",
        runId_, mode, Json{{"attempt", job_.attempts}});
  } else {
    auto r = conn->exec(
        "INSERT INTO sync_runs (workspace_id, connection_id, connector, job_id, mode, sync_type, status, metadata)"
        " VALUES ($1::uuid, $2::uuid, $3, $4::uuid, $5, $6, 'running', $7::jsonb) RETURNING id",
        workspaceId_, connectionId_, connector_, job_.id, mode,
        syncType_ == "scheduled" || syncType_ == "backfill" ? syncType_ : std::string("manual"),
        Json{{"attempt", job_.attempts}, {"streams", streamsMeta_}});
    runId_ = r.text(0, 0);
  }
  conn->exec("UPDATE connections SET status = 'syncing', updated_at = now() WHERE id = $1::uuid", connectionId_);
  conn->exec(
      "INSERT INTO events (workspace_id, connection_id, run_id, job_id, type, payload)"
      " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, 'sync.started', $5::jsonb)",
      workspaceId_, connectionId_, runId_, job_.id,
      Json{{"run_id", runId_},
           {"job_id", job_.id},
           {"workspace", workspaceSlug_},
           {"connection", name_},
           {"connector", connector_},
           {"mode", mode},
           {"sync_type", syncType_},
           {"streams", names},
           {"attempt", job_.attempts}});
  fence(*conn);
  tx.commit();
}

void SyncRun::writeProgress(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - lastProgressWrite_ < cfg_.sync.progressInterval) return;
  lastProgressWrite_ = now;
  if (lost_) return;
  const std::string message = progress_.value("message", "");
  ctx_.reportProgress(progress_.value("current", int64_t{0}), progress_.value("total", int64_t{0}), message, true);
  if (dryRun_ || runId_.empty()) return;
  try {
    auto conn = ctx_.pool().acquire();
    db::Transaction tx(*conn);
    Json meta = {
        {"progress", progress_}, {"streams", streamsMeta_}, {"http_calls", httpCalls_}, {"http_429s", http429s_}};
    conn->exec("UPDATE sync_runs SET metadata = metadata || $2::jsonb WHERE id = $1::uuid", runId_, meta);
    conn->exec(
        "INSERT INTO events (workspace_id, connection_id, run_id, job_id, type, payload)"
        " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, 'sync.progress', $5::jsonb)",
        workspaceId_, connectionId_, runId_, job_.id,
        Json{{"run_id", runId_}, {"connection", name_}, {"progress", progress_}, {"streams", streamsMeta_}});
    fence(*conn);
    tx.commit();
  } catch (const std::exception& e) {
    log::warn("engine", "writing the progress of run {} failed: {}", runId_, e.what());
  }
}

SyncRun::StreamResult SyncRun::runStream(StreamPlan& p) {
  StreamResult result;
  const auto& s = *p.stream;
  Json& meta = streamsMeta_[s.name];
  meta["status"] = "running";
  auto pooled = ctx_.pool().acquire();
  db::Connection& conn = *pooled;

  if (!dryRun_) {
    if (p.mode == StreamMode::Backfill) {
      conn.exec("INSERT INTO backfill_cursors (job_id, stream) VALUES ($1::uuid, $2) ON CONFLICT DO NOTHING", job_.id,
                s.name);
    } else if (p.resume) {
      db::Transaction tx(conn);
      conn.exec(
          "UPDATE stream_state SET status = 'running', last_mode = $3, last_run_id = $4::uuid, cursor_job_id = $5::uuid,"
          " updated_at = now() WHERE connection_id = $1::uuid AND stream = $2",
          connectionId_, s.name, modeName(p.mode), runId_, job_.id);
      fence(conn);
      tx.commit();
    } else {
      db::Transaction tx(conn);
      auto old = conn.exec("SELECT initial_run_id FROM stream_state WHERE connection_id = $1::uuid AND stream = $2",
                           connectionId_, s.name);
      if (!old.empty() && !old.isNull(0, 0)) {
        conn.exec("DELETE FROM sync_seen WHERE run_id = $1::uuid AND stream = $2", old.text(0, 0), s.name);
      }
      if (p.mode == StreamMode::Initial) p.seenRunId = runId_;
      conn.exec("INSERT INTO stream_state (connection_id, stream) VALUES ($1::uuid, $2) ON CONFLICT DO NOTHING",
                connectionId_, s.name);
      conn.exec(
          "UPDATE stream_state SET status = 'running', last_mode = $3, last_run_id = $4::uuid, cursor = NULL,"
          " cursor_mode = $3, cursor_job_id = $5::uuid,"
          " cursor_since = CASE WHEN $6 = '' THEN NULL ELSE 'epoch'::timestamptz + $6::bigint * interval '1 millisecond' END,"
          " initial_run_id = CASE WHEN $3 = 'initial' THEN $4::uuid END,"
          " initial_started_at = CASE WHEN $3 = 'initial' THEN now() END,"
          " initial_tracks_seen = ($3 = 'initial' AND $7), initial_seen = 0,"
          " initial_floor = NULL, initial_last_modified = NULL, initial_unordered = false, updated_at = now()"
          " WHERE connection_id = $1::uuid AND stream = $2",
          connectionId_, s.name, modeName(p.mode), runId_, job_.id, tsParam(p.sinceMs), p.trackSeen);
      fence(conn);
      tx.commit();
    }
  }

  StreamTarget target{workspaceId_, name_, connectionId_, s.name, findEntity(s.entity)};
  StreamWriter::Options wo;
  wo.dryRun = dryRun_;
  wo.trackSeen = !dryRun_ && p.mode == StreamMode::Initial && p.trackSeen;
  wo.runId = p.mode == StreamMode::Initial && !p.seenRunId.empty() ? p.seenRunId : runId_;
  wo.jobId = job_.id;
  wo.initialBatch = cfg_.sync.initialBatch;
  wo.minBatch = cfg_.sync.minBatch;
  wo.maxBatch = cfg_.sync.maxBatch;
  wo.maxBatchAge = cfg_.sync.maxBatchAge;
  if (!dryRun_) {
    auto open = conn.exec(
        "SELECT EXISTS (SELECT 1 FROM sync_record_errors WHERE connection_id = $1::uuid AND stream = $2"
        " AND resolved_at IS NULL)",
        connectionId_, s.name);
    wo.resolveErrors = open.boolean(0, 0);
    // No row of this source at all (a first sync): plain INSERTs until a conflict says otherwise.
    const std::string table = tableOf(s);
    auto none = conn.exec(
        "SELECT NOT EXISTS (SELECT 1 FROM " + table + " WHERE workspace_id = $1::uuid AND source = $2" +
            (table == "records" ? std::string(" AND stream = $3") : std::string(" AND $3::text IS NOT NULL")) + ")",
        workspaceId_, name_, s.name);
    wo.targetEmpty = none.boolean(0, 0);
  }
  const StreamMode mode = p.mode;
  const std::string streamName = s.name;
  auto hook = [&, mode, streamName](db::Connection& c, const CommitInfo& info) {
    const std::string maxMs = tsParam(info.maxModifiedMs);
    if (mode == StreamMode::Backfill) {
      c.exec(
          "UPDATE backfill_cursors SET cursor = coalesce(nullif($3, '')::jsonb, cursor), updated_at = now()"
          " WHERE job_id = $1::uuid AND stream = $2",
          job_.id, streamName, info.cursor);
    } else {
      c.exec(
          "UPDATE stream_state SET cursor = coalesce(nullif($3, '')::jsonb, cursor), initial_seen = initial_seen + $4,"
          " watermark = CASE WHEN $5 = '' THEN watermark ELSE greatest(watermark,"
          "   'epoch'::timestamptz + $5::bigint * interval '1 millisecond') END, updated_at = now()"
          " WHERE connection_id = $1::uuid AND stream = $2",
          connectionId_, streamName, info.cursor, info.seenAdded, maxMs);
      if (mode == StreamMode::Initial && info.maxModifiedMs) {
        // Whether this initial sync reads in modification order (see migration 006). A resumed
        // run starts strictly after its checkpoint, so order holds across a resume too.
        c.exec(
            "UPDATE stream_state SET"
            " initial_floor = coalesce(initial_floor, 'epoch'::timestamptz + $3::bigint * interval '1 millisecond'),"
            " initial_unordered = initial_unordered OR $5 OR coalesce(initial_last_modified >"
            "   'epoch'::timestamptz + $4::bigint * interval '1 millisecond', false),"
            // Only a batch with a checkpoint moves it: a resume starts after the last checkpoint, so
            // a final batch without one may be sent again, and must not look out of order then.
            " initial_last_modified = CASE WHEN $6 THEN greatest(initial_last_modified,"
            "   'epoch'::timestamptz + $3::bigint * interval '1 millisecond') ELSE initial_last_modified END"
            " WHERE connection_id = $1::uuid AND stream = $2",
            connectionId_, streamName, maxMs, tsParam(info.firstModifiedMs), info.outOfOrder, !info.cursor.empty());
      }
    }
    fence(c);  // last before COMMIT, so the job row is held only for the commit itself
  };
  if (dryRun_) conn.execScript("BEGIN");
  // A second connection lets one batch commit while the plugin fills the next; without a free
  // one at once, the stream runs single-buffered rather than wait.
  db::PooledConnection second;
  if (!dryRun_) {
    try {
      second = ctx_.pool().acquire(std::chrono::milliseconds(50));
    } catch (const db::DbError&) {
    }
  }
  std::vector<db::Connection*> conns = {&conn};
  if (second) conns.push_back(&*second);
  auto writerPtr = std::make_unique<StreamWriter>(conns, target, wo, hook);
  StreamWriter& writer = *writerPtr;
  auto onProgress = [&](int64_t current, int64_t total, std::string_view message) {
    progress_ = Json{{"current", current}, {"total", total}, {"message", std::string(message)}, {"stream", streamName}};
    meta["progress"] = progress_;
    meta["counts"] = countsJson(writer.totals());
    writeProgress(false);
  };
  EngineServices services(ctx_, s.name, &writer, result.pages, httpCalls_, http429s_, onProgress);

  plugins::SyncRequest req;
  req.stream = s.name;
  req.cursorJson = p.cursor;
  req.sinceMs = p.sinceMs;
  if (mode == StreamMode::Backfill) {
    req.windowFromMs = windowFrom_;
    req.windowToMs = windowTo_;
    req.ids = ids_;
  }
  log::info("engine", "{}/{} stream {}: {} sync{}{}", workspaceSlug_, name_, s.name, modeName(mode),
            p.resume ? " (resuming from its last checkpoint)" : "",
            p.sinceMs ? " since " + time::iso8601Ms(*p.sinceMs) : "");
  const plugins::SyncMode pm = mode == StreamMode::Initial       ? plugins::SyncMode::Initial
                               : mode == StreamMode::Incremental ? plugins::SyncMode::Incremental
                                                                 : plugins::SyncMode::Backfill;
  result.call = instance_->sync(pm, req, services);
  // A hook that returns OK after a stop request did not finish: never treat it as complete.
  if (result.call.ok() && ctx_.stopRequested()) {
    result.call = CallResult{ResultCode::Cancelled, "stopped on request", std::nullopt};
  }
  bool discardConnections = false;
  try {
    if (result.call.ok()) {
      writer.finish();
      result.unidentifiedErrors = writer.unidentifiedErrors();
      if (dryRun_) {
        if (mode == StreamMode::Initial) result.wouldDelete = writer.countUnseen();
        conn.execScript("ROLLBACK");
      } else {
        completeStream(conn, p, result);
      }
    } else {
      writer.abort();
      if (dryRun_) {
        conn.execScript("ROLLBACK");
      } else if (mode != StreamMode::Backfill && !lost_) {
        // Never over a run that took this one's place (see fence).
        db::Transaction tx(conn);
        conn.exec(
            "UPDATE stream_state SET status = $3, last_error = $4, updated_at = now()"
            " WHERE connection_id = $1::uuid AND stream = $2",
            connectionId_, s.name, result.call.code == ResultCode::Cancelled ? "cancelled" : "failed",
            result.call.message);
        fence(conn);
        tx.commit();
      }
    }
  } catch (const db::DbError& e) {
    discardConnections = true;
    result.call = CallResult{ResultCode::Retry,
                             std::string("database error finishing stream ") + s.name + ": " + e.what(), std::nullopt};
  }
  if (services.databaseError()) discardConnections = true;
  result.counts = writer.totals();
  // The writer goes before its connections: it may still roll back on them.
  writerPtr.reset();
  if (discardConnections) {
    pooled.discard();
    second.discard();
  }
  meta["status"] =
      result.call.ok() ? "completed" : (result.call.code == ResultCode::Cancelled ? "cancelled" : "failed");
  meta["counts"] = countsJson(result.counts);
  meta["pages"] = result.pages;
  if (dryRun_ && mode == StreamMode::Initial) meta["would_delete"] = result.wouldDelete;
  if (result.swept) meta["counts"]["deleted"] = result.counts.deleted + result.swept;
  if (!result.call.ok()) meta["error"] = result.call.message;
  return result;
}

void SyncRun::fence(db::Connection& conn) const {
  if (!job_.workerId || !job_.claimUs || dryRun_) return;
  auto held = conn.exec(
      "SELECT 1 FROM jobs WHERE id = $1::uuid AND status = 'running' AND worker_id = $2"
      " AND (extract(epoch from started_at) * 1000000)::bigint = $3 FOR SHARE",
      job_.id, *job_.workerId, *job_.claimUs);
  if (held.empty()) {
    lost_ = true;
    throw db::DbError("job " + job_.id + " is no longer held by " + *job_.workerId +
                          " (its lease expired and it was rescued, or it was released); nothing more of this run is "
                          "committed",
                      "55000");
  }
}

void SyncRun::completeStream(db::Connection& conn, const StreamPlan& p, StreamResult& result) {
  const auto& s = *p.stream;
  db::Transaction tx(conn);
  if (p.mode == StreamMode::Backfill) {
    conn.exec("UPDATE backfill_cursors SET done = true, updated_at = now() WHERE job_id = $1::uuid AND stream = $2",
              job_.id, s.name);
    fence(conn);
    tx.commit();
    return;
  }
  if (p.mode == StreamMode::Initial && p.trackSeen) {
    // The rows this full refresh did not see are gone at the source. Only now, with every batch
    // committed, are they marked deleted; and only if the seen set is whole.
    auto st = conn.exec(
        "SELECT initial_seen, initial_run_id FROM stream_state WHERE connection_id = $1::uuid AND stream = $2",
        connectionId_, s.name);
    const int64_t expected = st.int64(0, 0);
    const std::string seenRun = st.optText(0, 1).value_or(p.seenRunId);
    const int64_t have =
        conn.exec("SELECT count(*) FROM sync_seen WHERE run_id = $1::uuid AND stream = $2", seenRun, s.name)
            .int64(0, 0);
    if (result.unidentifiedErrors > 0) {
      log::warn("engine",
                "{}/{} stream {}: {} failed record(s) had no id, so the full refresh cannot tell which rows "
                "it missed; not marking unseen rows deleted",
                workspaceSlug_, name_, s.name, result.unidentifiedErrors);
    } else if (have != expected) {
      log::error("engine",
                 "{}/{} stream {}: the full refresh's seen set holds {} ids, {} were recorded; not marking "
                 "unseen rows deleted",
                 workspaceSlug_, name_, s.name, have, expected);
    } else {
      // Fresh statistics, so the anti-join below is planned for the set's real size.
      conn.execScript("ANALYZE sync_seen");
      const std::string table = tableOf(s);
      auto swept = conn.exec("UPDATE " + table +
                                 " t SET deleted_at = now(), updated_at = now() WHERE t.workspace_id = $1::uuid"
                                 " AND t.source = $2 AND t.stream = $3 AND t.deleted_at IS NULL"
                                 // A row written since the refresh began (by a backfill beside it)
                                 // is not the refresh's to judge.
                                 " AND t.updated_at < (SELECT initial_started_at FROM stream_state"
                                 "   WHERE connection_id = $5::uuid AND stream = $3)"
                                 " AND NOT EXISTS (SELECT 1 FROM sync_seen s WHERE s.run_id = $4::uuid"
                                 "  AND s.stream = $3 AND s.source_id = t.source_id)",
                             workspaceId_, name_, s.name, seenRun, connectionId_);
      result.swept = swept.affected();
      if (result.swept) {
        log::info("engine", "{}/{} stream {}: the full refresh marked {} rows it did not see deleted", workspaceSlug_,
                  name_, s.name, result.swept);
      }
    }
    conn.exec("DELETE FROM sync_seen WHERE run_id = $1::uuid AND stream = $2", seenRun, s.name);
  }
  std::optional<std::string> loweredTo;
  if (p.mode == StreamMode::Initial) {
    // An initial sync read out of modification order: the next incremental starts from its first
    // batch, so that what changed while it ran is read (see migration 006).
    auto lowered = conn.exec(
        "UPDATE stream_state SET watermark = least(watermark, initial_floor)"
        " WHERE connection_id = $1::uuid AND stream = $2 AND initial_unordered AND initial_floor < watermark"
        " RETURNING initial_floor::text",
        connectionId_, s.name);
    if (!lowered.empty()) loweredTo = lowered.text(0, 0);
  }
  conn.exec(
      "UPDATE stream_state SET initialized_at = coalesce(initialized_at, now()), cursor = NULL, cursor_mode = NULL,"
      " cursor_since = NULL, cursor_job_id = NULL, initial_run_id = NULL, initial_started_at = NULL,"
      " initial_tracks_seen = false, initial_seen = 0,"
      " initial_floor = NULL, initial_last_modified = NULL, initial_unordered = false,"
      " status = 'completed', last_error = NULL, last_success_at = now(), updated_at = now()"
      " WHERE connection_id = $1::uuid AND stream = $2",
      connectionId_, s.name);
  // Last, so that the job row is held only for the commit, not through the sweep.
  fence(conn);
  tx.commit();
  if (loweredTo) {
    log::info("engine",
              "{}/{} stream {}: the initial sync did not read in modification order; the next incremental "
              "starts from its first batch's time ({}) so that changes made while it ran are not missed",
              workspaceSlug_, name_, s.name, *loweredTo);
  }
}

queue::Outcome SyncRun::outcomeOf(const CallResult& r, const std::string& where) {
  const std::string message = where + ": " + r.message;
  switch (r.code) {
    case ResultCode::Ok: return queue::Outcome{};
    case ResultCode::Retry: return fail(queue::Outcome::Kind::Retry, message);
    case ResultCode::Fatal: return fail(queue::Outcome::Kind::Fatal, message);
    case ResultCode::Cancelled: return fail(queue::Outcome::Kind::Cancelled, message);
    case ResultCode::Wait: {
      auto o = fail(queue::Outcome::Kind::Wait, message);
      o.until = time::fromEpochMs(r.retryAfterMs.value_or(time::toEpochMs(time::Clock::now()) + 1000));
      o.waitReason = "rate_limit";
      return o;
    }
  }
  return queue::Outcome{};
}

void SyncRun::recordFailure(const std::string& status, const std::string& error, bool connectionError) {
  if (dryRun_ || runId_.empty() || lost_) return;  // a run that lost its job reports nothing over its successor
  try {
    auto conn = ctx_.pool().acquire();
    db::Transaction tx(*conn);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
    conn->exec(
        "UPDATE sync_runs SET status = $2, completed_at = now(), duration_ms = $3,"
        " errors = errors || jsonb_build_array($4::text), metadata = metadata || $5::jsonb WHERE id = $1::uuid",
        runId_, status, ms.count(), error,
        Json{{"streams", streamsMeta_}, {"http_calls", httpCalls_}, {"http_429s", http429s_}});
    conn->exec(
        "UPDATE connections SET status = CASE WHEN $2 THEN 'error' ELSE status END,"
        " error_message = CASE WHEN $2 THEN $3 ELSE error_message END, updated_at = now() WHERE id = $1::uuid",
        connectionId_, connectionError, error);
    conn->exec(
        "INSERT INTO events (workspace_id, connection_id, run_id, job_id, type, payload)"
        " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5, $6::jsonb)",
        workspaceId_, connectionId_, runId_, job_.id, status == "cancelled" ? "sync.cancelled" : "sync.failed",
        Json{{"run_id", runId_},
             {"job_id", job_.id},
             {"connection", name_},
             {"status", status},
             {"error", error},
             {"will_retry", !connectionError && status == "failed" && job_.attempts < job_.maxAttempts},
             {"streams", streamsMeta_}});
    fence(*conn);
    tx.commit();
  } catch (const std::exception& e) {
    log::error("engine", "recording the failure of run {} failed: {}", runId_, e.what());
  }
}

queue::Outcome SyncRun::finishRun(const std::vector<StreamPlan>& plans, const std::vector<StreamResult>& results) {
  WriteCounts total;
  int64_t swept = 0;
  Json perStream = Json::object();
  for (size_t i = 0; i < results.size(); ++i) {
    total += results[i].counts;
    swept += results[i].swept;
    perStream[plans[i].stream->name] = streamsMeta_[plans[i].stream->name];
  }
  const int64_t attempted = total.records + total.failed;
  const double rate = attempted ? static_cast<double>(total.failed) / static_cast<double>(attempted) : 0.0;
  std::string status = total.failed == 0 ? "completed" : "completed_with_errors";
  std::string error;
  // A replay re-reads records known to be broken: the ones that stay broken do not fail it.
  if (total.failed > 0 && rate >= cfg_.sync.failureThreshold && !replay_) {
    status = "failed";
    error =
        fmt::format("{} of {} records failed ({:.1f}%), at or above the threshold of {:.1f}% (sync.failure_threshold)",
                    total.failed, attempted, rate * 100, cfg_.sync.failureThreshold * 100);
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
  Json summary = {{"run_id", runId_.empty() ? Json(nullptr) : Json(runId_)},
                  {"status", dryRun_ ? "dry_run" : status},
                  {"dry_run", dryRun_},
                  {"streams", perStream},
                  {"records", total.records},
                  {"inserted", total.inserted},
                  {"updated", total.updated},
                  {"unchanged", total.unchanged},
                  {"deleted", total.deleted + swept},
                  {"failed", total.failed},
                  {"http_calls", httpCalls_},
                  {"http_429s", http429s_},
                  {"duration_ms", ms.count()}};
  if (!dryRun_) {
    auto conn = ctx_.pool().acquire();
    db::Transaction tx(*conn);
    std::string mode = "incremental";
    for (const auto& p : plans) {
      if (p.mode == StreamMode::Initial) mode = "initial";
      if (p.mode == StreamMode::Backfill) mode = "backfill";
    }
    conn->exec(
        "UPDATE sync_runs SET status = $2, completed_at = now(), duration_ms = $3, records_synced = $4,"
        " errors = CASE WHEN $5 = '' THEN errors ELSE errors || jsonb_build_array($5::text) END,"
        " metadata = metadata || $6::jsonb WHERE id = $1::uuid",
        runId_, status, ms.count(), total.inserted + total.updated, error,
        Json{{"streams", streamsMeta_},
             {"http_calls", httpCalls_},
             {"http_429s", http429s_},
             {"progress", Json{{"current", total.records}, {"total", total.records}, {"message", "done"}}},
             {"totals", countsJson(total)}});
    if (status == "failed") {
      conn->exec("UPDATE connections SET status = 'error', error_message = $2, updated_at = now() WHERE id = $1::uuid",
                 connectionId_, error);
    } else {
      // The seeds' columns, kept for compatibility: last_sync_at is when the sync finished.
      conn->exec(
          "UPDATE connections SET status = 'synced', error_message = NULL, last_sync_at = now(),"
          " sync_cursor = $2::jsonb, updated_at = now() WHERE id = $1::uuid",
          connectionId_,
          Json{{"lastSyncMode", mode},
               {"lastSyncAt", time::iso8601(time::Clock::now())},
               {"lastSyncRecords", total.inserted + total.updated},
               {"runId", runId_}});
    }
    conn->exec(
        "INSERT INTO events (workspace_id, connection_id, run_id, job_id, type, payload)"
        " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5, $6::jsonb)",
        workspaceId_, connectionId_, runId_, job_.id, status == "failed" ? "sync.failed" : "sync.completed",
        Json{{"run_id", runId_},
             {"job_id", job_.id},
             {"workspace", workspaceSlug_},
             {"connection", name_},
             {"connector", connector_},
             {"status", status},
             {"error", error},
             {"streams", perStream},
             {"totals", countsJson(total)}});
    fence(*conn);
    tx.commit();
  }
  log::info("engine", "{}/{}: {} in {} ms: {} records ({} new, {} updated, {} unchanged, {} deleted, {} failed){}",
            workspaceSlug_, name_, dryRun_ ? "dry run" : status, ms.count(), total.records, total.inserted,
            total.updated, total.unchanged, total.deleted + swept, total.failed, dryRun_ ? ", nothing written" : "");
  if (status == "failed") {
    auto o = fail(queue::Outcome::Kind::Fatal, error);
    o.result = summary;
    return o;
  }
  queue::Outcome o;
  o.result = summary;
  return o;
}

queue::Outcome SyncRun::execute() {
  try {
    loadConnection();
    parsePayload();
    createInstance();
  } catch (const std::invalid_argument& e) {
    return fail(queue::Outcome::Kind::Fatal, e.what());
  } catch (const db::DbError& e) {
    return fail(queue::Outcome::Kind::Retry, std::string("database error: ") + e.what());
  } catch (const std::exception& e) {
    return fail(queue::Outcome::Kind::Fatal, e.what());
  }

  std::vector<StreamPlan> plans;
  try {
    plans = plan();
    openRun(plans);
  } catch (const std::invalid_argument& e) {
    return fail(queue::Outcome::Kind::Fatal, e.what());
  } catch (const std::exception& e) {
    return fail(queue::Outcome::Kind::Retry, std::string("database error: ") + e.what());
  }

  // Credentials and connectivity first: a bad key fails the job now, with the plugin's words.
  {
    int64_t ignoredPages = 0;
    EngineServices checkServices(ctx_, "", nullptr, ignoredPages, httpCalls_, http429s_,
                                 [](int64_t, int64_t, std::string_view) {});
    auto r = instance_->check(checkServices);
    if (!r.ok()) {
      const bool fatal = r.code == ResultCode::Fatal;
      recordFailure(r.code == ResultCode::Cancelled ? "cancelled" : "failed", "check failed: " + r.message, fatal);
      return outcomeOf(r, "check failed");
    }
  }

  std::vector<StreamResult> results;
  for (auto& p : plans) {
    if (p.skip) {
      results.push_back(StreamResult{});
      continue;
    }
    StreamResult r;
    try {
      r = runStream(p);
    } catch (const std::exception& e) {
      r.call = CallResult{ResultCode::Retry, e.what(), std::nullopt};
    }
    results.push_back(r);
    if (!r.call.ok()) {
      const bool fatal = r.call.code == ResultCode::Fatal;
      const std::string where = "stream " + p.stream->name;
      recordFailure(r.call.code == ResultCode::Cancelled ? "cancelled" : "failed", where + ": " + r.call.message,
                    fatal);
      auto o = outcomeOf(r.call, where);
      return o;
    }
  }
  writeProgress(true);
  try {
    return finishRun(plans, results);
  } catch (const std::exception& e) {
    return fail(queue::Outcome::Kind::Retry, std::string("database error finishing the run: ") + e.what());
  }
}

}  // namespace tributary::engine
