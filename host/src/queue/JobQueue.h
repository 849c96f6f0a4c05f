#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/Config.h"
#include "db/Pool.h"
#include "queue/AttemptListener.h"
#include "queue/Job.h"

namespace tributary::queue {

struct JobFilter {
  std::optional<std::string> workspaceId;
  std::optional<std::string> connectionId;
  std::optional<std::string> kind;
  std::vector<JobStatus> statuses;  // empty: any
  int limit = 50;
};

enum class CancelOutcome {
  Cancelled,        // it was pending: cancelled now
  Requested,        // it is running: its worker is asked to stop at the next check
  AlreadyFinished,  // completed, failed, cancelled or discarded before
  NotFound,
};

// What a worker reports when a job's run ends.
struct Outcome {
  enum class Kind {
    Completed,  // done; `result` is stored
    Retry,      // transient: retried under the kind's policy, discarded after the last attempt
    Fatal,      // permanent: failed now, no retry
    Wait,       // quota or rate limit: back to pending until `until`, using no attempt
    Cancelled,  // stopped on request
    Released,   // handed back on shutdown: pending again, using no attempt
    Declined,   // this worker cannot run it (a plugin, a version, a connection it lacks): left for
                // one that can, using no attempt, and not offered to this worker again
  };
  Kind kind = Kind::Completed;
  std::string error;
  Json result;
  std::optional<TimePoint> until;  // for Wait
  std::string waitReason;          // for Wait: quota or rate_limit
};

// The PostgreSQL job queue: enqueue with unique keys, claim with FOR UPDATE SKIP LOCKED, leases
// kept by heartbeats, retries with backoff, a dead-letter state, cancellation and rescue of jobs
// whose worker is gone. Thread-safe: every call borrows its own pooled connection.
class JobQueue {
 public:
  static constexpr const char* kNotifyChannel = "tributary_jobs";
  static constexpr const char* kCancelChannel = "tributary_job_cancel";

  JobQueue(std::shared_ptr<db::Pool> pool, config::QueueConfig cfg);

  // Told of every attempt the queue ends on its own (rescues), in the same transaction. Set it
  // before any worker or supervisor uses the queue; app::makeJobQueue sets the engine's.
  void setAttemptListener(std::shared_ptr<AttemptListener> listener) { listener_ = std::move(listener); }

  EnqueueResult enqueue(const EnqueueRequest& request);
  // The same inside the caller's transaction (the NOTIFY goes out when it commits). With a
  // pendingKey (which needs the transaction), a pending job of that key is returned instead
  // (existing), its row locked until the transaction ends.
  EnqueueResult enqueue(db::Connection& conn, const EnqueueRequest& request);
  // Many at once, in one statement: the scheduler's fan-out. No pending keys.
  std::vector<EnqueueResult> enqueueMany(db::Connection& conn, const std::vector<EnqueueRequest>& requests);
  // Changes the payload of a pending job in the caller's transaction: `change` gets it and
  // returns the new one (none: keep it). For a job enqueue returned by its pending key (a
  // follow-up's window widened to cover a second request). False when the job is not pending.
  bool changePendingPayload(db::Connection& conn, const std::string& jobId,
                            const std::function<std::optional<Json>(const Json&)>& change);

  std::optional<Job> get(const std::string& jobId);
  std::vector<Job> list(const JobFilter& filter);
  CancelOutcome cancel(const std::string& jobId);
  // Puts a discarded, failed or cancelled job back to pending with fresh attempts. False when
  // the job is not in one of those states.
  bool retry(const std::string& jobId);
  // Deletes completed, failed and cancelled jobs older than the retention. Returns the count.
  int64_t prune();

  // ---- the worker's side ----
  // Claims up to `max` runnable jobs of `kinds` (all kinds when empty) for `workerId`, in claim
  // order. The jobs carry what a worker needs to run them (id, kind, workspace, connection,
  // payload, priority, attempts, timeout, unique key), not the rest of the row.
  // A job marked run_alone goes only to a worker that runs nothing (`workerIdle`), and alone:
  // such a claim takes the first due run_alone job if there is one, else up to `max` others.
  // `connections`: the ones this worker can run (its YAML's, with their plugins loaded), for jobs
  // of `connectionKinds` (the engine's sync and backfill); such jobs of other connections are
  // left for other workers. None: any. A job this worker declined is not offered again.
  std::vector<Job> claim(const std::string& workerId, int max, const std::vector<std::string>& kinds = {},
                         bool workerIdle = false,
                         const std::optional<std::vector<std::string>>& connections = std::nullopt,
                         const std::vector<std::string>& connectionKinds = {});

  // What a worker says of itself, in `workers`: what it runs, so that the maintenance leader can
  // tell a job no running worker can run. Registered at start, renewed by its heartbeats, gone
  // when it stops (or forgotten when it falls silent).
  struct WorkerInfo {
    std::string id;
    std::string host;
    std::vector<std::string> kinds;
    std::optional<std::vector<std::string>> connections;  // none: any
    std::vector<std::string> connectionKinds;             // the kinds `connections` limits
    Json plugins = Json::object();                        // {name: version}
  };
  void registerWorker(const WorkerInfo& info);
  void unregisterWorker(const std::string& workerId);
  // Renews a worker's registration (its heartbeat, also while it runs nothing).
  // False when the worker is not registered (forgotten): it registers again.
  bool workerAlive(const std::string& workerId);
  // Maintenance: marks pending jobs, due for longer than the lease, that no registered worker can
  // run (wait_reason no_worker, the reason in last_error). Returns how many it marked.
  int markUnrunnable();
  // Maintenance: removes workers whose registration was not renewed for several leases.
  int forgetSilentWorkers();
  // A busy worker that takes a due run_alone job's reservation stops claiming until it runs
  // nothing, then claims it (so that such a job cannot wait forever behind workers that are never
  // idle); while one worker holds it, the others go on claiming. The reservation is a session
  // lock on `session`, the worker's own connection, so that it ends with the worker. Returns the
  // reserved job, or nothing when no due run_alone job of `kinds` is left unreserved. Only a job
  // the worker would claim (`workerId`, `connections` and `connectionKinds` as for claim).
  std::optional<std::string> reserveRunAlone(db::Connection& session, const std::vector<std::string>& kinds = {},
                                             const std::string& workerId = "",
                                             const std::optional<std::vector<std::string>>& connections = std::nullopt,
                                             const std::vector<std::string>& connectionKinds = {});
  void unreserveRunAlone(db::Connection& session, const std::string& jobId);
  // Whether a reserved job still waits to run alone (another worker that was idle may take it).
  bool runAloneDue(const std::string& jobId);
  // Renews the leases of `jobIds`; returns those whose cancellation was requested, and those no
  // longer held by this worker (rescued elsewhere: stop working on them).
  struct HeartbeatReply {
    std::vector<std::string> cancelRequested;
    std::vector<std::string> lost;
  };
  HeartbeatReply heartbeat(const std::string& workerId, const std::vector<std::string>& jobIds);
  // Records how a claimed job's run ended. False when the worker no longer held it.
  // `claimUs` (Job::claimUs): only under this claim of the job, so that a late end of an older
  // run of the same job on the same worker never lands on a newer claim.
  bool finish(const std::string& jobId, const std::string& workerId, const Outcome& outcome,
              std::optional<int64_t> claimUs = std::nullopt);
  // A job that ignored its timeout past the grace period, whose worker process is about to end:
  // a failed attempt ("Job {id} exceeded timeout of {N}ms"), and since its runner gets no chance
  // to say so, the queue tells the AttemptListener in the same transaction. False when the worker
  // no longer held it.
  bool abandonTimedOut(const std::string& jobId, const std::string& workerId, int64_t timeoutMs);
  // Waits with a time already past, in a row, before the attempt counts as failed (see finish).
  static constexpr int kMaxPastWaits = 10;
  // Many completions in one statement, for throughput; each under its claim (Job::claimUs) when
  // `claims` (one per job) is given.
  void completeMany(const std::vector<std::string>& jobIds, const std::string& workerId,
                    const std::vector<int64_t>& claims = {});
  void setProgress(const std::string& jobId, const Json& progress);
  // Names what runs the job (plugin and version), so a crash report can say it.
  void setExecutor(const std::string& jobId, const Json& executor);

  // Rescues every running job whose lease has expired. Returns how many.
  int rescueExpired();
  // Rescues every running job of a worker known to be gone, with `reason`. When the job that
  // brought the worker down is known (`culprit`), only it pays an attempt; the jobs that merely
  // shared its process go back to pending without using one.
  int rescueWorker(const std::string& workerId, const std::string& reason,
                   const std::optional<std::string>& culprit = std::nullopt);
  // Rescues every running job of a worker that ran out of memory: which of its jobs used the
  // memory is unknown, so none pays an attempt. Each goes back to pending marked run_alone, except
  // a job that already was and ran alone: it pays, as any rescued job does. Returns how many.
  int rescueOutOfMemory(const std::string& workerId, const std::string& reason);
  // The same for one job whose allocation failed in a worker that lives on (std::bad_alloc
  // reached the worker): true when it was released to run alone; false when it already ran alone
  // (the caller charges the attempt as for any failure) or is no longer held by `workerId`.
  bool releaseOutOfMemory(const std::string& jobId, const std::string& workerId, const std::string& error);
  // The earliest future run_at among pending jobs of `kinds` (all when empty), to sleep until.
  std::optional<TimePoint> nextRunAt(const std::vector<std::string>& kinds = {});
  // Wakes the workers (a job of a connection ended: its next sibling may run now).
  void notifyWorkers();
  // The same, only when a sibling of the job that ended (same connection and kind) is pending
  // and due: most job ends wake nobody.
  void notifySiblings(const std::string& connectionId, const std::string& kind);

  // The wait before attempt `attempt` + 1 under `policy`: uniform in [0, min(cap, base*factor^(attempt-1))].
  static std::chrono::milliseconds backoff(const config::RetryPolicy& policy, int attempt);
  // The default timeout of a job of `kind` whose payload may name a sync mode.
  int64_t defaultTimeoutMs(const std::string& kind, const Json& payload) const;

  // The columns a Job is read from (the first 26 of a SELECT, prefixed "j." when `alias`), and
  // the Job in row `row` of a result that selected them first: for readers that join more.
  static std::string jobColumns(const std::string& alias = "");
  static Job parseRow(const db::Result& r, int row);
  static constexpr int kJobColumnCount = 26;

  const config::QueueConfig& config() const { return cfg_; }
  db::Pool& pool() const { return *pool_; }

 private:
  // settleRaces 0: one attempt, unresolved results left with an empty jobId.
  std::vector<EnqueueResult> enqueueBatch(db::Connection& conn, const std::vector<EnqueueRequest>& requests,
                                          int settleRaces);
  EnqueueResult enqueuePending(db::Connection& conn, const EnqueueRequest& request);
  int rescue(db::Connection& conn, const std::string& where, const std::vector<db::Param>& params,
             const std::string& reason, AttemptEnd end = AttemptEnd::Lost);
  // Tells the listener of attempts ended here, in `conn`'s open transaction, and completes the
  // jobs whose work it says had finished. Returns their ids.
  std::set<std::string> reportEnded(db::Connection& conn, const std::vector<EndedAttempt>& ended);
  int releaseToRunAlone(db::Connection& conn, const std::string& where, const std::vector<db::Param>& params,
                        const std::string& note);
  std::shared_ptr<db::Pool> pool_;
  config::QueueConfig cfg_;
  std::shared_ptr<AttemptListener> listener_;
};

}  // namespace tributary::queue
