#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "config/Config.h"
#include "db/Connection.h"

namespace tributary::db {

class Pool;

// A borrowed connection; goes back to its pool when destroyed. A connection left broken or
// inside a transaction is closed instead of reused.
class PooledConnection {
 public:
  PooledConnection() = default;
  PooledConnection(Pool* pool, std::unique_ptr<Connection> conn);
  PooledConnection(PooledConnection&&) noexcept;
  PooledConnection& operator=(PooledConnection&&) noexcept;
  ~PooledConnection();

  Connection& operator*() const { return *conn_; }
  Connection* operator->() const { return conn_.get(); }
  explicit operator bool() const { return conn_ != nullptr; }
  // Closes the connection instead of returning it (after an error left it in doubt).
  void discard();

 private:
  void release();
  Pool* pool_ = nullptr;
  std::unique_ptr<Connection> conn_;
};

struct PoolStats {
  int open = 0;
  int idle = 0;
  int waiting = 0;
};

// A bounded set of connections shared by threads. Connections are opened lazily up to `max`;
// idle ones beyond `min` close after the idle timeout; with health checks on, a connection that
// sat idle is pinged before it is handed out, so that a restarted server is noticed at borrow
// time rather than by the caller's first statement.
class Pool {
 public:
  Pool(std::string conninfo, config::PoolConfig cfg);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Throws DbError when no connection can be had within `timeout`.
  PooledConnection acquire(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  PoolStats stats() const;
  const std::string& conninfo() const { return conninfo_; }

 private:
  friend class PooledConnection;
  struct Idle {
    std::unique_ptr<Connection> conn;
    std::chrono::steady_clock::time_point since;
  };
  void giveBack(std::unique_ptr<Connection> conn);
  void closeExpiredLocked(std::chrono::steady_clock::time_point now);

  const std::string conninfo_;
  const config::PoolConfig cfg_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Idle> idle_;
  int open_ = 0;
  int waiting_ = 0;
};

}  // namespace tributary::db
