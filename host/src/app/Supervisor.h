#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/Cgroup.h"
#include "common/Process.h"
#include "queue/JobQueue.h"

namespace tributary::app {

// Keeps `processes` worker processes (`tributary worker`) alive. A worker that dies (a crashing
// plugin, abort, out of memory) is restarted with backoff, and its running jobs are rescued at
// once with the cause recorded on each, rather than waiting for their leases to run out.
class Supervisor {
 public:
  struct Options {
    int processes = 1;
    std::filesystem::path executable;  // this binary
    std::filesystem::path configFile;
    std::string conninfo;  // handed to workers in the environment, never on argv
    int memoryLimitMb = 0;
    std::string memoryCap = "auto";  // auto, cgroup or rlimit (workers.memory_cap)
    cgroup::ProcFiles procFiles;     // where the host's own cgroup is read from
    std::string logLevel;
    std::chrono::milliseconds shutdownGrace{30'000};
  };

  struct ChildInfo {
    int index = 0;
    pid_t pid = 0;
    std::string workerId;
    int restarts = 0;
  };

  Supervisor(Options options, std::shared_ptr<queue::JobQueue> queue);
  ~Supervisor();

  // Throws when memoryCap is "cgroup" and no cgroup can be used.
  void start();
  // How the memory cap is enforced: "cgroup", "rlimit", or "" for none.
  std::string memoryCapMethod() const;
  // SIGTERM to every worker (they release their jobs), SIGKILL after the grace.
  void stop();
  std::vector<ChildInfo> children() const;

 private:
  struct Slot {
    int index = 0;
    std::optional<process::Child> child;
    std::string workerId;
    int restarts = 0;
    int consecutiveFailures = 0;
    std::chrono::steady_clock::time_point startedAt{};
    std::chrono::steady_clock::time_point restartAt{};
    int crashFd = -1;  // read end of the child's crash-report pipe
    uint64_t oomKillsAtStart = 0;
  };

  void setUpMemoryCap();
  uint64_t capBytes() const { return static_cast<uint64_t>(options_.memoryLimitMb) * 1024 * 1024; }
  void spawn(Slot& slot);
  void loop();
  void onExit(Slot& slot, int status);
  void unregister(const Slot& slot);

  Options options_;
  std::shared_ptr<queue::JobQueue> queue_;
  std::string hostname_;
  mutable std::mutex mu_;
  std::vector<Slot> slots_;
  std::optional<cgroup::WorkerMemoryCgroups> cgroups_;
  bool rlimitCap_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace tributary::app
