#include "db/StateDirLock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/Files.h"
#include "common/Strings.h"

namespace tributary::db {

std::optional<StateDirLock> StateDirLock::tryAcquire(const std::filesystem::path& stateDir, const std::string& role) {
  std::error_code ec;
  std::filesystem::create_directories(stateDir, ec);
  if (ec) {
    throw std::runtime_error("cannot create state_dir " + stateDir.string() + ": " + ec.message());
  }
  const auto path = stateDir / "tributary.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  std::string holder = "pid " + std::to_string(::getpid()) + ", " + role + "\n";
  if (::ftruncate(fd, 0) == 0) {
    ssize_t ignored = ::pwrite(fd, holder.data(), holder.size(), 0);
    (void)ignored;
  }
  return StateDirLock(fd);
}

StateDirLock StateDirLock::acquire(const std::filesystem::path& stateDir, const std::string& role) {
  auto lock = tryAcquire(stateDir, role);
  if (!lock) {
    std::string holder = describeHolder(stateDir);
    throw std::runtime_error("state_dir " + stateDir.string() + " is in use by another tributary" +
                             (holder.empty() ? "" : " (" + holder + ")") +
                             ": stop it first, or give this one its own state_dir");
  }
  return std::move(*lock);
}

std::string StateDirLock::describeHolder(const std::filesystem::path& stateDir) {
  try {
    return std::string(strings::trim(files::readFile(stateDir / "tributary.lock")));
  } catch (...) {
    return "";
  }
}

StateDirLock::StateDirLock(StateDirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }

StateDirLock& StateDirLock::operator=(StateDirLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

StateDirLock::~StateDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace tributary::db
