#include "queue/Worker.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/ranges.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <random>

#include "common/Log.h"
#include "db/Connection.h"

namespace tributary::queue {
namespace {

int gCrashFd = -1;
thread_local char tCurrentJob[40] = {0};
volatile sig_atomic_t gOutOfMemory = 0;  // reported: the abort that follows is not a crash

void onCrash(int sig) {
  // Async-signal-safe only: compose the line by hand, write it, then die of the same signal
  // (the handler was reset by SA_RESETHAND).
  if (gCrashFd >= 0 && tCurrentJob[0] && !gOutOfMemory) {
    char line[96];
    size_t n = 0;
    for (const char* p = "crash "; *p; ++p) line[n++] = *p;
    for (const char* p = tCurrentJob; *p && n < 60; ++p) line[n++] = *p;
    line[n++] = ' ';
    if (sig >= 10) line[n++] = static_cast<char>('0' + sig / 10);
    line[n++] = static_cast<char>('0' + sig % 10);
    line[n++] = '\n';
    ssize_t ignored = ::write(gCrashFd, line, n);
    (void)ignored;
  }
  ::raise(sig);
}

// An allocation refused under RLIMIT_AS throws std::bad_alloc; where nothing can catch it (a
// noexcept function, the top of a thread, a plugin's C boundary) it ends in std::terminate. That
// is the process running out of memory, not a crash of the thread it surfaced on (any thread's
// allocation can be the one refused): say so with "oom <job id or ->\n", then abort as the
// default handler does. Nothing here allocates but the rethrow, which libstdc++ serves from its
// emergency pool when malloc cannot; a terminate from inside it aborts at once.
[[noreturn]] void onTerminate() {
  static std::atomic<bool> entered{false};
  if (!entered.exchange(true) && gCrashFd >= 0 && std::current_exception()) {
    bool outOfMemory = false;
    try {
      std::rethrow_exception(std::current_exception());
    } catch (const std::bad_alloc&) {
      outOfMemory = true;
    } catch (...) {
    }
    if (outOfMemory) {
      gOutOfMemory = 1;
      char line[64];
      size_t n = 0;
      for (const char* p = "oom "; *p; ++p) line[n++] = *p;
      for (const char* p = tCurrentJob[0] ? tCurrentJob : "-"; *p && n < 60; ++p) line[n++] = *p;
      line[n++] = '\n';
      ssize_t ignored = ::write(gCrashFd, line, n);
      (void)ignored;
    }
  }
  std::abort();
}

// What a job whose allocation failed is told, with the cap that refused it when there is one.
std::string outOfMemoryError(const std::bad_alloc& e) {
  std::string error = std::string("out of memory: ") + e.what();
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    error += " under the worker's address-space cap of " + std::to_string(limit.rlim_cur >> 20) +
             " MiB (RLIMIT_AS, workers.memory_limit_mb)";
  }
  return error;
}

// Each executor thread gets its own signal stack, so that a stack overflow is reported too.
void ensureAltStack() {
  thread_local std::vector<char> stack;
  if (!stack.empty()) return;
  stack.resize(64 * 1024);
  stack_t ss{};
  ss.ss_sp = stack.data();
  ss.ss_size = stack.size();
  ::sigaltstack(&ss, nullptr);
}

}  // namespace

void setCrashTag(const std::string& jobId) {
  std::snprintf(tCurrentJob, sizeof tCurrentJob, "%s", jobId.c_str());
  if (gCrashFd >= 0) ensureAltStack();
}

void Worker::installCrashReporter(int fd) {
  // Not inherited by anything a job starts: only this process reports on this pipe.
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  gCrashFd = fd;
  struct sigaction sa {};
  sa.sa_handler = onCrash;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND | SA_ONSTACK;
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::sigaction(s, &sa, nullptr);
  std::set_terminate(onTerminate);
}

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string Worker::processWorkerId() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  // The boot id tells apart processes that share a hostname and a pid (containers do): the
  // supervisor hands its worker one; a worker run alone makes its own.
  const char* boot = std::getenv("TRIBUTARY_WORKER_BOOT");
  return workerId(host, ::getpid(), boot && *boot ? std::string(boot) : newBootId());
}

std::string Worker::workerId(const std::string& host, long pid, const std::string& bootId) {
  return host + ":" + std::to_string(pid) + ":" + bootId;
}

std::string Worker::newBootId() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

Worker::Worker(std::shared_ptr<JobQueue> queue, std::shared_ptr<const HandlerRegistry> registry, std::string conninfo,
               Options options)
    : queue_(std::move(queue)),
      registry_(std::move(registry)),
      conninfo_(std::move(conninfo)),
      options_(std::move(options)) {
  if (options_.workerId.empty()) options_.workerId = processWorkerId();
  if (options_.kinds.empty()) options_.kinds = registry_->kinds();
  if (!options_.onUnstoppableJob) {
    options_.onUnstoppableJob = [this](const std::string& jobId) {
      log::error("worker", "job {} did not stop within {} ms of its timeout; ending worker process {}", jobId,
                 queue_->config().timeoutGrace.count(), options_.workerId);
      releaseAllRunning(jobId);
      ::_exit(75);
    };
  }
  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Worker::~Worker() {
  stop();
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

void Worker::start() {
  log::info("worker", "worker {} running up to {} jobs at once (kinds: {}{})", options_.workerId, options_.concurrency,
            fmt::join(options_.kinds, ", "),
            options_.connections ? "; " + std::to_string(options_.connections->size()) + " connection(s)" : "");
  try {
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    queue_->registerWorker(
        {options_.workerId, host, options_.kinds, options_.connections, options_.connectionKinds, options_.plugins});
  } catch (const std::exception& e) {
    log::warn("worker", "registering worker {} failed: {}; its heartbeats will try again", options_.workerId, e.what());
  }
  threads_.emplace_back(&Worker::claimLoop, this);
  for (int i = 0; i < options_.concurrency; ++i) threads_.emplace_back(&Worker::executorLoop, this);
  threads_.emplace_back(&Worker::heartbeatLoop, this);
  threads_.emplace_back(&Worker::watchdogLoop, this);
  threads_.emplace_back(&Worker::completerLoop, this);
}

int Worker::running() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(running_.size());
}

void Worker::wake() {
  uint64_t one = 1;
  ssize_t ignored = ::write(wakeFd_, &one, sizeof one);
  (void)ignored;
}

void Worker::drainWake() {
  uint64_t v;
  while (::read(wakeFd_, &v, sizeof v) > 0) {
  }
}

void Worker::onNotification(const std::string& channel, const std::string& payload) {
  if (channel != JobQueue::kCancelChannel) return;
  std::lock_guard lock(mu_);
  auto it = running_.find(payload);
  if (it != running_.end()) {
    log::info("worker", "job {} cancelled on request; asking it to stop", payload);
    it->second.ctx->requestStop(StopReason::Cancel);
  }
}

void Worker::claimLoop() {
  std::unique_ptr<db::Connection> listener;
  const auto& cfg = queue_->config();
  // A job marked run_alone runs on a worker that runs nothing else: `alone` is the one this
  // worker runs (it claims nothing else meanwhile); `reserved` is one it drains for, held as a
  // session lock on `listener` (it claims nothing more until it runs nothing, then claims with
  // run_alone jobs first), so that such a job never waits forever behind workers that are never
  // idle, while the other workers go on claiming. A busy worker looks for one each poll interval.
  std::string alone;
  std::optional<std::string> reserved;
  auto nextReserve = SteadyClock::now();
  while (!stopping_) {
    try {
      if (!listener || listener->isBroken()) {
        listener = std::make_unique<db::Connection>(conninfo_);
        listener->listen(JobQueue::kNotifyChannel);
        listener->listen(JobQueue::kCancelChannel);
        reserved.reset();  // its lock ended with the old session
      }
      // Refill when at most half the capacity is taken, in one claim, rather than one job per
      // finished job: claims are round trips.
      const int capacity = options_.concurrency + options_.prefetch;
      int free;
      bool idle;
      {
        std::lock_guard lock(mu_);
        free = capacity - inflight_;
        if (inflight_ > 0 && free < (capacity + 1) / 2) free = 0;
        idle = inflight_ == 0;
        if (!alone.empty() && !running_.count(alone)) alone.clear();
      }
      if (!alone.empty()) {
        free = 0;
      } else if (!idle) {
        if (SteadyClock::now() >= nextReserve) {
          nextReserve = SteadyClock::now() + cfg.pollInterval;
          if (reserved && !queue_->runAloneDue(*reserved)) {
            queue_->unreserveRunAlone(*listener, *reserved);  // taken by a worker that was idle
            reserved.reset();
          }
          if (!reserved) {
            reserved = queue_->reserveRunAlone(*listener, options_.kinds, options_.workerId, options_.connections,
                                               options_.connectionKinds);
            if (reserved) {
              log::info("worker", "job {} runs alone: worker {} claims nothing more until its running jobs end",
                        *reserved, options_.workerId);
            }
          }
        }
        if (reserved) free = 0;
      }
      bool full = false;
      milliseconds timeout = options_.exitWhenIdle ? milliseconds(5) : cfg.pollInterval;
      if (free > 0) {
        const int want = std::min(free, cfg.claimBatch);
        auto jobs = queue_->claim(options_.workerId, want, options_.kinds, idle, options_.connections,
                                  options_.connectionKinds);
        std::vector<std::string> stillStopping;
        {
          std::lock_guard lock(mu_);
          for (auto& job : jobs) {
            if (auto old = running_.find(job.id); old != running_.end()) {
              // Rescued (its lease ran out while this worker could not renew it) and claimed
              // again here, while the old run has not yet stopped: that one goes first.
              old->second.ctx->requestStop(StopReason::Lost);
              stillStopping.push_back(job.id);
              continue;
            }
            auto ctx = std::make_shared<JobContext>(std::move(job), *queue_, options_.workerId);
            if (ctx->job().runAlone) alone = ctx->job().id;
            running_[ctx->job().id] = Running{ctx, SteadyClock::time_point::max(), false, std::nullopt};
            ++inflight_;
            ready_.push_back(std::move(ctx));
          }
        }
        cv_.notify_all();
        for (const auto& id : stillStopping) {
          log::warn("worker", "job {} was claimed again while its previous run here is still stopping; it waits", id);
          Outcome wait{Outcome::Kind::Wait, "", {}, {}, {}};
          wait.until = Clock::now() + std::chrono::seconds(1);
          wait.waitReason = "backoff";
          queue_->finish(id, options_.workerId, wait);
        }
        if (reserved) {
          // It was idle, so that claim took a run_alone job first if one was still due.
          queue_->unreserveRunAlone(*listener, *reserved);
          reserved.reset();
        }
        full = static_cast<int>(jobs.size()) == want;
        if (jobs.empty() && options_.exitWhenIdle) {
          std::lock_guard lock(mu_);
          if (inflight_ == 0) {
            idle_ = true;
            return;
          }
        }
        if (jobs.empty()) {
          if (options_.exitWhenIdle) {
            // Poll briefly until the last claimed job ends.
          } else if (auto next = queue_->nextRunAt(options_.kinds)) {
            auto until = std::chrono::duration_cast<milliseconds>(*next - Clock::now()) + milliseconds(1);
            timeout = std::clamp(until, milliseconds(0), cfg.pollInterval);
          }
        }
      }
      if (full) {
        // There may be more: only pick up cancellations, then claim again.
        for (auto& n : listener->waitForNotifications(milliseconds(0), -1)) onNotification(n.channel, n.payload);
        continue;
      }
      for (auto& n : listener->waitForNotifications(timeout, wakeFd_)) onNotification(n.channel, n.payload);
      drainWake();
    } catch (const std::exception& e) {
      log::error("worker", "claiming jobs failed: {}; retrying in 1 s", e.what());
      listener.reset();
      reserved.reset();
      std::unique_lock lock(stopMu_);
      stopCv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_.load(); });
    }
  }
}

void Worker::executorLoop() {
  if (gCrashFd >= 0) ensureAltStack();
  while (true) {
    std::shared_ptr<JobContext> ctx;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !ready_.empty() || stopping_; });
      if (ready_.empty()) return;
      ctx = std::move(ready_.front());
      ready_.pop_front();
    }
    execute(ctx);
  }
}

void Worker::execute(const std::shared_ptr<JobContext>& ctx) {
  const Job& job = ctx->job();
  {
    std::lock_guard lock(mu_);
    auto& r = running_[job.id];
    r.started = true;
    r.deadline = SteadyClock::now() + milliseconds(job.timeoutMs);
  }
  Outcome o;
  bool outOfMemory = false;
  if (stopping_ && ctx->stopReason() == StopReason::None) ctx->requestStop(StopReason::Shutdown);
  if (ctx->stopReason() == StopReason::Shutdown) {
    o.kind = Outcome::Kind::Released;  // claimed but never started
  } else if (JobHandler* handler = registry_->find(job.kind)) {
    std::snprintf(tCurrentJob, sizeof tCurrentJob, "%s", job.id.c_str());
    try {
      o = handler->run(*ctx);
    } catch (const std::bad_alloc& e) {
      outOfMemory = true;
      o = Outcome{Outcome::Kind::Retry, outOfMemoryError(e), {}, {}, {}};
    } catch (const std::exception& e) {
      o = Outcome{Outcome::Kind::Retry, e.what(), {}, {}, {}};
    } catch (...) {
      o = Outcome{Outcome::Kind::Retry, "the job's handler threw a non-standard exception", {}, {}, {}};
    }
    tCurrentJob[0] = 0;
  } else {
    o = Outcome{
        Outcome::Kind::Fatal, "no handler for job kind '" + job.kind + "' in worker " + options_.workerId, {}, {}, {}};
  }

  const StopReason reason = ctx->stopReason();
  bool report = true;
  if (o.kind != Outcome::Kind::Completed) {
    switch (reason) {
      case StopReason::Timeout:
        o = Outcome{Outcome::Kind::Retry,
                    "Job " + job.id + " exceeded timeout of " + std::to_string(job.timeoutMs) + "ms",
                    o.result,
                    {},
                    {}};
        break;
      case StopReason::Shutdown:
        if (o.kind != Outcome::Kind::Fatal) o = Outcome{Outcome::Kind::Released, "", o.result, {}, {}};
        break;
      case StopReason::Cancel:
        if (o.kind != Outcome::Kind::Fatal)
          o = Outcome{Outcome::Kind::Cancelled, "cancelled on request", o.result, {}, {}};
        break;
      case StopReason::Lost:
        report = false;  // rescued elsewhere; its new owner reports
        break;
      case StopReason::None: break;
    }
  }
  if (outOfMemory && reason == StopReason::None) {
    // Any job's allocation can be the one refused, not only the job that used the memory: the
    // first time, it is released to run alone, and only a failure there is charged (below).
    try {
      if (queue_->releaseOutOfMemory(job.id, options_.workerId, o.error)) report = false;
    } catch (const std::exception& e) {
      log::error("worker", "releasing job {} after its allocation failed failed: {}", job.id, e.what());
    }
  }
  if (report) {
    const bool batched = o.kind == Outcome::Kind::Completed && o.result.is_null();
    {
      std::lock_guard lock(mu_);
      running_[job.id].ending = true;
      // A batched completion frees its thread's place at once; the completer retires the job
      // (and stops renewing its lease) once the completion is recorded.
      if (batched) --inflight_;
    }
    if (batched) {
      {
        std::lock_guard lock(completeMu_);
        toComplete_.push_back(ctx);
      }
      completeCv_.notify_one();
      wake();
      return;
    }
    recordEnd(ctx, o);
  }
  retire(job, report);
}

void Worker::recordEnd(const std::shared_ptr<JobContext>& ctx, const Outcome& o) {
  const Job& job = ctx->job();
  auto delay = milliseconds(100);
  for (int attempt = 1;; ++attempt) {
    try {
      if (!queue_->finish(job.id, options_.workerId, o, job.claimUs)) {
        log::warn("worker", "job {} was no longer held by {} when it ended{}{}", job.id, options_.workerId,
                  o.error.empty() ? "" : ": ", o.error);
      } else if (attempt > 1) {
        log::info("worker", "recorded the end of job {} at attempt {}", job.id, attempt);
      }
      return;
    } catch (const std::exception& e) {
      if (ctx->lost()) {
        log::warn("worker", "job {} was rescued elsewhere while its end could not be recorded ({})", job.id, e.what());
        return;
      }
      if (!retryable(e)) {
        // The database refuses this write for good: retrying would hold the job (and, one job
        // per connection at a time, its connection's syncs) for ever. Let its lease run out, so
        // that it is rescued and run again, as a failed attempt.
        log::error("worker", "recording the end of job {} failed: {}; leaving it to be rescued when its lease runs out",
                   job.id, e.what());
        forget(job.id);
        return;
      }
      if (attempt == 1 || attempt % 10 == 0) {
        log::error("worker", "recording the end of job {} failed: {}; trying again (its lease is kept meanwhile)",
                   job.id, e.what());
      }
      if (pause(delay)) {
        log::error("worker", "stopping with the end of job {} unrecorded; it will be rescued", job.id);
        return;
      }
      delay = std::min<milliseconds>(delay * 2, milliseconds(5000));
    }
  }
}

bool Worker::retryable(const std::exception& e) {
  const auto* db = dynamic_cast<const db::DbError*>(&e);
  if (!db) return false;
  // A connection lost or refused, a failover, a serialization failure or deadlock, a lock or
  // statement timeout, an administrator's cancel, resources: another try may land.
  const std::string& s = db->sqlstate();
  return db->isConnectionFailure() || s.rfind("40", 0) == 0 || s.rfind("53", 0) == 0 || s.rfind("55", 0) == 0 ||
         s.rfind("57", 0) == 0 || s.rfind("58", 0) == 0;
}

void Worker::forget(const std::string& jobId) {
  std::lock_guard lock(mu_);
  forgotten_.insert(jobId);
}

bool Worker::pause(milliseconds delay) {
  std::unique_lock lock(stopMu_);
  return stopCv_.wait_for(lock, delay, [this] { return stopped_.load(); });
}

void Worker::retire(const Job& job, bool reported, bool freeSlot) {
  {
    std::lock_guard lock(mu_);
    running_.erase(job.id);
    forgotten_.erase(job.id);
    if (freeSlot) --inflight_;
  }
  // The next job of the same connection and kind may be waiting on this one: wake the workers,
  // if one is.
  if (reported && job.connectionId) {
    try {
      queue_->notifySiblings(*job.connectionId, job.kind);
    } catch (const std::exception&) {
    }
  }
  idleCv_.notify_all();
  wake();
}

void Worker::heartbeatLoop() {
  const auto interval = queue_->config().heartbeatInterval;
  while (true) {
    {
      std::unique_lock lock(stopMu_);
      if (stopCv_.wait_for(lock, interval, [this] { return stopped_.load(); })) return;
    }
    try {
      // Its own registration, running jobs or not (registered again if it was forgotten).
      if (!queue_->workerAlive(options_.workerId)) {
        char host[256] = {0};
        ::gethostname(host, sizeof host - 1);
        queue_->registerWorker({options_.workerId, host, options_.kinds, options_.connections, options_.connectionKinds,
                                options_.plugins});
      }
    } catch (const std::exception& e) {
      log::warn("worker", "renewing the registration of worker {} failed: {}", options_.workerId, e.what());
    }
    std::vector<std::string> ids;
    {
      std::lock_guard lock(mu_);
      for (const auto& [id, _] : running_) {
        if (!forgotten_.count(id)) ids.push_back(id);
      }
    }
    if (!ids.empty()) {
      try {
        auto reply = queue_->heartbeat(options_.workerId, ids);
        std::lock_guard lock(mu_);
        for (const auto& id : reply.cancelRequested) {
          if (auto it = running_.find(id); it != running_.end()) it->second.ctx->requestStop(StopReason::Cancel);
        }
        for (const auto& id : reply.lost) {
          if (auto it = running_.find(id); it != running_.end()) {
            log::warn("worker", "job {} is no longer held by {} (its lease expired and it was rescued); stopping it",
                      id, options_.workerId);
            it->second.ctx->requestStop(StopReason::Lost);
          }
        }
      } catch (const std::exception& e) {
        log::error("worker", "heartbeat failed: {}", e.what());
      }
    }
    // After the leases: the hook (the HTTP counters' flush) may wait for a pooled connection
    // while every job holds one, and no lease should wait behind it.
    if (options_.onHeartbeat) {
      try {
        options_.onHeartbeat();
      } catch (const std::exception& e) {
        log::debug("worker", "the heartbeat hook failed: {}", e.what());
      }
    }
  }
}

void Worker::watchdogLoop() {
  const auto& cfg = queue_->config();
  auto nextRescue = SteadyClock::now();
  auto nextPrune = SteadyClock::now() + std::chrono::minutes(1);
  while (true) {
    {
      std::unique_lock lock(stopMu_);
      if (stopCv_.wait_for(lock, milliseconds(100), [this] { return stopped_.load(); })) return;
    }
    const auto now = SteadyClock::now();
    std::vector<std::pair<std::string, int64_t>> unstoppable;
    {
      std::lock_guard lock(mu_);
      for (auto& [id, r] : running_) {
        if (r.ending) continue;
        if (!r.killAt && now > r.deadline) {
          log::warn("worker", "job {} exceeded its timeout of {} ms; asking it to stop", id, r.ctx->job().timeoutMs);
          r.ctx->requestStop(StopReason::Timeout);
          r.killAt = now + cfg.timeoutGrace;
        } else if (r.killAt && now > *r.killAt && r.ctx->stopReason() == StopReason::Timeout) {
          unstoppable.emplace_back(id, r.ctx->job().timeoutMs);
          r.killAt = now + std::chrono::hours(24 * 365);
        }
      }
    }
    for (const auto& [id, timeoutMs] : unstoppable) {
      try {
        queue_->abandonTimedOut(id, options_.workerId, timeoutMs);
      } catch (const std::exception& e) {
        log::error("worker", "recording the timeout of job {} failed: {}", id, e.what());
      }
      options_.onUnstoppableJob(id);
    }
    if (!options_.maintenance) continue;
    if (now >= nextRescue) {
      nextRescue = now + cfg.rescueInterval;
      try {
        queue_->rescueExpired();
      } catch (const std::exception& e) {
        log::error("worker", "rescuing expired jobs failed: {}", e.what());
      }
    }
    if (now >= nextPrune) {
      nextPrune = now + std::chrono::hours(1);
      try {
        queue_->prune();
      } catch (const std::exception& e) {
        log::error("worker", "pruning old jobs failed: {}", e.what());
      }
    }
  }
}

void Worker::completerLoop() {
  while (true) {
    std::vector<std::shared_ptr<JobContext>> batch;
    {
      std::unique_lock lock(completeMu_);
      completeCv_.wait(lock, [this] { return !toComplete_.empty() || stopped_; });
      if (toComplete_.empty()) return;
      batch.swap(toComplete_);
    }
    // The jobs stay in running_ (their leases renewed) until their completion is recorded: a
    // write lost to a failover is tried again, not left to a rescue that would rerun them.
    auto delay = milliseconds(100);
    for (int attempt = 1; !batch.empty(); ++attempt) {
      std::vector<std::string> ids;
      std::vector<int64_t> claims;
      for (const auto& ctx : batch) {
        ids.push_back(ctx->job().id);
        claims.push_back(ctx->job().claimUs.value_or(0));
      }
      try {
        queue_->completeMany(ids, options_.workerId, claims);
        break;
      } catch (const std::exception& e) {
        if (attempt == 1 || attempt % 10 == 0) {
          log::error("worker", "completing {} jobs failed: {}; trying again (their leases are kept meanwhile)",
                     ids.size(), e.what());
        }
        // Those found rescued elsewhere meanwhile are no longer this worker's to complete; on
        // an error that no retry cures, all are left to their leases.
        const bool giveUp = !retryable(e);
        std::erase_if(batch, [this, giveUp](const std::shared_ptr<JobContext>& ctx) {
          if (!giveUp && !ctx->lost()) return false;
          forget(ctx->job().id);
          retire(ctx->job(), false, false);
          return true;
        });
        if (giveUp) break;
        if (pause(delay)) {
          log::error("worker", "stopping with {} completions unrecorded; those jobs will be rescued", batch.size());
          break;
        }
        delay = std::min<milliseconds>(delay * 2, milliseconds(5000));
      }
    }
    for (const auto& ctx : batch) retire(ctx->job(), true, false);
  }
}

void Worker::releaseAllRunning(const std::string& except) {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, r] : running_) {
      // A job whose run ended is not handed back: its end is being recorded (and if that never
      // lands, its lease runs out and the engine tells the rescue it had finished).
      if (id != except && !r.ending) ids.push_back(id);
    }
  }
  for (const auto& id : ids) {
    try {
      queue_->finish(id, options_.workerId, Outcome{Outcome::Kind::Released, "", {}, {}, {}});
    } catch (const std::exception& e) {
      log::error("worker", "releasing job {} failed: {}", id, e.what());
    }
  }
}

void Worker::stop() {
  std::lock_guard lifecycle(lifecycleMu_);
  if (stopped_) return;
  const auto grace = queue_->config().shutdownGrace;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, r] : running_) r.ctx->requestStop(StopReason::Shutdown);
  }
  cv_.notify_all();
  wake();
  bool idle;
  {
    std::unique_lock lock(mu_);
    idle = idleCv_.wait_for(lock, grace, [this] { return running_.empty(); });
  }
  if (!idle) {
    log::warn("worker", "{} job(s) still running after the shutdown grace of {} ms; releasing them", running(),
              grace.count());
    releaseAllRunning("");
  }
  {
    std::lock_guard lock(stopMu_);
    stopped_ = true;
  }
  stopCv_.notify_all();
  { std::lock_guard lock(completeMu_); }
  completeCv_.notify_all();
  for (auto& t : threads_) {
    if (!t.joinable()) continue;
    if (idle) {
      t.join();
    } else {
      t.detach();  // a handler that ignores stop requests; the process is about to end
    }
  }
  threads_.clear();
  try {
    queue_->unregisterWorker(options_.workerId);
  } catch (const std::exception& e) {
    log::warn("worker", "unregistering worker {} failed: {}; maintenance forgets it later", options_.workerId,
              e.what());
  }
  log::info("worker", "worker {} stopped", options_.workerId);
}

}  // namespace tributary::queue
