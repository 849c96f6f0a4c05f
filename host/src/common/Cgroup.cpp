#include "common/Cgroup.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <set>
#include <sstream>
#include <stdexcept>

#include "common/Files.h"
#include "common/Strings.h"

namespace fs = std::filesystem;

namespace tributary::cgroup {

namespace {

// A cgroup or /proc file whole; "" when it cannot be read (absent, or its process gone).
std::string readOrEmpty(const fs::path& file) { return files::tryReadFile(file).value_or(""); }

// Mount points in mountinfo escape space, tab, newline and backslash as \ooo.
std::string unescapeMountField(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isdigit(static_cast<unsigned char>(s[i + 2])) && std::isdigit(static_cast<unsigned char>(s[i + 3]))) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// 0, or the errno of the failed open or write.
int tryWrite(const fs::path& file, const std::string& content, bool append) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
  if (fd < 0) return errno;
  ssize_t n = ::write(fd, content.data(), content.size());
  int err = n < 0 ? errno : (n != static_cast<ssize_t>(content.size()) ? EIO : 0);
  ::close(fd);
  return err;
}

[[noreturn]] void writeFailed(const fs::path& file, const std::string& content, int err) {
  throw std::runtime_error("cannot write \"" + std::string(strings::trim(content)) + "\" to " + file.string() + ": " +
                           std::strerror(err));
}

void writeFile(const fs::path& file, const std::string& content, bool append) {
  if (int err = tryWrite(file, content, append)) writeFailed(file, content, err);
}

std::set<std::string> words(const std::string& s) {
  std::set<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.insert(w);
  return out;
}

// The parent of `pid` from /proc/PID/stat, or 0 when it cannot be read.
pid_t parentOf(const fs::path& proc, pid_t pid) {
  std::string stat = readOrEmpty(proc / std::to_string(pid) / "stat");
  auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return 0;
  std::istringstream in(stat.substr(close + 1));
  std::string state;
  long ppid = 0;
  if (!(in >> state >> ppid)) return 0;
  return static_cast<pid_t>(ppid);
}

bool isSelfOrDescendant(const fs::path& proc, pid_t pid, pid_t self) {
  for (int depth = 0; depth < 64 && pid > 0; ++depth) {
    if (pid == self) return true;
    pid = parentOf(proc, pid);
  }
  return false;
}

}  // namespace

std::optional<fs::path> ownCgroupDir(const ProcFiles& files, std::string& whyNot) {
  std::string cgroupPath;
  {
    std::istringstream in(readOrEmpty(files.selfCgroup));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("0::", 0) == 0) cgroupPath = line.substr(3);
    }
  }
  if (cgroupPath.empty()) {
    whyNot = files.selfCgroup.string() + " names no cgroup v2 (unified) membership";
    return std::nullopt;
  }
  std::istringstream in(readOrEmpty(files.mountinfo));
  std::string line;
  while (std::getline(in, line)) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream after(line.substr(dash + 3));
    std::string fstype;
    after >> fstype;
    if (fstype != "cgroup2") continue;
    std::istringstream before(line.substr(0, dash));
    std::string id, parent, dev, root, mountPoint;
    if (!(before >> id >> parent >> dev >> root >> mountPoint)) continue;
    root = unescapeMountField(root);
    mountPoint = unescapeMountField(mountPoint);
    std::string rel;
    if (root == "/") {
      rel = cgroupPath;
    } else if (cgroupPath == root || cgroupPath.rfind(root + "/", 0) == 0) {
      rel = cgroupPath.substr(root.size());
    } else {
      continue;  // a mount of another part of the hierarchy
    }
    while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
    return rel.empty() ? fs::path(mountPoint) : fs::path(mountPoint) / rel;
  }
  whyNot = "no cgroup2 file system is mounted (" + files.mountinfo.string() + ")";
  return std::nullopt;
}

WorkerMemoryCgroups WorkerMemoryCgroups::setUp(const fs::path& dir, uint64_t limitBytes, const ProcFiles& files) {
  if (!fs::exists(dir / "cgroup.controllers")) {
    throw std::runtime_error(dir.string() + " is not a cgroup v2 directory (it has no cgroup.controllers)");
  }
  const std::string available = readOrEmpty(dir / "cgroup.controllers");
  if (!words(available).count("memory")) {
    throw std::runtime_error("the memory controller is not delegated to " + dir.string() +
                             " (its cgroup.controllers: \"" + std::string(strings::trim(available)) + "\")");
  }
  if (::access((dir / "cgroup.subtree_control").c_str(), W_OK) != 0) {
    throw std::runtime_error("no write access to " + (dir / "cgroup.subtree_control").string() + ": " +
                             std::strerror(errno));
  }
  const pid_t self = files.self ? files.self : ::getpid();
  // The processes in `dir` that are not yet moved. Any that is not the host's refuses the
  // cgroup, whatever its state: the real root cgroup, a login session, someone else's service.
  std::set<pid_t> moved;
  auto members = [&] {
    std::vector<pid_t> out;
    for (const auto& w : words(readOrEmpty(dir / "cgroup.procs"))) {
      pid_t pid = static_cast<pid_t>(std::strtol(w.c_str(), nullptr, 10));
      if (pid <= 0 || moved.count(pid)) continue;
      if (!isSelfOrDescendant(files.proc, pid, self)) {
        if (!fs::exists(files.proc / std::to_string(pid))) continue;  // gone meanwhile
        throw std::runtime_error(dir.string() + " also holds process " + std::to_string(pid) +
                                 ", which is not this host's; run it in a cgroup of its own (systemd: "
                                 "Delegate=yes)");
      }
      out.push_back(pid);
    }
    return out;
  };
  auto pending = members();
  if (words(readOrEmpty(dir / "cgroup.subtree_control")).count("memory")) return WorkerMemoryCgroups(dir, limitBytes);
  // "No internal processes": ours move to a leaf first. Our processes may fork meanwhile (the
  // embedded PostgreSQL starts backends), so move until none is left, a few rounds at most.
  for (int round = 0; round < 10; ++round) {
    for (pid_t pid : pending) {
      if (!isSelfOrDescendant(files.proc, pid, self)) continue;  // exited, or its pid reused
      fs::create_directories(dir / "host");
      const fs::path procs = dir / "host" / "cgroup.procs";
      if (int err = tryWrite(procs, std::to_string(pid) + "\n", true); err && err != ESRCH) {
        writeFailed(procs, std::to_string(pid), err);
      }
      moved.insert(pid);
    }
    const int err = tryWrite(dir / "cgroup.subtree_control", "+memory\n", true);
    if (err == 0) return WorkerMemoryCgroups(dir, limitBytes);
    if (err != EBUSY) writeFailed(dir / "cgroup.subtree_control", "+memory", err);
    pending = members();  // EBUSY: a process started in `dir` while we moved the others
  }
  throw std::runtime_error("cannot enable the memory controller in " + dir.string() +
                           ": processes keep starting in it");
}

fs::path WorkerMemoryCgroups::prepareWorker(int index) const {
  const fs::path w = dir_ / ("worker-" + std::to_string(index));
  std::error_code ec;
  fs::create_directory(w, ec);
  if (ec) throw std::runtime_error("cannot create the cgroup " + w.string() + ": " + ec.message());
  writeFile(w / "memory.max", std::to_string(limitBytes_) + "\n", false);
  // Swap would let a worker go far past its cap, slowly; absent when swap is not accounted.
  try {
    writeFile(w / "memory.swap.max", "0\n", false);
  } catch (const std::exception&) {
  }
  return w / "cgroup.procs";
}

uint64_t WorkerMemoryCgroups::oomKills(int index) const {
  std::istringstream in(readOrEmpty(dir_ / ("worker-" + std::to_string(index)) / "memory.events"));
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "oom_kill") return value;
  }
  return 0;
}

void WorkerMemoryCgroups::removeWorkers(int count) const {
  for (int i = 0; i < count; ++i) {
    // rmdir, not remove_all: a cgroup goes with rmdir, and its interface files cannot be deleted.
    ::rmdir((dir_ / ("worker-" + std::to_string(i))).c_str());
  }
}

}  // namespace tributary::cgroup
