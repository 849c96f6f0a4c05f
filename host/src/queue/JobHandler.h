#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "queue/Job.h"
#include "queue/JobQueue.h"

namespace tributary::queue {

// Why a running job is asked to stop.
enum class StopReason : int { None = 0, Cancel, Timeout, Shutdown, Lost };
std::string_view toString(StopReason r);

// What a handler sees of the job it runs and of the worker that runs it.
class JobContext {
 public:
  JobContext(Job job, JobQueue& queue, std::string workerId);

  const Job& job() const { return job_; }
  JobQueue& queue() { return queue_; }
  db::Pool& pool() { return queue_.pool(); }
  const std::string& workerId() const { return workerId_; }

  // True once the job should stop (cancelled, over its timeout, shutting down, or lost): a
  // handler checks it between units of work and returns promptly.
  bool stopRequested() const { return stop_.load(std::memory_order_relaxed) != 0; }
  StopReason stopReason() const { return static_cast<StopReason>(stop_.load()); }
  // First reason wins. Lost is also remembered apart (lost()), whatever came first: a job
  // already stopping for its timeout can still be found rescued elsewhere.
  void requestStop(StopReason reason);
  bool lost() const { return lost_.load(); }

  // Writes {current, total, message} to the job at most once a second (always when `force`).
  void reportProgress(int64_t current, int64_t total, const std::string& message, bool force = false);
  // Where the job's runner came from (plugin name and version), for crash reports.
  void setExecutor(const Json& executor) { queue_.setExecutor(job_.id, executor); }

 private:
  Job job_;
  JobQueue& queue_;
  std::string workerId_;
  std::atomic<int> stop_{0};
  std::atomic<bool> lost_{false};
  std::mutex progressMu_;
  std::chrono::steady_clock::time_point lastProgress_{};
};

class JobHandler {
 public:
  virtual ~JobHandler() = default;
  // Runs one job. Exceptions are caught by the worker and count as Retry.
  virtual Outcome run(JobContext& ctx) = 0;
};

// Job kinds this worker can run.
class HandlerRegistry {
 public:
  void add(const std::string& kind, std::shared_ptr<JobHandler> handler);
  JobHandler* find(const std::string& kind) const;
  std::vector<std::string> kinds() const;

 private:
  std::map<std::string, std::shared_ptr<JobHandler>> handlers_;
};

// A handler from a function.
class FunctionHandler : public JobHandler {
 public:
  explicit FunctionHandler(std::function<Outcome(JobContext&)> fn) : fn_(std::move(fn)) {}
  Outcome run(JobContext& ctx) override { return fn_(ctx); }

 private:
  std::function<Outcome(JobContext&)> fn_;
};

// `noop` (completes at once: the queue benchmark's job) and, when enabled, the test kinds:
// `test.sleep` {ms} (sleeps, honouring stop requests), `test.fail` {mode: retry|fatal|wait,
// message, wait_ms}, `test.crash` {signal} (kills its own process).
void registerBuiltinKinds(HandlerRegistry& registry, bool testKinds);

}  // namespace tributary::queue
