#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace tributary::db {

// An exclusive hold on a state directory, so that two hosts never run the same embedded cluster.
// Held through flock(2) on STATE_DIR/tributary.lock, so a crashed holder releases it by dying.
class StateDirLock {
 public:
  // Throws std::runtime_error naming the holder when another process has it.
  static StateDirLock acquire(const std::filesystem::path& stateDir, const std::string& role);
  // nullopt when another process holds it.
  static std::optional<StateDirLock> tryAcquire(const std::filesystem::path& stateDir, const std::string& role);
  // What the file says about its holder ("pid 123, serve"), or "" when unknown.
  static std::string describeHolder(const std::filesystem::path& stateDir);

  StateDirLock(StateDirLock&&) noexcept;
  StateDirLock& operator=(StateDirLock&&) noexcept;
  StateDirLock(const StateDirLock&) = delete;
  ~StateDirLock();

 private:
  explicit StateDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace tributary::db
