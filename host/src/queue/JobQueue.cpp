#include "queue/JobQueue.h"

#include <cmath>
#include <cstring>
#include <random>
#include <set>

#include "common/Log.h"
#include "common/Redact.h"
#include "common/Strings.h"
#include "common/SyncMode.h"
#include "common/Time.h"
#include "db/PgArray.h"

namespace tributary::queue {
namespace {

// Timestamps come back as epoch milliseconds so that parsing is exact and cheap.
constexpr const char* kColumns =
    "id, kind, workspace_id, connection_id, parent_job_id, payload, priority,"
    " (extract(epoch from run_at) * 1000)::bigint, status, wait_reason, attempts, max_attempts,"
    " last_error, errors, (extract(epoch from lease_expires_at) * 1000)::bigint,"
    " (extract(epoch from heartbeat_at) * 1000)::bigint, worker_id, timeout_ms, unique_key,"
    " progress, result, cancel_requested_at IS NOT NULL,"
    " (extract(epoch from created_at) * 1000)::bigint, (extract(epoch from started_at) * 1000)::bigint,"
    " (extract(epoch from completed_at) * 1000)::bigint, run_alone";

std::optional<TimePoint> optTime(const db::Result& r, int row, int col) {
  auto v = r.optInt64(row, col);
  if (!v) return std::nullopt;
  return time::fromEpochMs(*v);
}

Job parseJob(const db::Result& r, int row) {
  Job j;
  j.id = r.text(row, 0);
  j.kind = r.text(row, 1);
  j.workspaceId = r.optText(row, 2);
  j.connectionId = r.optText(row, 3);
  j.parentJobId = r.optText(row, 4);
  j.payload = Json::parse(r.view(row, 5));
  j.priority = static_cast<int>(r.int64(row, 6));
  j.runAt = time::fromEpochMs(r.int64(row, 7));
  j.status = parseJobStatus(r.view(row, 8)).value_or(JobStatus::Pending);
  j.waitReason = r.optText(row, 9);
  j.attempts = static_cast<int>(r.int64(row, 10));
  j.maxAttempts = static_cast<int>(r.int64(row, 11));
  j.lastError = r.optText(row, 12);
  j.errors = Json::parse(r.view(row, 13));
  j.leaseExpiresAt = optTime(r, row, 14);
  j.heartbeatAt = optTime(r, row, 15);
  j.workerId = r.optText(row, 16);
  j.timeoutMs = r.int64(row, 17);
  j.uniqueKey = r.optText(row, 18);
  j.progress = Json::parse(r.view(row, 19));
  if (!r.isNull(row, 20)) j.result = Json::parse(r.view(row, 20));
  j.cancelRequested = r.boolean(row, 21);
  j.createdAt = time::fromEpochMs(r.int64(row, 22));
  j.startedAt = optTime(r, row, 23);
  j.completedAt = optTime(r, row, 24);
  j.runAlone = r.boolean(row, 25);
  return j;
}

std::string intervalMs(std::chrono::milliseconds d) { return std::to_string(d.count()) + " milliseconds"; }

// The class of the transaction locks that serialize enqueuers of one pending key; the object is
// the key's hash.
constexpr int kPendingKeyLockClass = 0x54725064;  // "TrPd"

}  // namespace

JobQueue::JobQueue(std::shared_ptr<db::Pool> pool, config::QueueConfig cfg)
    : pool_(std::move(pool)), cfg_(std::move(cfg)) {}

std::chrono::milliseconds JobQueue::backoff(const config::RetryPolicy& policy, int attempt) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  double ceiling = static_cast<double>(policy.base.count()) * std::pow(policy.factor, std::max(0, attempt - 1));
  ceiling = std::min(ceiling, static_cast<double>(policy.cap.count()));
  std::uniform_real_distribution<double> dist(0.0, std::max(0.0, ceiling));
  return std::chrono::milliseconds(static_cast<int64_t>(dist(rng)));
}

int64_t JobQueue::defaultTimeoutMs(const std::string& kind, const Json& payload) const {
  sync::Requested mode;
  if (payload.is_object() && payload.contains("mode") && payload["mode"].is_string()) {
    try {
      mode = sync::parseRequested(payload["mode"].get<std::string>());
    } catch (const std::invalid_argument&) {
      // The engine refuses the job with the reason; its timeout is a sync's.
    }
  }
  if (kind == "backfill" || mode == sync::Mode::Backfill) return cfg_.backfillTimeout.count();
  if (kind == "sync" && mode == sync::Mode::Initial) return cfg_.initialTimeout.count();
  if (kind == "sync") return cfg_.incrementalTimeout.count();
  return cfg_.defaultTimeout.count();
}

EnqueueResult JobQueue::enqueue(const EnqueueRequest& request) {
  auto conn = pool_->acquire();
  if (!request.pendingKey) return enqueue(*conn, request);
  db::Transaction tx(*conn);
  auto r = enqueue(*conn, request);
  tx.commit();
  return r;
}

EnqueueResult JobQueue::enqueue(db::Connection& conn, const EnqueueRequest& request) {
  if (request.pendingKey) return enqueuePending(conn, request);
  auto r = enqueueMany(conn, {request});
  return r.front();
}

EnqueueResult JobQueue::enqueuePending(db::Connection& conn, const EnqueueRequest& request) {
  if (!conn.inTransaction()) {
    // The lock below, and the pending job's row, must hold until the caller commits.
    throw std::logic_error("enqueue: a job with a pending key (" + *request.pendingKey +
                           ") is enqueued inside a transaction");
  }
  // One enqueuer of a key at a time, until its transaction ends: the look-up and the insert
  // below cannot race another's. The claim skips the locked pending row (SKIP LOCKED), so the
  // job stays pending while the caller may still change its payload.
  conn.execPrepared("SELECT pg_advisory_xact_lock($1::int4, hashtext($2::text))", kPendingKeyLockClass,
                    *request.pendingKey);
  auto pending = conn.execPrepared(
      "SELECT id FROM jobs WHERE pending_key = $1 AND status = 'pending' ORDER BY created_at LIMIT 1 FOR UPDATE",
      *request.pendingKey);
  if (!pending.empty()) return EnqueueResult{pending.text(0, 0), true, JobStatus::Pending};
  return enqueueBatch(conn, {request}, 1).front();
}

bool JobQueue::changePendingPayload(db::Connection& conn, const std::string& jobId,
                                    const std::function<std::optional<Json>(const Json&)>& change) {
  auto r = conn.execPrepared("SELECT payload FROM jobs WHERE id = $1::uuid AND status = 'pending' FOR UPDATE", jobId);
  if (r.empty()) return false;
  if (auto payload = change(Json::parse(r.view(0, 0)))) {
    conn.execPrepared("UPDATE jobs SET payload = $2::jsonb WHERE id = $1::uuid", jobId, *payload);
  }
  return true;
}

std::vector<EnqueueResult> JobQueue::enqueueMany(db::Connection& conn, const std::vector<EnqueueRequest>& requests) {
  for (const auto& r : requests) {
    if (r.pendingKey) throw std::invalid_argument("enqueueMany: a job with a pending key goes through enqueue");
  }
  return enqueueBatch(conn, requests, 1);
}

std::vector<EnqueueResult> JobQueue::enqueueBatch(db::Connection& conn, const std::vector<EnqueueRequest>& requests,
                                                  int settleRaces) {
  if (requests.empty()) return {};
  // One INSERT ... SELECT FROM unnest(...) for the batch. Rows whose unique key is taken by a
  // pending or running job insert nothing; the existing job is looked up and returned instead.
  std::vector<std::optional<std::string>> kinds, workspaces, connections, parents, payloads, priorities, runAts,
      maxAttempts, timeouts, keys, pendingKeys;
  for (const auto& r : requests) {
    if (r.kind.empty()) throw std::invalid_argument("enqueue: a job needs a kind");
    kinds.push_back(r.kind);
    workspaces.push_back(r.workspaceId);
    connections.push_back(r.connectionId);
    parents.push_back(r.parentJobId);
    payloads.push_back(r.payload.dump());
    priorities.push_back(std::to_string(r.priority));
    runAts.push_back(r.runAt ? std::optional<std::string>(std::to_string(time::toEpochMs(*r.runAt))) : std::nullopt);
    maxAttempts.push_back(std::to_string(r.maxAttempts.value_or(cfg_.retryFor(r.kind).maxAttempts)));
    timeouts.push_back(std::to_string(r.timeoutMs.value_or(defaultTimeoutMs(r.kind, r.payload))));
    keys.push_back(r.uniqueKey);
    pendingKeys.push_back(r.pendingKey);
  }
  const std::string sql =
      "WITH input AS MATERIALIZED ("
      " SELECT *, gen_random_uuid() AS new_id FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::uuid[], $5::jsonb[], $6::int[],"
      "  $7::bigint[], $8::int[], $9::bigint[], $10::text[], $11::text[]) WITH ORDINALITY"
      "  AS i(kind, workspace_id, connection_id, parent_job_id, payload, priority, run_at_ms,"
      "       max_attempts, timeout_ms, unique_key, pending_key, ord)),"
      " ins AS ("
      " INSERT INTO jobs (id, kind, workspace_id, connection_id, parent_job_id, payload, priority, run_at,"
      "                   max_attempts, timeout_ms, unique_key, pending_key)"
      " SELECT new_id, kind, workspace_id, connection_id, parent_job_id, payload, priority,"
      "        coalesce(to_timestamp(run_at_ms / 1000.0), now()), max_attempts, timeout_ms, unique_key, pending_key"
      " FROM input ORDER BY ord"
      " ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND status IN ('pending', 'running') DO NOTHING"
      " RETURNING id, status)"
      " SELECT i.ord, coalesce(ins.id, j.id), coalesce(ins.status, j.status), ins.id IS NULL"
      " FROM input i"
      " LEFT JOIN ins ON ins.id = i.new_id"
      " LEFT JOIN jobs j ON ins.id IS NULL AND i.unique_key IS NOT NULL AND j.unique_key = i.unique_key"
      "   AND j.status IN ('pending', 'running')"
      " ORDER BY i.ord";
  const bool anyKey =
      std::any_of(requests.begin(), requests.end(), [](const auto& r) { return r.uniqueKey.has_value(); });
  const std::string plainSql =
      "INSERT INTO jobs (kind, workspace_id, connection_id, parent_job_id, payload, priority, run_at,"
      " max_attempts, timeout_ms, unique_key, pending_key)"
      " SELECT kind, workspace_id, connection_id, parent_job_id, payload, priority,"
      "  coalesce(to_timestamp(run_at_ms / 1000.0), now()), max_attempts, timeout_ms, unique_key, pending_key"
      " FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::uuid[], $5::jsonb[], $6::int[],"
      "  $7::bigint[], $8::int[], $9::bigint[], $10::text[], $11::text[])"
      "  AS i(kind, workspace_id, connection_id, parent_job_id, payload, priority, run_at_ms,"
      "       max_attempts, timeout_ms, unique_key, pending_key)"
      " RETURNING id, status";
  std::vector<db::Param> params;
  for (const auto* column : {&kinds, &workspaces, &connections, &parents, &payloads, &priorities, &runAts, &maxAttempts,
                             &timeouts, &keys, &pendingKeys}) {
    params.push_back(db::textArray(*column));
  }
  auto r = conn.execPreparedParams(anyKey ? sql : plainSql, params);
  std::vector<EnqueueResult> out(requests.size());
  if (settleRaces == 0) {
    // A single retry of a raced request: report it unresolved rather than recurse.
    for (int i = 0; i < r.rows(); ++i) {
      const int c = anyKey ? 1 : 0;
      if (r.isNull(i, c)) return out;
      out[0].jobId = r.text(i, c);
      out[0].status = parseJobStatus(r.view(i, c + 1)).value_or(JobStatus::Pending);
      out[0].existing = anyKey ? r.boolean(i, 3) : false;
    }
    return out;
  }
  std::vector<size_t> unresolved;
  for (int i = 0; i < r.rows(); ++i) {
    const int c = anyKey ? 1 : 0;
    const size_t at = anyKey ? static_cast<size_t>(r.int64(i, 0) - 1) : static_cast<size_t>(i);
    if (r.isNull(i, c)) {
      // Its key was taken by a job that committed after this statement's snapshot (or by an
      // earlier row of this batch): resolve it alone below.
      unresolved.push_back(at);
      continue;
    }
    out[at].jobId = r.text(i, c);
    out[at].status = parseJobStatus(r.view(i, c + 1)).value_or(JobStatus::Pending);
    out[at].existing = anyKey ? r.boolean(i, 3) : false;
  }
  for (size_t at : unresolved) {
    for (int attempt = 0;; ++attempt) {
      auto one = enqueueBatch(conn, {requests[at]}, 0);
      if (!one.front().jobId.empty()) {
        out[at] = one.front();
        break;
      }
      if (attempt >= 5) throw db::DbError("enqueue: could not settle a unique-key race after 5 tries");
    }
  }
  // A bulk insert can double the table before autovacuum notices; until it does, the claim
  // would be planned for the old size (a scan of every row instead of the index).
  if (requests.size() >= 1000) conn.execScript("ANALYZE jobs");
  return out;
}

std::string JobQueue::jobColumns(const std::string& alias) {
  if (alias.empty()) return kColumns;
  std::string out;
  for (const auto& part : strings::split(kColumns, ',')) {
    std::string c(strings::trim(part));
    if (!out.empty()) out += ", ";
    // "(extract(epoch from run_at) * 1000)::bigint": the column inside gets the alias.
    if (auto from = c.find("from "); from != std::string::npos) {
      c.insert(from + 5, alias + ".");
    } else {
      c = alias + "." + c;
    }
    out += c;
  }
  return out;
}

Job JobQueue::parseRow(const db::Result& r, int row) { return parseJob(r, row); }

std::optional<Job> JobQueue::get(const std::string& jobId) {
  auto conn = pool_->acquire();
  auto r = conn->exec(std::string("SELECT ") + kColumns + " FROM jobs WHERE id = $1::uuid", jobId);
  if (r.empty()) return std::nullopt;
  return parseJob(r, 0);
}

std::vector<Job> JobQueue::list(const JobFilter& f) {
  std::vector<std::string> statuses;
  for (auto s : f.statuses) statuses.emplace_back(toString(s));
  auto conn = pool_->acquire();
  auto r = conn->exec(std::string("SELECT ") + kColumns +
                          " FROM jobs WHERE ($1::uuid IS NULL OR workspace_id = $1::uuid)"
                          " AND ($2::uuid IS NULL OR connection_id = $2::uuid)"
                          " AND ($3::text IS NULL OR kind = $3)"
                          " AND ($4::text[] IS NULL OR status = ANY($4::text[]))"
                          " ORDER BY created_at DESC LIMIT $5",
                      f.workspaceId, f.connectionId, f.kind,
                      statuses.empty() ? db::Param() : db::Param(db::textArray(statuses)), f.limit);
  std::vector<Job> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(parseJob(r, i));
  return out;
}

CancelOutcome JobQueue::cancel(const std::string& jobId) {
  std::vector<std::string> children;
  {
    auto conn = pool_->acquire();
    // A passive parent (a workspace sync) runs nowhere: cancelling it cancels its children, and
    // the last of them to end settles it (migration 017's trigger).
    auto p = conn->exec(
        "SELECT c.id FROM jobs p JOIN jobs c ON c.parent_job_id = p.id WHERE p.id = $1::uuid AND p.passive"
        " AND c.status IN ('pending', 'running') ORDER BY c.created_at",
        jobId);
    for (int i = 0; i < p.rows(); ++i) children.push_back(p.text(i, 0));
  }
  if (!children.empty()) {
    CancelOutcome out = CancelOutcome::AlreadyFinished;
    for (const auto& child : children) {
      const auto o = cancel(child);
      if (o == CancelOutcome::Requested) out = CancelOutcome::Requested;
      if (o == CancelOutcome::Cancelled && out != CancelOutcome::Requested) out = CancelOutcome::Cancelled;
    }
    return out;
  }
  auto conn = pool_->acquire();
  db::Transaction tx(*conn);
  auto r = conn->exec(
      "UPDATE jobs SET status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END,"
      " completed_at = CASE WHEN status = 'pending' THEN now() ELSE completed_at END,"
      " cancel_requested_at = now()"
      " WHERE id = $1::uuid AND status IN ('pending', 'running') RETURNING status, kind, connection_id",
      jobId);
  if (!r.empty() && r.view(0, 0) == "cancelled") {
    // A pending job may have a run that waits for it (a rate-limit wait, a released attempt).
    reportEnded(*conn, {{jobId, r.text(0, 1), r.optText(0, 2), JobStatus::Cancelled, "cancelled on request",
                         AttemptEnd::Cancelled}});
  }
  tx.commit();
  if (!r.empty()) {
    if (r.view(0, 0) == "cancelled") {
      log::info("queue", "job {} cancelled before it ran", jobId);
      return CancelOutcome::Cancelled;
    }
    conn->exec("SELECT pg_notify($1, $2)", kCancelChannel, jobId);
    log::info("queue", "job {} is running; its worker was asked to stop", jobId);
    return CancelOutcome::Requested;
  }
  auto e = conn->exec("SELECT 1 FROM jobs WHERE id = $1::uuid", jobId);
  return e.empty() ? CancelOutcome::NotFound : CancelOutcome::AlreadyFinished;
}

bool JobQueue::retry(const std::string& jobId) {
  auto conn = pool_->acquire();
  try {
    auto r = conn->exec(
        "UPDATE jobs SET status = 'pending', attempts = 0, run_at = now(), wait_reason = NULL,"
        " completed_at = NULL, cancel_requested_at = NULL, worker_id = NULL, lease_expires_at = NULL,"
        " heartbeat_at = NULL"
        " WHERE id = $1::uuid AND status IN ('discarded', 'failed', 'cancelled') RETURNING id",
        jobId);
    if (r.empty()) return false;
  } catch (const db::DbError& e) {
    if (e.isUniqueViolation()) {
      throw std::runtime_error("job " + jobId +
                               " cannot be retried: an equal job (same unique key) is "
                               "already pending or running");
    }
    throw;
  }
  conn->exec("SELECT pg_notify($1, '')", kNotifyChannel);
  log::info("queue", "job {} put back to pending by request", jobId);
  return true;
}

int64_t JobQueue::prune() {
  auto conn = pool_->acquire();
  int64_t total = 0;
  while (true) {
    auto r = conn->exec(
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE status IN ('completed', 'failed', 'cancelled')"
        " AND completed_at < now() - $1::interval LIMIT 5000)",
        intervalMs(cfg_.retention));
    total += r.affected();
    if (r.affected() < 5000) break;
  }
  if (total)
    log::info("queue", "pruned {} finished jobs older than {} days", total, cfg_.retention.count() / 86'400'000);
  return total;
}

namespace {

// One job per (connection, kind) at a time: none of its siblings may be running, and only the
// first pending sibling in claim order is eligible, so one batch never holds two.
constexpr const char* kSiblingsAllow =
    "  AND (connection_id IS NULL OR (NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = 'running'"
    "       AND r.connection_id = j.connection_id AND r.kind = j.kind)"
    "   AND NOT EXISTS (SELECT 1 FROM jobs p WHERE p.status = 'pending' AND p.run_at <= now()"
    "       AND p.connection_id = j.connection_id AND p.kind = j.kind AND p.id <> j.id"
    "       AND (p.priority > j.priority OR (p.priority = j.priority"
    "            AND (p.run_at, p.created_at, p.id) < (j.run_at, j.created_at, j.id))))))";

// What a worker can run: its connections (parameter `connections`, null: any) for the kinds they
// limit (`connectionKinds`), and not what it (`worker`) declined before. The claim and the
// run_alone reservation both ask it: a worker never drains for a job it would not claim.
std::string capable(int worker, int connections, int connectionKinds) {
  const auto p = [](int n) { return "$" + std::to_string(n); };
  return "  AND (" + p(connections) + "::uuid[] IS NULL OR j.connection_id IS NULL" + " OR NOT (j.kind = ANY(" +
         p(connectionKinds) + "::text[])) OR j.connection_id = ANY(" + p(connections) + "::uuid[]))" + "  AND NOT (" +
         p(worker) + " = ANY(j.declined_by))";
}

// The class of the session locks that reserve a run_alone job (reserveRunAlone); the object is
// the hash of the job's id. Its own class, beside the host's other advisory locks, because the
// object is a hash.
constexpr int kRunAloneLockClass = 0x5472416c;  // "TrAl"

}  // namespace

std::vector<Job> JobQueue::claim(const std::string& workerId, int max, const std::vector<std::string>& kinds,
                                 bool workerIdle, const std::optional<std::vector<std::string>>& connections,
                                 const std::vector<std::string>& connectionKinds) {
  if (max <= 0) return {};
  auto conn = pool_->acquire();
  const std::string sql =
      // A worker that runs nothing ($5) takes the first due run_alone job, alone, if there is
      // one (an index probe: that index holds only such jobs); otherwise, and always for a busy
      // worker, the others.
      std::string(
          "WITH a AS MATERIALIZED (SELECT id FROM jobs j"
          " WHERE $5::boolean AND status = 'pending' AND run_alone AND run_at <= now()"
          "  AND ($3::text[] IS NULL OR kind = ANY($3::text[]))") +
      capable(1, 6, 7) + kSiblingsAllow +
      " ORDER BY priority DESC, run_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED),"
      // The candidates are an array computed once: whatever plan PostgreSQL caches for this
      // prepared statement, the update then goes row by row through the primary key.
      " c AS MATERIALIZED (SELECT CASE WHEN EXISTS (SELECT 1 FROM a) THEN ARRAY(SELECT id FROM a) ELSE ARRAY("
      " SELECT id FROM jobs j"
      " WHERE status = 'pending' AND NOT run_alone AND run_at <= now()"
      "  AND ($3::text[] IS NULL OR kind = ANY($3::text[]))" +
      capable(1, 6, 7) + kSiblingsAllow +
      " ORDER BY priority DESC, run_at, created_at"
      " LIMIT $2 FOR UPDATE SKIP LOCKED) END AS ids)"
      " UPDATE jobs SET status = 'running', attempts = attempts + 1, worker_id = $1, started_at = now(),"
      "  heartbeat_at = now(), lease_expires_at = now() + $4::interval, wait_reason = NULL, executor = NULL"
      " FROM c WHERE jobs.id = ANY(c.ids)"
      // What a worker needs to run the job, and no more: conversions here cost per job.
      " RETURNING jobs.id, kind, workspace_id, connection_id, parent_job_id, payload, priority, attempts,"
      "  max_attempts, timeout_ms, unique_key, array_position(c.ids, jobs.id),"
      "  (extract(epoch from started_at) * 1000000)::bigint, run_alone";
  const db::Param kindsParam = kinds.empty() ? db::Param() : db::Param(db::textArray(kinds));
  const db::Param connectionsParam = connections ? db::Param(db::textArray(*connections)) : db::Param();
  for (int n = max;; n = 1) {
    try {
      auto r = conn->execPrepared(sql, workerId, n, kindsParam, intervalMs(cfg_.lease), workerIdle, connectionsParam,
                                  db::textArray(connectionKinds));
      std::vector<Job> out;
      std::vector<int64_t> order;
      out.reserve(static_cast<size_t>(r.rows()));
      const auto now = Clock::now();
      for (int i = 0; i < r.rows(); ++i) {
        Job j;
        j.id = r.text(i, 0);
        j.kind = r.text(i, 1);
        j.workspaceId = r.optText(i, 2);
        j.connectionId = r.optText(i, 3);
        j.parentJobId = r.optText(i, 4);
        const auto payload = r.view(i, 5);
        if (payload != "{}") j.payload = Json::parse(payload);
        j.priority = static_cast<int>(r.int64(i, 6));
        j.attempts = static_cast<int>(r.int64(i, 7));
        j.maxAttempts = static_cast<int>(r.int64(i, 8));
        j.timeoutMs = r.int64(i, 9);
        j.uniqueKey = r.optText(i, 10);
        j.status = JobStatus::Running;
        j.workerId = workerId;
        j.startedAt = now;
        j.priority = static_cast<int>(r.int64(i, 6));
        j.claimUs = r.int64(i, 12);
        j.runAlone = r.boolean(i, 13);
        out.push_back(std::move(j));
        order.push_back(r.int64(i, 11));
      }
      // In claim order (priority, then run_at, then age), which the update itself does not keep.
      std::vector<size_t> idx(out.size());
      for (size_t k = 0; k < idx.size(); ++k) idx[k] = k;
      std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return order[a] < order[b]; });
      std::vector<Job> sorted;
      sorted.reserve(out.size());
      for (size_t k : idx) sorted.push_back(std::move(out[k]));
      return sorted;
    } catch (const db::DbError& e) {
      // Two pending jobs of one connection and kind met in one claim (or in two at once); the
      // second must wait for the first. One at a time cannot collide with itself.
      if (!e.isUniqueViolation() || n == 1) {
        if (e.isUniqueViolation()) return {};
        throw;
      }
    }
  }
}

std::optional<std::string> JobQueue::reserveRunAlone(db::Connection& session, const std::vector<std::string>& kinds,
                                                     const std::string& workerId,
                                                     const std::optional<std::vector<std::string>>& connections,
                                                     const std::vector<std::string>& connectionKinds) {
  // The lock is tried on the due jobs in claim order, and no further than the first it gets: the
  // candidates are fenced in a subquery with its own LIMIT, so the outer filter runs row by row.
  auto r = session.execPrepared(
      std::string("SELECT id FROM (SELECT id FROM jobs j WHERE status = 'pending' AND run_alone AND run_at <= now()"
                  "  AND ($1::text[] IS NULL OR kind = ANY($1::text[]))") +
          capable(3, 4, 5) + kSiblingsAllow +
          " ORDER BY priority DESC, run_at, created_at LIMIT 32) due"
          " WHERE pg_try_advisory_lock($2::int4, hashtext(due.id::text)) LIMIT 1",
      kinds.empty() ? db::Param() : db::Param(db::textArray(kinds)), kRunAloneLockClass, workerId,
      connections ? db::Param(db::textArray(*connections)) : db::Param(), db::textArray(connectionKinds));
  if (r.empty()) return std::nullopt;
  return r.text(0, 0);
}

void JobQueue::unreserveRunAlone(db::Connection& session, const std::string& jobId) {
  session.execPrepared("SELECT pg_advisory_unlock($1::int4, hashtext($2::text))", kRunAloneLockClass, jobId);
}

bool JobQueue::runAloneDue(const std::string& jobId) {
  auto conn = pool_->acquire();
  return !conn->execPrepared(
                  "SELECT 1 FROM jobs WHERE id = $1::uuid AND status = 'pending' AND run_alone AND run_at <= now()",
                  jobId)
              .empty();
}

JobQueue::HeartbeatReply JobQueue::heartbeat(const std::string& workerId, const std::vector<std::string>& jobIds) {
  HeartbeatReply reply;
  if (jobIds.empty()) return reply;
  auto conn = pool_->acquire();
  auto r = conn->execPrepared(
      "UPDATE jobs SET heartbeat_at = now(), lease_expires_at = now() + $3::interval"
      " WHERE id = ANY($1::uuid[]) AND worker_id = $2 AND status = 'running'"
      " RETURNING id, cancel_requested_at IS NOT NULL",
      db::textArray(jobIds), workerId, intervalMs(cfg_.lease));
  std::set<std::string> held;
  for (int i = 0; i < r.rows(); ++i) {
    held.insert(r.text(i, 0));
    if (r.boolean(i, 1)) reply.cancelRequested.push_back(r.text(i, 0));
  }
  for (const auto& id : jobIds) {
    if (!held.count(id)) reply.lost.push_back(id);
  }
  return reply;
}

bool JobQueue::finish(const std::string& jobId, const std::string& workerId, const Outcome& o,
                      std::optional<int64_t> claimUs) {
  auto conn = pool_->acquire();
  db::Transaction tx(*conn);
  // Still this worker's, under this claim (a retried end of an older run of the same job on the
  // same worker must not land on a newer claim); locked until the end is written.
  auto held = conn->execPrepared(
      "SELECT kind, attempts, max_attempts, past_waits, connection_id FROM jobs WHERE id = $1::uuid AND worker_id = $2"
      " AND status = 'running' AND ($3::bigint IS NULL OR (extract(epoch from started_at) * 1000000)::bigint = $3)"
      " FOR UPDATE",
      jobId, workerId, claimUs);
  if (held.empty()) return false;
  const std::string kind = held.text(0, 0);
  const int attempts = static_cast<int>(held.int64(0, 1));
  const int maxAttempts = static_cast<int>(held.int64(0, 2));
  // Every end of an attempt a handler reports is stored here (jobs.last_error, errors, result)
  // and logged below: the one place where what a plugin or a vendor said (a URL with its
  // access_token=, an echoed header, a secret setting) is redacted before it is kept.
  const db::Param result = o.result.is_null() ? db::Param() : db::Param(redact::json(o.result).dump());
  const std::string error = redact::text(strings::validUtf8(o.error));
  using K = Outcome::Kind;
  auto retry = [&](const std::string& why, const char* errorKind) {
    const bool exhausted = attempts >= maxAttempts;
    const auto delay = exhausted ? std::chrono::milliseconds(0) : backoff(cfg_.retryFor(kind), attempts);
    conn->exec(
        "UPDATE jobs SET status = $2, last_error = $3,"
        " errors = errors || jsonb_build_array(jsonb_build_object('attempt', attempts, 'at', now(),"
        "  'kind', $6::text, 'error', $3::text)),"
        " run_at = now() + $4::interval, wait_reason = CASE WHEN $2 = 'pending' THEN 'backoff' END,"
        " completed_at = CASE WHEN $2 = 'discarded' THEN now() END,"
        " lease_expires_at = NULL, worker_id = CASE WHEN $2 = 'pending' THEN NULL ELSE worker_id END,"
        " result = coalesce($5::jsonb, result), past_waits = 0"
        " WHERE id = $1::uuid",
        jobId, exhausted ? "discarded" : "pending", why, intervalMs(delay), result, errorKind);
    if (exhausted) {
      log::warn("queue", "job {} ({}) failed attempt {}/{}: {}; no attempts left, discarded (tributary jobs retry {})",
                jobId, kind, attempts, maxAttempts, why, jobId);
    } else {
      log::warn("queue", "job {} ({}) failed attempt {}/{}: {}; retrying in {:.1f}s", jobId, kind, attempts,
                maxAttempts, why, static_cast<double>(delay.count()) / 1000.0);
    }
    return exhausted ? JobStatus::Discarded : JobStatus::Pending;
  };
  switch (o.kind) {
    case K::Completed:
      conn->exec(
          "UPDATE jobs SET status = 'completed', completed_at = now(), result = $2::jsonb, lease_expires_at = NULL"
          " WHERE id = $1::uuid",
          jobId, result);
      break;
    case K::Fatal:
    case K::Cancelled:
      conn->exec(
          "UPDATE jobs SET status = $2, completed_at = now(), last_error = $3,"
          " errors = errors || jsonb_build_array(jsonb_build_object('attempt', attempts, 'at', now(),"
          "  'kind', $4::text, 'error', $3::text)),"
          " result = coalesce($5::jsonb, result), lease_expires_at = NULL"
          " WHERE id = $1::uuid",
          jobId, o.kind == K::Fatal ? "failed" : "cancelled",
          error.empty() ? (o.kind == K::Cancelled ? "cancelled on request" : "failed") : error,
          o.kind == K::Fatal ? "fatal" : "cancelled", result);
      break;
    case K::Retry: retry(error, "retry"); break;
    case K::Wait: {
      // A wait is no failure and uses no attempt. But a time already past (a plugin's bug, or a
      // clock far behind) would bring the job straight back to a claim, and back to the same
      // wait: such waits grow (1 s, 2 s, 4 s, ... 1 min), and after kMaxPastWaits in a row the
      // attempt counts as failed, so that the job ends in time as a dead letter.
      const auto now = Clock::now();
      auto until = o.until.value_or(now);
      int pastWaits = 0;
      if (until <= now) {
        pastWaits = static_cast<int>(held.int64(0, 3)) + 1;
        if (pastWaits > kMaxPastWaits) {
          const std::string why = "the plugin asked " + std::to_string(pastWaits) +
                                  " times in a row to wait until a time already past" +
                                  (error.empty() ? "" : " (" + error + ")") + "; the attempt counts as failed";
          const JobStatus now = retry(why, "retry");
          // The runner left its run waiting: it learns the wait became a failure.
          reportEnded(*conn, {{jobId, kind, held.optText(0, 4), now, why, AttemptEnd::Failed}});
          break;
        }
        const auto wait = std::min<std::chrono::milliseconds>(
            std::chrono::seconds(60), std::chrono::seconds(1) * (1 << std::min(pastWaits - 1, 6)));
        log::warn("queue", "job {} asked to wait until {}, a time already past ({} in a row); it waits {} ms instead",
                  jobId, time::iso8601(until), pastWaits, wait.count());
        until = now + wait;
      }
      conn->exec(
          "UPDATE jobs SET status = 'pending', attempts = greatest(attempts - 1, 0),"
          " run_at = to_timestamp($2::bigint / 1000.0), wait_reason = $3, worker_id = NULL,"
          " lease_expires_at = NULL, last_error = coalesce(nullif($4, ''), last_error), past_waits = $5"
          " WHERE id = $1::uuid",
          jobId, time::toEpochMs(until), o.waitReason.empty() ? "rate_limit" : o.waitReason, error, pastWaits);
      log::info("queue", "job {} waits until {} ({}){}", jobId, time::iso8601(until),
                o.waitReason.empty() ? "rate_limit" : o.waitReason, error.empty() ? "" : ": " + error);
      break;
    }
    case K::Declined:
      // Left for a worker that can run it; offered to this one no more. Workers that can run it
      // are woken; if none is running, maintenance says so in the job after a while.
      conn->exec(
          "UPDATE jobs SET status = 'pending', attempts = greatest(attempts - 1, 0), run_at = now(),"
          " wait_reason = 'declined', worker_id = NULL, lease_expires_at = NULL, last_error = $3,"
          // Worker ids change with every process (hostname:pid:bootid): only the workers still
          // registered are kept, or a job no host can run would collect one id per restart.
          " declined_by = array_append(ARRAY(SELECT d FROM unnest(declined_by) AS d WHERE d <> $2"
          "  AND EXISTS (SELECT 1 FROM workers w WHERE w.id = d)), $2)"
          " WHERE id = $1::uuid",
          jobId, workerId, error);
      log::info("queue", "job {} ({}) declined by worker {}: {}; left for a worker that can run it", jobId, kind,
                workerId, error);
      conn->exec("SELECT pg_notify($1, '')", kNotifyChannel);
      break;
    case K::Released:
      conn->exec(
          "UPDATE jobs SET status = 'pending', attempts = greatest(attempts - 1, 0), run_at = now(),"
          " wait_reason = 'shutdown', worker_id = NULL, lease_expires_at = NULL"
          " WHERE id = $1::uuid",
          jobId);
      // Handed back unfinished (a shutdown past its grace): its runner's record of the attempt
      // closes too, and waits for the rerun.
      reportEnded(*conn, {{jobId, kind, held.optText(0, 4), JobStatus::Pending,
                           "released by worker " + workerId + " as it stopped", AttemptEnd::Released}});
      conn->exec("SELECT pg_notify($1, '')", kNotifyChannel);
      break;
  }
  tx.commit();
  return true;
}

bool JobQueue::abandonTimedOut(const std::string& jobId, const std::string& workerId, int64_t timeoutMs) {
  auto conn = pool_->acquire();
  const std::string error = "Job " + jobId + " exceeded timeout of " + std::to_string(timeoutMs) + "ms";
  db::Transaction tx(*conn);
  auto cur = conn->exec("SELECT kind, attempts FROM jobs WHERE id = $1::uuid AND worker_id = $2 AND status = 'running'",
                        jobId, workerId);
  if (cur.empty()) return false;
  const auto delay = backoff(cfg_.retryFor(cur.text(0, 0)), static_cast<int>(cur.int64(0, 1)));
  auto r = conn->exec(
      "UPDATE jobs SET status = CASE WHEN attempts < max_attempts THEN 'pending' ELSE 'discarded' END,"
      " last_error = $3, errors = errors || jsonb_build_array(jsonb_build_object('attempt', attempts, 'at', now(),"
      "  'kind', 'timeout', 'error', $3::text)),"
      " run_at = now() + $4::interval,"
      " wait_reason = CASE WHEN attempts < max_attempts THEN 'backoff' END,"
      " completed_at = CASE WHEN attempts < max_attempts THEN NULL ELSE now() END,"
      " lease_expires_at = NULL, worker_id = NULL, past_waits = 0"
      " WHERE id = $1::uuid AND worker_id = $2 AND status = 'running' RETURNING status, kind, connection_id",
      jobId, workerId, error, intervalMs(delay));
  if (r.empty()) return false;
  reportEnded(*conn, {{jobId, r.text(0, 1), r.optText(0, 2),
                       parseJobStatus(r.view(0, 0)).value_or(JobStatus::Discarded), error, AttemptEnd::TimedOut}});
  conn->exec("SELECT pg_notify($1, '')", kNotifyChannel);
  tx.commit();
  log::warn("queue", "job {}: {}; {}", jobId, error,
            r.view(0, 0) == "pending" ? "it will be retried"
                                      : "no attempts left, discarded (tributary jobs retry " + jobId + ")");
  return true;
}

void JobQueue::completeMany(const std::vector<std::string>& jobIds, const std::string& workerId,
                            const std::vector<int64_t>& claims) {
  if (jobIds.empty()) return;
  auto conn = pool_->acquire();
  if (claims.empty()) {
    conn->execPrepared(
        "UPDATE jobs SET status = 'completed', completed_at = now(), lease_expires_at = NULL"
        " WHERE id = ANY($1::uuid[]) AND worker_id = $2 AND status = 'running'",
        db::textArray(jobIds), workerId);
    return;
  }
  if (claims.size() != jobIds.size()) throw std::invalid_argument("completeMany: one claim per job");
  std::vector<std::string> claimText;
  claimText.reserve(claims.size());
  for (int64_t c : claims) claimText.push_back(std::to_string(c));
  conn->execPrepared(
      "UPDATE jobs SET status = 'completed', completed_at = now(), lease_expires_at = NULL"
      " FROM unnest($1::uuid[], $3::bigint[]) AS done(id, claim_us)"
      " WHERE jobs.id = done.id AND worker_id = $2 AND status = 'running'"
      " AND (extract(epoch from started_at) * 1000000)::bigint = done.claim_us",
      db::textArray(jobIds), workerId, db::textArray(claimText));
}

void JobQueue::setProgress(const std::string& jobId, const Json& progress) {
  auto conn = pool_->acquire();
  // A plugin's progress message is shown by `jobs show` and the API: redacted as errors are.
  conn->exec("UPDATE jobs SET progress = $2::jsonb WHERE id = $1::uuid AND status = 'running'", jobId,
             redact::json(progress));
}

void JobQueue::setExecutor(const std::string& jobId, const Json& executor) {
  auto conn = pool_->acquire();
  conn->exec("UPDATE jobs SET executor = $2::jsonb WHERE id = $1::uuid", jobId, executor);
}

std::set<std::string> JobQueue::reportEnded(db::Connection& conn, const std::vector<EndedAttempt>& ended) {
  std::set<std::string> completed;
  if (ended.empty() || !listener_) return completed;
  for (const auto& work : listener_->attemptsEnded(conn, ended)) {
    // The runner recorded this attempt's work as finished; only the queue's own end of it was
    // lost (a failover as the worker wrote it): the job is done, not to be run again.
    auto r = conn.exec(
        "UPDATE jobs SET status = 'completed', completed_at = now(), result = $2::jsonb, worker_id = NULL,"
        " lease_expires_at = NULL, run_at = now(), wait_reason = NULL, last_error = NULL"
        " WHERE id = $1::uuid AND status IN ('pending', 'discarded') RETURNING id",
        work.jobId, work.result.is_null() ? db::Param() : db::Param(work.result.dump()));
    if (!r.empty()) completed.insert(work.jobId);
  }
  return completed;
}

int JobQueue::rescue(db::Connection& conn, const std::string& where, const std::vector<db::Param>& params,
                     const std::string& reason, AttemptEnd end) {
  // Retry if attempts remain, else fail; the job's runner closes what it keeps of the attempt
  // (the engine, its sync run) in the same transaction.
  const std::string sql =
      "UPDATE jobs SET"
      "  status = CASE WHEN attempts < max_attempts THEN 'pending' ELSE 'discarded' END,"
      "  completed_at = CASE WHEN attempts < max_attempts THEN NULL ELSE now() END,"
      "  run_at = now(), wait_reason = NULL, worker_id = NULL, lease_expires_at = NULL,"
      "  last_error = $1 || coalesce(' while running plugin ' || (executor->>'plugin') || ' '"
      "                               || coalesce(executor->>'version', ''), ''),"
      "  errors = errors || jsonb_build_array(jsonb_build_object('attempt', attempts, 'at', now(),"
      "   'kind', 'worker_lost', 'error', $1 || coalesce(' while running plugin ' || (executor->>'plugin')"
      "   || ' ' || coalesce(executor->>'version', ''), '')))"
      " WHERE status = 'running' AND " +
      where + " RETURNING id, status, last_error, kind, connection_id";
  std::vector<db::Param> all = {reason};
  all.insert(all.end(), params.begin(), params.end());
  db::Transaction tx(conn);
  auto r = conn.execParams(sql, all);
  std::vector<EndedAttempt> ended;
  for (int i = 0; i < r.rows(); ++i) {
    ended.push_back({r.text(i, 0), r.text(i, 3), r.optText(i, 4),
                     parseJobStatus(r.view(i, 1)).value_or(JobStatus::Discarded), r.text(i, 2), end});
  }
  const auto finished = reportEnded(conn, ended);
  if (r.rows() > 0) conn.exec("SELECT pg_notify($1, '')", kNotifyChannel);
  tx.commit();
  for (int i = 0; i < r.rows(); ++i) {
    const std::string id = r.text(i, 0);
    if (finished.count(id)) {
      log::warn("queue", "job {}: {}; its work had finished before that, so it is completed", id, r.text(i, 2));
    } else {
      log::warn("queue", "rescued job {}: {}; {}", id, r.text(i, 2),
                r.view(i, 1) == "pending" ? "it will be retried"
                                          : "no attempts left, discarded (tributary jobs retry " + id + ")");
    }
  }
  return r.rows();
}

int JobQueue::rescueExpired() {
  auto conn = pool_->acquire();
  return rescue(*conn, "lease_expires_at < now()", {}, "worker lost");
}

int JobQueue::rescueWorker(const std::string& workerId, const std::string& reason,
                           const std::optional<std::string>& culprit) {
  auto conn = pool_->acquire();
  if (!culprit) return rescue(*conn, "worker_id = $2", {workerId}, reason);
  int n = rescue(*conn, "worker_id = $2 AND id = $3::uuid", {workerId, *culprit}, reason);
  const std::string note = reason + " while running job " + *culprit +
                           "; this job shared its process and was released without using an attempt";
  db::Transaction tx(*conn);
  auto r = conn->exec(
      "UPDATE jobs SET status = 'pending', attempts = greatest(attempts - 1, 0), run_at = now(), wait_reason = NULL,"
      " worker_id = NULL, lease_expires_at = NULL,"
      " errors = errors || jsonb_build_array(jsonb_build_object('attempt', attempts, 'at', now(), 'kind', 'released',"
      "  'error', $2::text))"
      " WHERE status = 'running' AND worker_id = $1 RETURNING id, kind, connection_id",
      workerId, note);
  std::vector<EndedAttempt> ended;
  for (int i = 0; i < r.rows(); ++i) {
    ended.push_back({r.text(i, 0), r.text(i, 1), r.optText(i, 2), JobStatus::Pending, note, AttemptEnd::Released});
  }
  reportEnded(*conn, ended);
  if (r.rows() > 0) conn->exec("SELECT pg_notify($1, '')", kNotifyChannel);
  tx.commit();
  for (int i = 0; i < r.rows(); ++i) log::info("queue", "released job {}: {}", r.text(i, 0), note);
  return n + r.rows();
}

int JobQueue::releaseToRunAlone(db::Connection& conn, const std::string& where, const std::vector<db::Param>& params,
                                const std::string& note) {
  // Pending again at once, the attempt given back, marked to run alone; the job's runner closes
  // what it keeps of the attempt in the same transaction, as for a rescue.
  const std::string sql =
      "UPDATE jobs SET status = 'pending', attempts = greatest(attempts - 1, 0), run_at = now(), wait_reason = NULL,"
      " worker_id = NULL, lease_expires_at = NULL, run_alone = true,"
      " errors = errors || jsonb_build_array(jsonb_build_object('attempt', attempts, 'at', now(),"
      "  'kind', 'oom_released', 'error', $1 || coalesce(' while running plugin ' || (executor->>'plugin') || ' '"
      "   || coalesce(executor->>'version', ''), '') || '; ' || $2::text))"
      " WHERE status = 'running' AND " +
      where + " RETURNING id, kind, connection_id, errors->-1->>'error'";
  std::vector<db::Param> all = {note,
                                "it runs again alone, on a worker that runs nothing else, without using an attempt:"
                                " which of the worker's jobs used the memory is unknown"};
  all.insert(all.end(), params.begin(), params.end());
  db::Transaction tx(conn);
  auto r = conn.execParams(sql, all);
  std::vector<EndedAttempt> ended;
  for (int i = 0; i < r.rows(); ++i) {
    ended.push_back(
        {r.text(i, 0), r.text(i, 1), r.optText(i, 2), JobStatus::Pending, r.text(i, 3), AttemptEnd::Released});
  }
  reportEnded(conn, ended);
  if (r.rows() > 0) conn.exec("SELECT pg_notify($1, '')", kNotifyChannel);
  tx.commit();
  for (int i = 0; i < r.rows(); ++i) log::warn("queue", "released job {}: {}", r.text(i, 0), r.text(i, 3));
  return r.rows();
}

int JobQueue::rescueOutOfMemory(const std::string& workerId, const std::string& reason) {
  auto conn = pool_->acquire();
  // A job that was marked and ran alone used the memory itself: it pays, like any rescued job.
  // Then it was the worker's only job, so nothing is left to release.
  const int charged = rescue(*conn,
                             "worker_id = $2 AND run_alone AND NOT EXISTS (SELECT 1 FROM jobs o"
                             " WHERE o.status = 'running' AND o.worker_id = $2 AND o.id <> jobs.id)",
                             {workerId}, reason);
  return charged + releaseToRunAlone(*conn, "worker_id = $3", {workerId}, reason);
}

bool JobQueue::releaseOutOfMemory(const std::string& jobId, const std::string& workerId, const std::string& error) {
  auto conn = pool_->acquire();
  return releaseToRunAlone(*conn,
                           "worker_id = $3 AND id = $4::uuid AND NOT (run_alone AND NOT EXISTS (SELECT 1 FROM jobs o"
                           " WHERE o.status = 'running' AND o.worker_id = $3 AND o.id <> jobs.id))",
                           {workerId, jobId}, error) > 0;
}

std::optional<TimePoint> JobQueue::nextRunAt(const std::vector<std::string>& kinds) {
  auto conn = pool_->acquire();
  // Only what is still ahead: a job due now that cannot be claimed (its sibling runs) must not
  // make the workers spin; they wake again on the notification of that sibling's end.
  auto r = conn->execPrepared(
      "SELECT (extract(epoch from min(run_at)) * 1000)::bigint FROM jobs WHERE status = 'pending'"
      " AND run_at > now() AND ($1::text[] IS NULL OR kind = ANY($1::text[]))",
      kinds.empty() ? db::Param() : db::Param(db::textArray(kinds)));
  return optTime(r, 0, 0);
}

void JobQueue::notifyWorkers() {
  auto conn = pool_->acquire();
  conn->execPrepared("SELECT pg_notify($1, '')", kNotifyChannel);
}

void JobQueue::notifySiblings(const std::string& connectionId, const std::string& kind) {
  auto conn = pool_->acquire();
  conn->execPrepared(
      "SELECT pg_notify($1, '') FROM jobs WHERE status = 'pending' AND connection_id = $2::uuid AND kind = $3"
      " AND run_at <= now() LIMIT 1",
      kNotifyChannel, connectionId, kind);
}

void JobQueue::registerWorker(const WorkerInfo& w) {
  auto conn = pool_->acquire();
  conn->exec(
      "INSERT INTO workers (id, host, kinds, connections, connection_kinds, plugins)"
      " VALUES ($1, $2, $3::text[], $4::uuid[], $5::text[], $6::jsonb)"
      " ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, kinds = EXCLUDED.kinds, connections = EXCLUDED.connections,"
      " connection_kinds = EXCLUDED.connection_kinds, plugins = EXCLUDED.plugins, heartbeat_at = now()",
      w.id, w.host, db::textArray(w.kinds), w.connections ? db::Param(db::textArray(*w.connections)) : db::Param(),
      db::textArray(w.connectionKinds), w.plugins);
}

void JobQueue::unregisterWorker(const std::string& workerId) {
  auto conn = pool_->acquire();
  conn->exec("DELETE FROM workers WHERE id = $1", workerId);
}

bool JobQueue::workerAlive(const std::string& workerId) {
  auto conn = pool_->acquire();
  return conn->execPrepared("UPDATE workers SET heartbeat_at = now() WHERE id = $1", workerId).affected() > 0;
}

namespace {

// Live workers: heard from within three leases ($1 the lease).
constexpr const char* kLiveWorkers =
    "live AS MATERIALIZED (SELECT id, kinds, connections, connection_kinds FROM workers"
    "  WHERE heartbeat_at > now() - 3 * $1::interval)";
// None of them may run job `j` (its kind, its connection, or it declined it).
constexpr const char* kNoLiveWorkerCanRun =
    " NOT EXISTS (SELECT 1 FROM live w WHERE j.kind = ANY(w.kinds)"
    "  AND (w.connections IS NULL OR j.connection_id IS NULL OR NOT (j.kind = ANY(w.connection_kinds))"
    "       OR j.connection_id = ANY(w.connections))"
    "  AND NOT (w.id = ANY(j.declined_by)))";

}  // namespace

int JobQueue::markUnrunnable() {
  auto conn = pool_->acquire();
  // A job due for longer than a lease that no live worker may run says so, once. What a worker
  // may run depends only on the job's kind, connection and declined_by: those are checked once
  // per distinct triple, not once per pending job (a backlog of 500,000 jobs took seconds a
  // round so, longer than the rescue interval). Nearly always none is stuck, and that is all.
  auto groups = conn->exec(std::string("WITH ") + kLiveWorkers +
                               ", due AS (SELECT kind, connection_id, declined_by FROM jobs WHERE status = 'pending'"
                               "  AND run_at < now() - $1::interval AND wait_reason IS DISTINCT FROM 'no_worker'"
                               "  GROUP BY 1, 2, 3)"
                               " SELECT kind, coalesce(connection_id::text, ''), declined_by::text FROM due j WHERE" +
                               kNoLiveWorkerCanRun,
                           intervalMs(cfg_.lease));
  if (groups.empty()) return 0;
  std::vector<std::string> kinds, connections, declined;
  for (int i = 0; i < groups.rows(); ++i) {
    kinds.push_back(groups.text(i, 0));
    connections.push_back(groups.text(i, 1));
    declined.push_back(groups.text(i, 2));
  }
  // Their jobs, checked again (a worker may have come up meanwhile).
  auto r = conn->exec(
      std::string("WITH ") + kLiveWorkers +
          ", stuck AS (SELECT j.id FROM jobs j"
          "  JOIN unnest($2::text[], $3::text[], $4::text[]) AS g(kind, connection_id, declined_by)"
          "   ON j.kind = g.kind AND coalesce(j.connection_id::text, '') = g.connection_id"
          "   AND j.declined_by = g.declined_by::text[]"
          "  WHERE j.status = 'pending' AND j.run_at < now() - $1::interval"
          "  AND j.wait_reason IS DISTINCT FROM 'no_worker' AND" +
          kNoLiveWorkerCanRun +
          "  ORDER BY j.run_at LIMIT 1000 FOR UPDATE OF j SKIP LOCKED)"
          " UPDATE jobs SET wait_reason = 'no_worker', last_error = 'no running worker can run it ('"
          "  || (SELECT count(*) FROM live) || ' running'"
          "  || CASE WHEN jobs.connection_id IS NULL THEN '' ELSE coalesce((SELECT ', connection ' || w.slug || '/' "
          "     || c.name || ' with connector ' || c.connector FROM connections c JOIN workspaces w"
          "     ON w.id = c.workspace_id WHERE c.id = jobs.connection_id), '') END"
          "  || CASE WHEN cardinality(jobs.declined_by) > 0 THEN ', declined by ' || array_to_string(jobs.declined_by, "
          "     ', ') || coalesce(': ' || jobs.last_error, '') ELSE '' END"
          "  || '): start a host whose workers run ' || jobs.kind || ' jobs'"
          "  || CASE WHEN jobs.connection_id IS NULL THEN '' ELSE ' and have this connection and its connector' END"
          " FROM stuck WHERE jobs.id = stuck.id RETURNING jobs.id, jobs.last_error",
      intervalMs(cfg_.lease), db::textArray(kinds), db::textArray(connections), db::textArray(declined));
  for (int i = 0; i < r.rows(); ++i) log::warn("queue", "job {}: {}", r.text(i, 0), r.text(i, 1));
  return r.rows();
}

int JobQueue::forgetSilentWorkers() {
  auto conn = pool_->acquire();
  auto r = conn->exec("DELETE FROM workers WHERE heartbeat_at < now() - 10 * $1::interval RETURNING id",
                      intervalMs(cfg_.lease));
  for (int i = 0; i < r.rows(); ++i)
    log::info("queue", "forgot worker {}: not heard from for ten leases", r.text(i, 0));
  return r.rows();
}

}  // namespace tributary::queue
