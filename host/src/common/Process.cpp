#include "common/Process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace tributary::process {

std::optional<Identity> lookupUser(const std::string& name) {
  struct passwd pw;
  struct passwd* result = nullptr;
  std::vector<char> buf(16384);
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &result) != 0 || !result) {
    return std::nullopt;
  }
  return Identity{pw.pw_uid, pw.pw_gid, pw.pw_name, pw.pw_dir};
}

Identity currentIdentity() {
  Identity id{::geteuid(), ::getegid(), "", ""};
  struct passwd pw;
  struct passwd* result = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(id.uid, &pw, buf.data(), buf.size(), &result) == 0 && result) {
    id.name = pw.pw_name;
    id.home = pw.pw_dir;
  }
  return id;
}

bool runningAsRoot() { return ::geteuid() == 0; }

namespace {

[[noreturn]] void childFail(int errPipe, const char* what) {
  int e = errno;
  std::string msg = std::string(what) + ": " + std::strerror(e);
  ssize_t ignored = ::write(errPipe, msg.data(), msg.size());
  (void)ignored;
  ::_exit(127);
}

}  // namespace

Child Child::spawn(const SpawnOptions& options) {
  if (options.argv.empty()) throw std::invalid_argument("spawn: empty argv");

  // Everything the child needs is prepared before fork: after fork only async-signal-safe calls.
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  std::map<std::string, std::string> envMap;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) envMap[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (options.runAs) {
    envMap["HOME"] = options.runAs->home;
    envMap["USER"] = options.runAs->name;
    envMap["LOGNAME"] = options.runAs->name;
  }
  for (const auto& [k, v] : options.env) envMap[k] = v;
  std::vector<std::string> envStrings;
  for (const auto& [k, v] : envMap) envStrings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : envStrings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int outFd = -1;
  if (options.outputFile) {
    outFd = ::open(options.outputFile->c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (outFd < 0) {
      throw std::runtime_error("cannot open " + *options.outputFile + ": " + std::strerror(errno));
    }
  }
  int pipeFds[2] = {-1, -1};
  if (options.captureOutput && ::pipe2(pipeFds, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  int errPipe[2];
  if (::pipe2(errPipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");

  const char* cgroupProcs = options.cgroupProcsFile ? options.cgroupProcsFile->c_str() : nullptr;
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(errPipe[0]);
    if (options.newProcessGroup) ::setpgid(0, 0);
    int target = outFd >= 0 ? outFd : (options.captureOutput ? pipeFds[1] : -1);
    if (target >= 0) {
      if (::dup2(target, STDOUT_FILENO) < 0 || ::dup2(target, STDERR_FILENO) < 0) {
        childFail(errPipe[1], "dup2");
      }
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    if (options.passFd == 3) {
      ::fcntl(3, F_SETFD, 0);  // dup2(3, 3) would keep its close-on-exec flag
    } else if (options.passFd >= 0 && ::dup2(options.passFd, 3) < 0) {
      childFail(errPipe[1], "dup2(3)");
    }
    if (cgroupProcs) {
      // Joins before exec, so that nothing the program allocates escapes the cgroup's limits.
      char digits[24];
      int len = 0;
      for (pid_t p = ::getpid(); p > 0; p /= 10) digits[len++] = static_cast<char>('0' + p % 10);
      char line[24];
      for (int i = 0; i < len; ++i) line[i] = digits[len - 1 - i];
      line[len++] = '\n';
      int fd = ::open(cgroupProcs, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd < 0 || ::write(fd, line, static_cast<size_t>(len)) != len) childFail(errPipe[1], cgroupProcs);
      ::close(fd);
    }
    if (options.runAs) {
      if (::setgroups(0, nullptr) != 0) childFail(errPipe[1], "setgroups");
      if (::setgid(options.runAs->gid) != 0) childFail(errPipe[1], "setgid");
      if (::setuid(options.runAs->uid) != 0) childFail(errPipe[1], "setuid");
    }
    // Set after the identity change, which clears it.
    if (options.parentDeathSignal) {
      ::prctl(PR_SET_PDEATHSIG, options.parentDeathSignal);
      if (::getppid() != parent) ::_exit(1);
    }
    if (options.addressSpaceLimit) {
      struct rlimit lim {
        *options.addressSpaceLimit, *options.addressSpaceLimit
      };
      if (::setrlimit(RLIMIT_AS, &lim) != 0) childFail(errPipe[1], "setrlimit(RLIMIT_AS)");
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (options.workingDir && ::chdir(options.workingDir->c_str()) != 0) {
      childFail(errPipe[1], "chdir");
    }
    ::execve(argv[0], argv.data(), envp.data());
    childFail(errPipe[1], argv[0]);
  }
  ::close(errPipe[1]);
  if (outFd >= 0) ::close(outFd);
  if (options.captureOutput) ::close(pipeFds[1]);
  std::string err;
  char buf[512];
  ssize_t n;
  while ((n = ::read(errPipe[0], buf, sizeof buf)) > 0) err.append(buf, static_cast<size_t>(n));
  ::close(errPipe[0]);
  if (!err.empty()) {
    ::waitpid(pid, nullptr, 0);
    if (options.captureOutput) ::close(pipeFds[0]);
    throw std::runtime_error("cannot start " + options.argv[0] + ": " + err);
  }
  Child c;
  c.pid_ = pid;
  c.outFd_ = options.captureOutput ? pipeFds[0] : -1;
  return c;
}

void Child::drainOutput(bool untilEof) {
  if (outFd_ < 0) return;
  char buf[4096];
  while (true) {
    struct pollfd p {
      outFd_, POLLIN, 0
    };
    int r = ::poll(&p, 1, untilEof ? -1 : 0);
    if (r <= 0) return;
    ssize_t n = ::read(outFd_, buf, sizeof buf);
    if (n > 0) {
      output_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 || (n < 0 && errno != EINTR)) {
      ::close(outFd_);
      outFd_ = -1;
      return;
    }
  }
}

std::optional<int> Child::poll() {
  if (status_) return status_;
  drainOutput(false);
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    drainOutput(true);
    status_ = st;
  }
  return status_;
}

int Child::wait() {
  if (status_) return *status_;
  drainOutput(true);
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  status_ = st;
  return st;
}

std::optional<int> Child::waitFor(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (auto s = poll()) return s;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void Child::signal(int sig) const {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

bool RunResult::ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

RunResult run(SpawnOptions options) {
  options.captureOutput = !options.outputFile.has_value();
  Child c = Child::spawn(options);
  int st = c.wait();
  return RunResult{st, c.output()};
}

std::string signalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string describeStatus(int st) {
  if (WIFEXITED(st)) return "exited with status " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) {
    return "killed by signal " + std::to_string(WTERMSIG(st)) + " (" + signalName(WTERMSIG(st)) + ")";
  }
  return "stopped (status " + std::to_string(st) + ")";
}

}  // namespace tributary::process
