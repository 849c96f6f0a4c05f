#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tributary::process {

// An operating-system account that a child process runs as.
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
  std::string home;
};

// Looks up a user by name; nullopt when there is none.
std::optional<Identity> lookupUser(const std::string& name);
// The identity of this process.
Identity currentIdentity();
bool runningAsRoot();

struct SpawnOptions {
  std::vector<std::string> argv;           // argv[0] is the program path
  std::optional<Identity> runAs;           // drop to this user in the child (needs root)
  std::map<std::string, std::string> env;  // added to (or replacing) the inherited environment
  std::optional<std::string> outputFile;   // stdout and stderr appended here; else inherited
  bool captureOutput = false;              // stdout and stderr captured through a pipe
  int parentDeathSignal = 0;               // signal the child gets when this process dies
  bool newProcessGroup = false;
  std::optional<std::string> workingDir;
  std::optional<uint64_t> addressSpaceLimit;   // RLIMIT_AS in bytes
  std::optional<std::string> cgroupProcsFile;  // the child joins this cgroup before it runs anything
  int passFd = -1;                             // made the child's fd 3 (e.g. a pipe's write end)
};

// A child process. Destroying the handle does not kill or reap the child.
class Child {
 public:
  static Child spawn(const SpawnOptions& options);

  pid_t pid() const { return pid_; }
  // Returns the wait status once the child has exited, nullopt while it runs.
  std::optional<int> poll();
  // Blocks until exit; returns the wait status.
  int wait();
  // Waits up to `timeout`; nullopt if it still runs.
  std::optional<int> waitFor(std::chrono::milliseconds timeout);
  void signal(int sig) const;
  // Captured output (only with captureOutput; read when the child has exited).
  const std::string& output() const { return output_; }

 private:
  void drainOutput(bool untilEof);
  pid_t pid_ = -1;
  int outFd_ = -1;
  std::optional<int> status_;
  std::string output_;
};

struct RunResult {
  int status = 0;  // wait status
  std::string output;
  bool ok() const;
};

// Runs a command to completion with captured output.
RunResult run(SpawnOptions options);

// "exited with status 1", "killed by signal 9 (SIGKILL)".
std::string describeStatus(int waitStatus);
std::string signalName(int sig);

}  // namespace tributary::process
