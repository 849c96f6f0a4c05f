#include "app/Supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>

#include "common/Log.h"
#include "queue/Worker.h"

namespace tributary::app {

namespace {

bool sanitizerBuild() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

}  // namespace

Supervisor::Supervisor(Options options, std::shared_ptr<queue::JobQueue> queue)
    : options_(std::move(options)), queue_(std::move(queue)) {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  hostname_ = host;
}

Supervisor::~Supervisor() { stop(); }

void Supervisor::spawn(Slot& slot) {
  process::SpawnOptions o;
  o.argv = {options_.executable.string(), "worker",         "--config",
            options_.configFile.string(), "--worker-index", std::to_string(slot.index)};
  if (!options_.logLevel.empty()) {
    o.argv.push_back("--log-level");
    o.argv.push_back(options_.logLevel);
  }
  o.env["TRIBUTARY_WORKER_CONNINFO"] = options_.conninfo;
  const std::string boot = queue::Worker::newBootId();
  o.env["TRIBUTARY_WORKER_BOOT"] = boot;
  o.parentDeathSignal = SIGTERM;  // a supervisor that dies takes its workers down gracefully
  // Their own process group: a terminal's Ctrl-C goes to the host, which stops them in order
  // (SIGTERM, the grace, then the database), rather than to every process at once.
  o.newProcessGroup = true;
  bool rlimit = rlimitCap_;
  if (cgroups_) {
    try {
      o.cgroupProcsFile = cgroups_->prepareWorker(slot.index).string();
      slot.oomKillsAtStart = cgroups_->oomKills(slot.index);
    } catch (const std::exception& e) {
      rlimit = !sanitizerBuild();
      log::error("supervisor", "worker {} {}: {}", slot.index,
                 rlimit ? "is capped with RLIMIT_AS instead of its cgroup" : "runs without its memory cap", e.what());
    }
  }
  if (rlimit) o.addressSpaceLimit = capBytes();
  // A pipe on which the worker names the job whose thread crashed it (see Worker).
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) == 0) {
    o.passFd = fds[1];
    o.env["TRIBUTARY_CRASH_FD"] = "3";
  }
  try {
    slot.child = process::Child::spawn(o);
  } catch (...) {
    if (o.passFd >= 0) {
      ::close(fds[0]);
      ::close(fds[1]);
    }
    throw;
  }
  if (o.passFd >= 0) {
    ::close(fds[1]);
    // Read without waiting: a worker killed before it could write leaves the pipe empty, and
    // anything it started may still hold the write end.
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    if (slot.crashFd >= 0) ::close(slot.crashFd);
    slot.crashFd = fds[0];
  }
  slot.workerId = queue::Worker::workerId(hostname_, slot.child->pid(), boot);
  slot.startedAt = std::chrono::steady_clock::now();
  log::info("supervisor", "started worker {} (pid {})", slot.index, slot.child->pid());
}

void Supervisor::setUpMemoryCap() {
  if (options_.memoryLimitMb <= 0) return;
  std::string whyNot;
  if (options_.memoryCap != "rlimit") {
    try {
      auto dir = cgroup::ownCgroupDir(options_.procFiles, whyNot);
      if (dir) {
        cgroups_ = cgroup::WorkerMemoryCgroups::setUp(*dir, capBytes(), options_.procFiles);
        log::info("supervisor", "capping each worker at {} MiB with cgroup v2 ({}/worker-N, memory.max)",
                  options_.memoryLimitMb, dir->string());
        return;
      }
    } catch (const std::exception& e) {
      whyNot = e.what();
    }
    if (options_.memoryCap == "cgroup") {
      throw std::runtime_error("workers.memory_cap is cgroup, but cgroup v2 cannot be used: " + whyNot);
    }
  }
  if (sanitizerBuild()) {
    log::warn("supervisor",
              "workers.memory_limit_mb is not enforced: {}{}and RLIMIT_AS cannot be used in a "
              "sanitizer build (ASan reserves terabytes of address space)",
              whyNot, whyNot.empty() ? "" : "; ");
    return;
  }
  rlimitCap_ = true;
  if (whyNot.empty()) {
    log::info("supervisor", "capping each worker at {} MiB with RLIMIT_AS", options_.memoryLimitMb);
  } else {
    log::info("supervisor", "capping each worker at {} MiB with RLIMIT_AS (no cgroup v2: {})", options_.memoryLimitMb,
              whyNot);
  }
}

std::string Supervisor::memoryCapMethod() const {
  std::lock_guard lock(mu_);
  return cgroups_ ? "cgroup" : rlimitCap_ ? "rlimit" : "";
}

void Supervisor::start() {
  std::lock_guard lock(mu_);
  setUpMemoryCap();
  for (int i = 0; i < options_.processes; ++i) {
    Slot s;
    s.index = i;
    slots_.push_back(std::move(s));
  }
  for (auto& s : slots_) spawn(s);
  thread_ = std::thread(&Supervisor::loop, this);
}

void Supervisor::onExit(Slot& slot, int status) {
  const pid_t pid = slot.child->pid();
  slot.child.reset();
  const auto ran = std::chrono::steady_clock::now() - slot.startedAt;
  slot.consecutiveFailures = ran > std::chrono::minutes(1) ? 1 : slot.consecutiveFailures + 1;
  const auto delay = std::min<std::chrono::milliseconds>(
      std::chrono::seconds(30), std::chrono::milliseconds(500) * (1 << std::min(slot.consecutiveFailures - 1, 6)));
  std::string cause = "worker process " + std::to_string(pid) + " " + process::describeStatus(status);
  // Out of memory: the kernel killed it under its cgroup cap, or (RLIMIT_AS) an allocation it
  // could not survive was refused, which its terminate handler reports as "oom". Either way the
  // job that used the memory is unknown; a crash line names the thread's job.
  bool outOfMemory = false;
  if (cgroups_ && cgroups_->oomKills(slot.index) > slot.oomKillsAtStart) {
    outOfMemory = true;
    cause += " by the kernel's OOM killer: over its memory cap of " + std::to_string(options_.memoryLimitMb) +
             " MiB (workers.memory_limit_mb)";
  }
  std::optional<std::string> culprit;
  if (slot.crashFd >= 0) {
    char buf[256];
    ssize_t n = ::read(slot.crashFd, buf, sizeof buf - 1);
    std::istringstream lines(std::string(buf, static_cast<size_t>(std::max<ssize_t>(n, 0))));
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("oom ", 0) == 0 && !outOfMemory) {
        outOfMemory = true;
        cause += " after an allocation failed (std::bad_alloc)";
        if (options_.memoryLimitMb > 0) {
          cause +=
              " under its memory cap of " + std::to_string(options_.memoryLimitMb) + " MiB (workers.memory_limit_mb)";
        }
      } else if (line.rfind("crash ", 0) == 0 && line.size() >= 42 && !culprit) {
        culprit = line.substr(6, 36);
      }
    }
    ::close(slot.crashFd);
    slot.crashFd = -1;
  }
  log::error("supervisor", "worker {}: {}; restarting in {} ms", slot.index, cause, delay.count());
  if (culprit && !outOfMemory) log::error("supervisor", "job {} crashed worker {}", *culprit, slot.index);
  try {
    int n = outOfMemory ? queue_->rescueOutOfMemory(slot.workerId, "worker lost: " + cause)
                        : queue_->rescueWorker(slot.workerId, "worker lost: " + cause, culprit);
    if (n) log::warn("supervisor", "rescued {} job(s) of worker {}", n, slot.workerId);
  } catch (const std::exception& e) {
    log::error("supervisor", "rescuing the jobs of {} failed: {}; their leases will expire instead", slot.workerId,
               e.what());
  }
  unregister(slot);
  slot.restartAt = std::chrono::steady_clock::now() + delay;
  ++slot.restarts;
}

void Supervisor::unregister(const Slot& slot) {
  // A worker that stops unregisters itself; one that died cannot, and would otherwise count as
  // able to run jobs (JobQueue::markUnrunnable) until maintenance forgets it.
  try {
    queue_->unregisterWorker(slot.workerId);
  } catch (const std::exception& e) {
    log::warn("supervisor", "unregistering worker {} failed: {}; maintenance forgets it later", slot.workerId,
              e.what());
  }
}

void Supervisor::loop() {
  while (!stopping_) {
    {
      std::lock_guard lock(mu_);
      for (auto& slot : slots_) {
        if (stopping_) break;
        if (slot.child) {
          if (auto st = slot.child->poll()) onExit(slot, *st);
        } else if (std::chrono::steady_clock::now() >= slot.restartAt) {
          try {
            spawn(slot);
          } catch (const std::exception& e) {
            log::error("supervisor", "cannot start worker {}: {}", slot.index, e.what());
            slot.restartAt = std::chrono::steady_clock::now() + std::chrono::seconds(5);
          }
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void Supervisor::stop() {
  if (stopping_.exchange(true)) return;
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  for (auto& s : slots_) {
    if (s.child) s.child->signal(SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + options_.shutdownGrace + std::chrono::seconds(5);
  for (auto& s : slots_) {
    if (!s.child) continue;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto st = s.child->waitFor(std::max(left, std::chrono::milliseconds(0)));
    if (!st) {
      log::warn("supervisor", "worker {} (pid {}) did not stop in time; killing it", s.index, s.child->pid());
      s.child->signal(SIGKILL);
      s.child->wait();
      try {
        queue_->rescueWorker(s.workerId, "worker lost: worker process killed at shutdown");
      } catch (...) {
      }
      unregister(s);
    }
    s.child.reset();
  }
  if (cgroups_) cgroups_->removeWorkers(static_cast<int>(slots_.size()));
  log::info("supervisor", "all workers stopped");
}

std::vector<Supervisor::ChildInfo> Supervisor::children() const {
  std::lock_guard lock(mu_);
  std::vector<ChildInfo> out;
  for (const auto& s : slots_) out.push_back({s.index, s.child ? s.child->pid() : 0, s.workerId, s.restarts});
  return out;
}

}  // namespace tributary::app
