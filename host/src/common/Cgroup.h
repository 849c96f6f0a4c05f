#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tributary::cgroup {

// Where the kernel describes this process; tests point these at files of their own.
struct ProcFiles {
  std::filesystem::path mountinfo = "/proc/self/mountinfo";
  std::filesystem::path selfCgroup = "/proc/self/cgroup";
  std::filesystem::path proc = "/proc";  // for /proc/PID/stat (parent pids)
  pid_t self = 0;                        // 0: getpid()
};

// The directory of this process's own cgroup in the unified (v2) hierarchy. nullopt, with the
// reason in `whyNot`, when no cgroup2 file system is mounted or the process is not in one.
std::optional<std::filesystem::path> ownCgroupDir(const ProcFiles& files, std::string& whyNot);

// Memory caps for worker processes with cgroup v2: each worker runs in a child cgroup of the
// host's own, `DIR/worker-N`, whose memory.max is the cap and memory.swap.max is 0. The kernel
// then counts everything the worker touches (heap, page cache it dirties, mapped files) and
// OOM-kills only that worker when it goes over, where RLIMIT_AS counts reserved address space.
//
// cgroup v2 lets a cgroup hand controllers to its children only when it holds no processes
// itself, so setUp moves the host's processes into `DIR/host` first. It does so only when
// every process in DIR is this one or a descendant (a systemd service with Delegate=yes, a
// container's init): it never moves processes that are not ours.
class WorkerMemoryCgroups {
 public:
  // Throws std::runtime_error with the reason when the cgroup cannot be used this way.
  static WorkerMemoryCgroups setUp(const std::filesystem::path& dir, uint64_t limitBytes, const ProcFiles& files = {});

  const std::filesystem::path& dir() const { return dir_; }
  uint64_t limitBytes() const { return limitBytes_; }
  // Creates (or reuses) DIR/worker-N with the cap; returns the cgroup.procs file that the
  // worker joins before it runs anything (SpawnOptions::cgroupProcsFile).
  std::filesystem::path prepareWorker(int index) const;
  // How many times the kernel's OOM killer has struck in worker N's cgroup (memory.events).
  uint64_t oomKills(int index) const;
  // Removes the workers' cgroups; one that still holds a process stays.
  void removeWorkers(int count) const;

 private:
  WorkerMemoryCgroups(std::filesystem::path dir, uint64_t limitBytes) : dir_(std::move(dir)), limitBytes_(limitBytes) {}
  std::filesystem::path dir_;
  uint64_t limitBytes_;
};

}  // namespace tributary::cgroup
