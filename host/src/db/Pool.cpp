#include "db/Pool.h"

#include "common/Log.h"

namespace tributary::db {
namespace {
// A connection used this recently is trusted without a round trip.
constexpr auto kTrustWindow = std::chrono::seconds(1);
}  // namespace

PooledConnection::PooledConnection(Pool* pool, std::unique_ptr<Connection> conn)
    : pool_(pool), conn_(std::move(conn)) {}

PooledConnection::PooledConnection(PooledConnection&& o) noexcept : pool_(o.pool_), conn_(std::move(o.conn_)) {
  o.pool_ = nullptr;
}

PooledConnection& PooledConnection::operator=(PooledConnection&& o) noexcept {
  if (this != &o) {
    release();
    pool_ = o.pool_;
    conn_ = std::move(o.conn_);
    o.pool_ = nullptr;
  }
  return *this;
}

PooledConnection::~PooledConnection() { release(); }

void PooledConnection::discard() {
  if (!conn_) return;
  conn_.reset();
  if (pool_) pool_->giveBack(nullptr);
  pool_ = nullptr;
}

void PooledConnection::release() {
  if (!conn_ || !pool_) return;
  pool_->giveBack(std::move(conn_));
  pool_ = nullptr;
}

Pool::Pool(std::string conninfo, config::PoolConfig cfg) : conninfo_(std::move(conninfo)), cfg_(cfg) {}

Pool::~Pool() {
  std::lock_guard lock(mu_);
  idle_.clear();
}

void Pool::closeExpiredLocked(std::chrono::steady_clock::time_point now) {
  while (!idle_.empty() && open_ > cfg_.min && now - idle_.front().since > cfg_.idleTimeout) {
    idle_.pop_front();
    --open_;
  }
}

PooledConnection Pool::acquire(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mu_);
  while (true) {
    auto now = std::chrono::steady_clock::now();
    closeExpiredLocked(now);
    if (!idle_.empty()) {
      Idle item = std::move(idle_.back());
      idle_.pop_back();
      lock.unlock();
      bool healthy = !item.conn->isBroken();
      if (healthy && cfg_.healthCheckOnBorrow && now - item.since > kTrustWindow) {
        healthy = item.conn->ping();
      }
      if (healthy) return PooledConnection(this, std::move(item.conn));
      log::info("db", "dropped a dead pooled connection to {}", item.conn->target());
      item.conn.reset();
      lock.lock();
      --open_;
      continue;
    }
    if (open_ < cfg_.max) {
      ++open_;
      lock.unlock();
      try {
        return PooledConnection(this, std::make_unique<Connection>(conninfo_));
      } catch (...) {
        lock.lock();
        --open_;
        cv_.notify_one();
        throw;
      }
    }
    ++waiting_;
    bool timedOut = cv_.wait_until(lock, deadline) == std::cv_status::timeout;
    --waiting_;
    if (timedOut && idle_.empty() && open_ >= cfg_.max) {
      throw DbError("no database connection free after " + std::to_string(timeout.count()) + " ms (pool max " +
                    std::to_string(cfg_.max) + "; raise database.pool.max)");
    }
  }
}

void Pool::giveBack(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  if (conn && !conn->isBroken() && !conn->inTransaction()) {
    idle_.push_back({std::move(conn), std::chrono::steady_clock::now()});
  } else {
    --open_;
  }
  cv_.notify_one();
}

PoolStats Pool::stats() const {
  std::lock_guard lock(mu_);
  return {open_, static_cast<int>(idle_.size()), waiting_};
}

}  // namespace tributary::db
