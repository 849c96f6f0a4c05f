#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/Config.h"
#include "queue/JobHandler.h"
#include "queue/JobQueue.h"

namespace tributary::queue {

// Names the job the calling thread works for, so that a crash on it (see
// Worker::installCrashReporter) is charged to that job. Executor threads are named by the
// worker; a thread a job starts for itself names itself.
void setCrashTag(const std::string& jobId);

// Runs jobs inside one process: claims what it has room for, runs each on one of `concurrency`
// threads, renews their leases, enforces their timeouts, passes on cancellations, rescues the
// expired leases of others, and batches completions.
class Worker {
 public:
  struct Options {
    std::string workerId;
    int concurrency = 8;
    // Jobs claimed ahead of free threads, so short jobs do not wait for a claim round trip.
    int prefetch = 0;
    std::vector<std::string> kinds;  // empty: every kind the registry has
    // Called when a job ignores its timeout past the grace period; the default ends the
    // process (after recording the job and releasing the others), which is what a worker
    // process wants. Tests running a Worker in-process can observe instead.
    std::function<void(const std::string& jobId)> onUnstoppableJob;
    // Finish once nothing is runnable and nothing runs (`tributary worker --once`).
    bool exitWhenIdle = false;
    // The connections whose jobs this worker can run (its YAML's, with their plugins loaded);
    // jobs of other connections are left to other workers. None: any.
    std::optional<std::vector<std::string>> connections;
    std::vector<std::string> connectionKinds;  // the kinds `connections` limits (sync, backfill)
    // What it tells the other hosts of itself, in `workers`: plugin name -> version.
    Json plugins = Json::object();
    // Rescue expired leases and prune old jobs from this worker. Off under a serve, whose
    // elected maintenance host does it for every host (app::Maintenance); on for a worker run
    // alone (and for tests that run a Worker in-process).
    bool maintenance = true;
    // Called from the heartbeat thread at each heartbeat interval (the HTTP client's counters
    // flushed to the database, say); its exceptions are logged, never fatal.
    std::function<void()> onHeartbeat;
  };

  Worker(std::shared_ptr<JobQueue> queue, std::shared_ptr<const HandlerRegistry> registry, std::string conninfo,
         Options options);
  ~Worker();

  void start();
  // Stops claiming, asks running jobs to stop, waits up to the shutdown grace for them to end,
  // releases the rest back to pending (using no attempt), and joins every thread.
  // Safe to call more than once, and from more than one thread.
  void stop();

  int running() const;
  // With exitWhenIdle: true once the queue ran dry and every claimed job ended.
  bool idle() const { return idle_.load(); }
  const std::string& id() const { return options_.workerId; }
  // "hostname:pid:bootid", what a worker process calls itself: the boot id (random, from
  // TRIBUTARY_WORKER_BOOT when its supervisor gives one) tells apart containers that share a
  // hostname and pids.
  static std::string processWorkerId();
  static std::string workerId(const std::string& host, long pid, const std::string& bootId);
  static std::string newBootId();
  // Makes a crash (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) in a job's thread write
  // "crash <job id> <signal>\n" to `fd` before the process dies of it, so that the supervisor
  // can tell the job that crashed from the ones that were merely beside it. A std::bad_alloc that
  // reaches std::terminate (an allocation refused under RLIMIT_AS where nothing could catch it)
  // writes "oom <job id or ->\n" instead: the process ran out of memory, and no job is blamed.
  static void installCrashReporter(int fd);

 private:
  struct Running {
    std::shared_ptr<JobContext> ctx;
    std::chrono::steady_clock::time_point deadline;  // set when the job starts
    bool started = false;
    std::optional<std::chrono::steady_clock::time_point> killAt;
    // Its run is over and its end is being recorded: no timeout applies, but its lease is still
    // renewed, so that a write that fails for a while (a failover) is retried, not lost.
    bool ending = false;
  };

  void claimLoop();
  void executorLoop();
  void heartbeatLoop();
  void watchdogLoop();
  void completerLoop();
  void execute(const std::shared_ptr<JobContext>& ctx);
  // Records how the job ended, retrying a failed write with backoff until it lands, the queue
  // says the job is no longer this worker's, its heartbeat finds it rescued, or the worker
  // stops: a lost end-of-job write would make the job run again.
  void recordEnd(const std::shared_ptr<JobContext>& ctx, const Outcome& outcome);
  // The job is off this worker: forgets it and wakes whoever waits for room or for its sibling.
  // `freeSlot`: it still holds a place among the worker's claimed jobs.
  void retire(const Job& job, bool reported, bool freeSlot = true);
  // Sleeps `delay`, or less if the worker stops; true if it stopped.
  bool pause(std::chrono::milliseconds delay);
  // Whether a failed write may land if tried again (a connection or server condition, not the
  // statement itself).
  static bool retryable(const std::exception& e);
  // Stops renewing the job's lease, so that it is rescued when the lease runs out.
  void forget(const std::string& jobId);
  void wake();
  void drainWake();
  void onNotification(const std::string& channel, const std::string& payload);
  void releaseAllRunning(const std::string& except);

  std::shared_ptr<JobQueue> queue_;
  std::shared_ptr<const HandlerRegistry> registry_;
  std::string conninfo_;
  Options options_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> idle_{false};
  int wakeFd_ = -1;

  mutable std::mutex mu_;
  std::condition_variable cv_;      // executors wait for work
  std::condition_variable idleCv_;  // stop() waits for running jobs to end
  std::deque<std::shared_ptr<JobContext>> ready_;
  std::map<std::string, Running> running_;
  std::set<std::string> forgotten_;  // running here, but their leases are left to run out
  int inflight_ = 0;                 // claimed and not yet finished

  std::mutex completeMu_;
  std::condition_variable completeCv_;
  std::vector<std::shared_ptr<JobContext>> toComplete_;

  std::vector<std::thread> threads_;
  std::mutex lifecycleMu_;
  std::mutex stopMu_;
  std::condition_variable stopCv_;
};

}  // namespace tributary::queue
