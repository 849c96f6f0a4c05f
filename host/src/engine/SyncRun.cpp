#include "engine/SyncRun.h"

#include <fmt/format.h>

#include "common/Log.h"
#include "common/Strings.h"
#include "common/Time.h"
#include "engine/EntitySchema.h"
#include "engine/StreamDiscovery.h"
#include "engine/TargetTable.h"

namespace tributary::engine {
namespace {

using plugins::CallResult;
using plugins::ResultCode;
using sync::Mode;

Json countsJson(const WriteCounts& c) {
  return Json{{"records", c.records}, {"inserted", c.inserted},
              {"updated", c.updated}, {"unchanged", c.unchanged},
              {"deleted", c.deleted}, {"failed", c.failed},
              {"batches", c.batches}, {"keys_only_missing", c.keysOnlyMissing},
              {"links", c.links},     {"links_deleted", c.linksDeleted}};
}

queue::Outcome fail(queue::Outcome::Kind kind, const std::string& message) {
  queue::Outcome o;
  o.kind = kind;
  o.error = message;
  return o;
}

std::string endedStatus(const CallResult& r) { return r.code == ResultCode::Cancelled ? "cancelled" : "failed"; }

}  // namespace

SyncRun::SyncRun(queue::JobContext& ctx, const config::Config& cfg, const plugins::PluginRegistry& registry,
                 http::HttpService& http)
    : ctx_(ctx), cfg_(cfg), registry_(registry), http_(http), job_(ctx.job()) {}

SyncRun::~SyncRun() = default;

int64_t SyncRun::elapsedMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
}

StreamTarget SyncRun::targetOf(const plugins::StreamDescriptor& s) const {
  return StreamTarget{workspaceId_, name_, connectionId_, s.name, findEntity(s.entity)};
}

void SyncRun::loadConnection() {
  JobConnection c = JobConnection::load(ctx_, cfg_, registry_);
  connectionId_ = c.id;
  workspaceId_ = c.workspaceId;
  workspaceSlug_ = c.workspaceSlug;
  name_ = c.name;
  connector_ = c.connector;
  conf_ = c.conf;
  plugin_ = c.plugin;
  connection_ = std::move(c);
}

void SyncRun::createInstance() {
  instance_ = connection_.createInstance(ctx_);
  vendor_ = connection_.vendorClient(
      ctx_, http_, [this] { return ctx_.stopRequested(); }, &counters_.http);
}

std::optional<queue::Outcome> SyncRun::discoverStreams() {
  streams_ = &plugin_->streams();
  if (!plugin_->discoversStreams()) return std::nullopt;
  // An earlier attempt that did the work returns its result without touching the source again.
  if (!request_.dryRun) {
    if (auto done = recorder_->earlierResult()) {
      queue::Outcome o;
      o.result = *done;
      return o;
    }
  }
  Discovery d = StreamDiscovery::run(
      *instance_, [this] { return ctx_.stopRequested(); }, vendor_.get());
  if (!request_.dryRun)
    StreamDiscovery::store(ctx_.pool(), *fence_, connectionId_, job_.id, plugin_->name(), plugin_->version(), d);
  if (!d.result.ok()) return outcomeOf(d.result, "discover failed");
  if (d.streams.empty()) {
    return fail(queue::Outcome::Kind::Fatal,
                "connection " + label() + " has no streams: the discover hook of " + connector_ +
                    " declared none, so there is nothing to sync (`tributary connections streams " + workspaceSlug_ +
                    " " + name_ + "` shows what it found)");
  }
  discovered_ = std::move(d.streams);
  streams_ = &discovered_;
  std::vector<std::string> names;
  for (const auto& s : discovered_) names.push_back(s.name);
  log::info("engine", "{}: {} discovered {} stream(s): {}", label(), connector_, names.size(),
            strings::join(names, ", "));
  return std::nullopt;
}

std::vector<StreamPlan> SyncRun::plan() {
  const auto streams = StreamPlanner::select(*streams_, request_.streams, label());
  auto conn = ctx_.pool().acquire();
  std::vector<StreamPlan> plans;
  std::vector<std::string> wholeOnly;
  for (const auto* s : streams) {
    if (request_.backfill()) {
      StreamPlan p =
          planner_->planBackfill(*s, state_->loadBackfill(*conn, s->name), state_->loadCarriedState(*conn, s->name));
      if (s->fullRefreshOnly()) {
        // A backfill reads part of a stream; this one can only be read whole. The other streams
        // of the backfill still run.
        p.skip = true;
        p.skipReason = StreamPlanner::readWholeOnly(*s, workspaceSlug_, name_);
        wholeOnly.push_back(p.skipReason);
      }
      plans.push_back(p);
    } else {
      const StreamTarget target = targetOf(*s);
      plans.push_back(
          planner_->plan(*s, state_->load(*conn, s->name), [&] { return target::hasLiveRows(*conn, target); }));
    }
  }
  // Nothing left to backfill: the job fails, with what to run instead.
  if (!wholeOnly.empty() && wholeOnly.size() == plans.size()) {
    throw std::invalid_argument(strings::join(wholeOnly, "; "));
  }
  for (const auto& p : plans) {
    if (!p.skipReason.empty()) log::warn("engine", "{}: skipping {}", label(), p.skipReason);
  }
  return plans;
}

void SyncRun::openRun(const std::vector<StreamPlan>& plans) {
  started_ = std::chrono::steady_clock::now();
  Json names = Json::array();
  for (const auto& p : plans) {
    names.push_back(p.stream->name);
    Json& meta = stats_.streams[p.stream->name];
    meta = Json{{"mode", sync::toString(p.mode)},
                {"status", !p.skip                ? "pending"
                           : p.skipReason.empty() ? "completed"
                                                  : "skipped"},
                {"resumed", p.resume}};
    if (!p.skipReason.empty()) meta["reason"] = p.skipReason;
    if (p.stream->fullRefreshOnly() && p.mode == Mode::Initial) meta["full_refresh"] = true;
  }
  if (request_.dryRun) return;
  finishedBefore_ = recorder_->open(planner_->runMode(plans), request_.syncType, names, stats_);
}

void SyncRun::writeProgress(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - lastProgressWrite_ < cfg_.sync.progressInterval) return;
  lastProgressWrite_ = now;
  if (fence_->lost()) return;
  const std::string message = stats_.progress.value("message", "");
  ctx_.reportProgress(stats_.progress.value("current", int64_t{0}), stats_.progress.value("total", int64_t{0}), message,
                      true);
  if (request_.dryRun) return;
  stats_.http = counters_.http;
  stats_.plugin = statistics_.toJson();
  recorder_->progress(stats_);
}

queue::Outcome SyncRun::endEarly(const CallResult& r, const std::string& where) {
  if (!request_.dryRun) {
    stats_.http = counters_.http;
    stats_.plugin = statistics_.toJson();
    if (r.code == ResultCode::Wait) {
      // A vendor's rate limit or quota: the run waits, it has not failed.
      recorder_->waiting(r.retryAfterMs.value_or(time::toEpochMs(time::Clock::now()) + 1000), where + ": " + r.message,
                         elapsedMs(), stats_);
    } else {
      recorder_->failed(endedStatus(r), where + ": " + r.message, r.code == ResultCode::Fatal, elapsedMs(), stats_);
    }
  }
  return outcomeOf(r, where);
}

SyncRun::StreamResult SyncRun::runStream(StreamPlan& p) {
  StreamResult result;
  const auto& s = *p.stream;
  const Mode mode = p.mode;
  Json& meta = stats_.streams[s.name];
  meta["status"] = "running";
  auto pooled = ctx_.pool().acquire();
  db::Connection& conn = *pooled;
  const bool dryRun = request_.dryRun;
  const StreamTarget target = targetOf(s);

  if (!dryRun) {
    if (mode == Mode::Backfill) state_->startBackfill(conn, s.name);
    else if (p.resume) state_->startResumed(conn, *fence_, p, recorder_->runId());
    else {
      state_->startFresh(conn, *fence_, p, recorder_->runId());
      if (mode == Mode::Initial) p.seenRunId = recorder_->runId();
    }
  }

  StreamWriter::Options wo;
  wo.dryRun = dryRun;
  wo.trackSeen = !dryRun && mode == Mode::Initial && p.trackSeen;
  wo.runId = mode == Mode::Initial && !p.seenRunId.empty() ? p.seenRunId : recorder_->runId();
  wo.writingRunId = recorder_->runId();
  wo.jobId = job_.id;
  wo.linkTypes = plugin_->linkTypes();
  wo.initialBatch = cfg_.sync.initialBatch;
  wo.minBatch = cfg_.sync.minBatch;
  wo.maxBatch = cfg_.sync.maxBatch;
  wo.maxBatchAge = cfg_.sync.maxBatchAge;
  wo.maxClockSkew = cfg_.sync.maxClockSkew;
  wo.declaredOrdered = s.modificationOrder();
  wo.label = label();
  if (!dryRun) {
    wo.resolveErrors = target::hasOpenRecordErrors(conn, target);
    wo.targetEmpty = target::emptyForSource(conn, target);
  }
  StreamCheckpointer checkpointer(*state_, *fence_, mode, s.name, dryRun ? nullptr : recorder_.get());
  // A dry run stages and compares inside one transaction that is rolled back at the end.
  std::optional<db::Transaction> dryTx;
  if (dryRun) dryTx.emplace(conn);
  // A second connection lets one batch commit while the plugin fills the next; without a free
  // one at once, the stream runs single-buffered rather than wait.
  db::PooledConnection second;
  if (!dryRun) {
    try {
      second = ctx_.pool().acquire(std::chrono::milliseconds(50));
    } catch (const db::DbError&) {
    }
  }
  std::vector<db::Connection*> conns = {&conn};
  if (second) conns.push_back(&*second);
  auto writerPtr = std::make_unique<StreamWriter>(conns, target, wo, checkpointer);
  StreamWriter& writer = *writerPtr;
  auto onProgress = [&](int64_t current, int64_t total, std::string_view message) {
    stats_.progress =
        Json{{"current", current}, {"total", total}, {"message", std::string(message)}, {"stream", s.name}};
    meta["progress"] = stats_.progress;
    meta["counts"] = countsJson(writer.totals());
    writeProgress(false);
  };
  const int64_t pagesBefore = counters_.pages;
  EngineServices services(
      s.name, &writer, counters_, [this] { return ctx_.stopRequested(); }, onProgress,
      RunExtras{&statistics_, followUps_.get(), mode == Mode::Backfill, &plugin_->linkTypes(), vendor_.get()});

  plugins::SyncRequest req;
  req.stream = s.name;
  req.cursorJson = p.cursor;
  req.sinceMs = p.sinceMs;
  req.stateJson = p.state;
  if (mode == Mode::Backfill) {
    req.windowFromMs = request_.windowFromMs;
    req.windowToMs = request_.windowToMs;
    req.ids = request_.ids;
  }
  if (!p.warning.empty()) log::warn("engine", "{} stream {}: {}", label(), s.name, p.warning);
  log::info("engine", "{} stream {}: {} sync{}{}", label(), s.name, sync::toString(mode),
            p.resume ? " (resuming from its last checkpoint)" : "",
            p.sinceMs ? " since " + time::iso8601Ms(*p.sinceMs) : "");
  result.call = instance_->sync(mode, req, services);
  result.pages = counters_.pages - pagesBefore;
  // A hook that returns OK after a stop request did not finish: never treat it as complete.
  if (result.call.ok() && ctx_.stopRequested()) {
    result.call = CallResult{ResultCode::Cancelled, "stopped on request", std::nullopt};
  }
  bool discardConnections = false;
  try {
    if (result.call.ok()) {
      writer.finish();
      result.unidentifiedErrors = writer.unidentifiedErrors();
      if (dryRun) {
        if (mode == Mode::Initial) result.wouldDelete = writer.countUnseen();
        dryTx->rollback();
      } else {
        result.swept = state_->complete(conn, *fence_, p, target, result.unidentifiedErrors, label()).swept;
      }
    } else if (result.call.code == ResultCode::Wait && !dryRun && writer.atCheckpoint()) {
      // A rate limit or quota, met between pages: what was read up to the last checkpoint is
      // stored with it, so that the run resumes there. (A short quota window would otherwise
      // undo every page of a batch not yet committed, again and again.)
      writer.finish();
    } else {
      writer.abort();
      if (dryRun) {
        dryTx->rollback();
      } else if (mode != Mode::Backfill && !fence_->lost() && result.call.code != ResultCode::Wait) {
        // Never over a run that took this one's place (see RunFence); a wait resumes the stream.
        state_->markEnded(conn, *fence_, s.name, endedStatus(result.call), result.call.message);
      }
    }
  } catch (const db::DbError& e) {
    discardConnections = true;
    result.call = CallResult{ResultCode::Retry,
                             std::string("database error finishing stream ") + s.name + ": " + e.what(), std::nullopt};
  }
  if (services.databaseError()) discardConnections = true;
  result.counts = writer.totals();
  if (const int64_t ignored = writer.ownedValuesIgnored()) {
    // Not an error (the column is the links'), but a plugin that sends the value may not know.
    std::string owned;
    for (const auto& lt : plugin_->linkTypes()) {
      if (!lt.column.empty() && lt.fromEntity == s.entity) {
        owned += (owned.empty() ? "" : ", ") + lt.fromEntity + "." + lt.column + " (link type " + lt.name + ")";
      }
    }
    meta["owned_values_ignored"] = ignored;
    log::warn("engine",
              "{} stream {}: {} records gave a value for {}, which links write alone; the values were ignored", label(),
              s.name, ignored, owned);
  }
  if (writer.orderViolation()) meta["order_warning"] = *writer.orderViolation();
  // The writer goes before its connections: it may still roll back on them.
  writerPtr.reset();
  dryTx.reset();
  if (discardConnections) {
    pooled.discard();
    second.discard();
  }
  meta["status"] = result.call.ok() ? "completed" : endedStatus(result.call);
  meta["counts"] = countsJson(result.counts);
  meta["pages"] = result.pages;
  if (dryRun && mode == Mode::Initial) meta["would_delete"] = result.wouldDelete;
  // A dry run stages the carried state and stores nothing: say what it would have stored.
  if (dryRun && services.stagedState()) meta["would_set_state"] = strings::truncate(*services.stagedState(), 200);
  if (result.swept) meta["counts"]["deleted"] = result.counts.deleted + result.swept;
  if (!result.call.ok()) meta["error"] = result.call.message;
  return result;
}

queue::Outcome SyncRun::finishRun(const std::vector<StreamPlan>& plans, const std::vector<StreamResult>& results) {
  WriteCounts total;
  int64_t swept = 0;
  Json perStream = Json::object();
  for (size_t i = 0; i < results.size(); ++i) {
    total += results[i].counts;
    swept += results[i].swept;
    perStream[plans[i].stream->name] = stats_.streams[plans[i].stream->name];
  }
  const int64_t attempted = total.records + total.failed;
  const double rate = attempted ? static_cast<double>(total.failed) / static_cast<double>(attempted) : 0.0;
  std::string status = total.failed == 0 ? "completed" : "completed_with_errors";
  std::string error;
  // A replay re-reads records known to be broken: the ones that stay broken do not fail it.
  if (total.failed > 0 && rate >= cfg_.sync.failureThreshold && !request_.replay) {
    status = "failed";
    error =
        fmt::format("{} of {} records failed ({:.1f}%), at or above the threshold of {:.1f}% (sync.failure_threshold)",
                    total.failed, attempted, rate * 100, cfg_.sync.failureThreshold * 100);
  }
  const int64_t ms = elapsedMs();
  const bool dryRun = request_.dryRun;
  Json summary = {{"run_id", dryRun || !recorder_->opened() ? Json(nullptr) : Json(recorder_->runId())},
                  {"status", dryRun ? "dry_run" : status},
                  {"dry_run", dryRun},
                  {"streams", perStream},
                  {"records", total.records},
                  {"inserted", total.inserted},
                  {"updated", total.updated},
                  {"unchanged", total.unchanged},
                  {"deleted", total.deleted + swept},
                  {"failed", total.failed},
                  {"keys_only_missing", total.keysOnlyMissing},
                  {"http_calls", counters_.http.calls},
                  {"http_429s", counters_.http.http429s},
                  {"http_retries", counters_.http.retries},
                  {"http_wait_ms", counters_.http.waitMs},
                  {"duration_ms", ms}};
  summary["plugin"] = statistics_.toJson();
  // A dry run lists what it would queue and queues nothing.
  summary["follow_ups"] = followUps_->preview();
  if (!dryRun) {
    RunOutcome o;
    o.status = status;
    o.error = error;
    o.durationMs = ms;
    o.swept = swept;
    o.mode = planner_->runMode(plans);
    o.streams = perStream;
    stats_.http = counters_.http;
    stats_.plugin = statistics_.toJson();
    const FollowUpOrigin origin{workspaceId_, connectionId_, recorder_->runId(), job_.id, job_.priority};
    // The result's counts become the whole job's, every attempt's.
    summary = recorder_->finished(
        o, stats_, summary, [&](db::Connection& conn) { return followUps_->enqueue(conn, ctx_.queue(), origin); });
    if (status == "failed" && !followUps_->empty()) {
      log::info("engine", "{}: the run failed, so the {} follow-up(s) its plugin asked for are not queued", label(),
                followUps_->preview().size());
    }
  }
  log::info("engine", "{}: {} in {} ms: {} records ({} new, {} updated, {} unchanged, {} deleted, {} failed){}",
            label(), dryRun ? "dry run" : status, ms, total.records, total.inserted, total.updated, total.unchanged,
            total.deleted + swept, total.failed, dryRun ? ", nothing written" : "");
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
    request_ = RunRequest::parse(job_.kind, job_.payload);
    createInstance();
  } catch (const NotHere& e) {
    return fail(queue::Outcome::Kind::Declined, e.what());
  } catch (const std::invalid_argument& e) {
    return fail(queue::Outcome::Kind::Fatal, e.what());
  } catch (const db::DbError& e) {
    return fail(queue::Outcome::Kind::Retry, std::string("database error: ") + e.what());
  } catch (const std::bad_alloc&) {
    throw;  // out of memory: the worker releases the job to run alone (see queue::Worker)
  } catch (const std::exception& e) {
    return fail(queue::Outcome::Kind::Fatal, e.what());
  }
  planner_ = std::make_unique<StreamPlanner>(request_.mode, job_.id, cfg_.sync.overlap, cfg_.sync.maxClockSkew);
  // Until discovery says otherwise, the declared streams (a follow-up may name any of the run's).
  followUps_ = std::make_unique<FollowUps>(plugin_->name(), plugin_->streams());
  state_ = std::make_unique<StreamStateStore>(connectionId_, job_.id, cfg_.sync.maxClockSkew);
  fence_ = std::make_unique<RunFence>(request_.dryRun ? std::nullopt : queue::JobClaim::of(job_));
  recorder_ =
      std::make_unique<RunRecorder>(ctx_.pool(),
                                    RunSubject{workspaceId_, workspaceSlug_, connectionId_, name_, connector_, job_.id,
                                               job_.attempts, job_.maxAttempts, job_.workerId.value_or("")},
                                    *fence_);

  std::vector<StreamPlan> plans;
  try {
    if (auto ended = discoverStreams()) return *ended;
    if (streams_ != &plugin_->streams()) followUps_ = std::make_unique<FollowUps>(plugin_->name(), *streams_);
    plans = plan();
    openRun(plans);
  } catch (const std::invalid_argument& e) {
    return fail(queue::Outcome::Kind::Fatal, e.what());
  } catch (const std::bad_alloc&) {
    throw;  // out of memory: the worker releases the job to run alone (see queue::Worker)
  } catch (const std::exception& e) {
    return fail(queue::Outcome::Kind::Retry, std::string("database error: ") + e.what());
  }
  if (finishedBefore_) {
    // An earlier attempt did the work; only the queue never heard of it.
    queue::Outcome done;
    done.result = *finishedBefore_;
    return done;
  }
  // Counters count every attempt's work: this one adds to what the earlier ones stored.
  statistics_.resumeFrom(recorder_->earlierPluginStats());

  // Credentials and connectivity first: a bad key fails the job now, with the plugin's words.
  {
    EngineServices checkServices(
        "", nullptr, counters_, [this] { return ctx_.stopRequested(); }, nullptr,
        RunExtras{&statistics_, followUps_.get(), false, nullptr, vendor_.get()});
    auto r = instance_->check(checkServices);
    if (!r.ok()) return endEarly(r, "check failed");
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
    } catch (const std::bad_alloc&) {
      throw;  // out of memory: the worker releases the job to run alone (see queue::Worker)
    } catch (const std::exception& e) {
      r.call = CallResult{ResultCode::Retry, e.what(), std::nullopt};
    }
    results.push_back(r);
    if (!r.call.ok()) return endEarly(r.call, "stream " + p.stream->name);
  }
  writeProgress(true);
  try {
    return finishRun(plans, results);
  } catch (const std::bad_alloc&) {
    throw;  // out of memory: the worker releases the job to run alone (see queue::Worker)
  } catch (const std::exception& e) {
    return fail(queue::Outcome::Kind::Retry, std::string("database error finishing the run: ") + e.what());
  }
}

}  // namespace tributary::engine
