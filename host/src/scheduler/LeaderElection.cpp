#include "scheduler/LeaderElection.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/Log.h"

namespace tributary::scheduler {

LeaderElection::LeaderElection(std::string conninfo, std::string hostId, std::chrono::milliseconds lease,
                               int lockObject, std::string role)
    : conninfo_(std::move(conninfo)),
      hostId_(std::move(hostId)),
      lease_(lease),
      lockObject_(lockObject),
      role_(std::move(role)) {}

LeaderElection::~LeaderElection() { resign(); }

void LeaderElection::open() {
  session_ = std::make_unique<db::Connection>(conninfo_);
  // PostgreSQL cuts application_name at 63 bytes.
  // It names the leader in pg_stat_activity and in the scheduler_leader view.
  std::string appName = ("tributary " + role_ + " " + hostId_).substr(0, 63);
  session_->exec("SELECT set_config('application_name', $1, false)", appName);
  // The lease, enforced by the server: a session that sends nothing for the lease (its process
  // froze or deadlocked; a healthy one ticks more often) is ended, in a transaction or not; a
  // vanished client is noticed by keepalives (idle + count * interval seconds) or when data sent
  // to it goes unacknowledged for the user timeout. Either way the lock is freed.
  const int64_t leaseMs = lease_.count();
  const int64_t leaseSeconds = std::max<int64_t>(3, leaseMs / 1000);
  session_->execScript(
      fmt::format("SET idle_session_timeout = {0}; SET idle_in_transaction_session_timeout = {0}; "
                  "SET tcp_keepalives_idle = {1}; SET tcp_keepalives_interval = {2}; "
                  "SET tcp_keepalives_count = 2; SET tcp_user_timeout = {3}",
                  leaseMs, std::max<int64_t>(1, leaseSeconds / 3), std::max<int64_t>(1, leaseSeconds / 6),
                  std::max<int64_t>(1000, leaseMs * 2 / 3)));
}

bool LeaderElection::tryLead() {
  if (leading_) return true;
  if (!session_ || session_->isBroken()) open();
  auto r = session_->exec("SELECT pg_try_advisory_lock($1::int4, $2::int4)", kLockClass, lockObject_);
  leading_ = r.boolean(0, 0);
  return leading_;
}

db::Connection& LeaderElection::session() {
  if (!leading_ || !session_) throw std::logic_error("the " + role_ + " session is used while not leading");
  return *session_;
}

std::string LeaderElection::currentLeader() {
  try {
    if (!session_ || session_->isBroken()) return "";
    auto r = session_->exec(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int4::oid "
        "AND l.objid = $2::int4::oid AND l.objsubid = 2 "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        kLockClass, lockObject_);
    return r.empty() ? "" : r.text(0, 0);
  } catch (const std::exception&) {
    return "";
  }
}

void LeaderElection::resign() {
  if (session_ && leading_ && !session_->isBroken()) {
    try {
      session_->exec("SELECT pg_advisory_unlock($1::int4, $2::int4)", kLockClass, lockObject_);
    } catch (const std::exception& e) {
      log::debug("scheduler", "unlocking the {} lead failed ({}); closing the session frees it", role_, e.what());
    }
  }
  leading_ = false;
  session_.reset();
}

void LeaderElection::lost() {
  leading_ = false;
  session_.reset();
}

}  // namespace tributary::scheduler
