#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "db/AdvisoryLocks.h"
#include "db/Connection.h"

namespace tributary::scheduler {

// One leader among any number of hosts (the scheduler's, or maintenance's: one lock object
// each), elected with a PostgreSQL session advisory lock held on a dedicated session.
//
// Why a session lock rather than a lease row: PostgreSQL itself releases the lock the moment the
// leader's session ends, so a leader that exits, crashes or is killed is replaced at the next
// follower tick instead of after a lease runs out; no clocks are compared across machines; and
// the leader writes everything through that same session, so a leader whose session is gone (and
// whose lock another host may hold) cannot commit anything: the lock fences its writes.
// The lease still bounds the cases where the session outlives the leader's usefulness: the
// session is opened with idle_session_timeout and idle_in_transaction_session_timeout set to the
// lease (a healthy leader sends a statement every tick, so only a frozen or deadlocked one goes
// quiet that long), and with TCP keepalives and a user timeout derived from it (a machine or
// network that vanished). PostgreSQL then ends the session and frees the lock.
// A session lock needs a real session: point database.url at PostgreSQL itself or at a pooler in
// session mode, not at a transaction-mode pooler.
class LeaderElection {
 public:
  // Lock key: the two-int4 form, so that it can never collide with the migrator's bigint key.
  static constexpr int kLockClass = db::advisory::kClass;
  static constexpr int kLockObject = db::advisory::kSchedulerLeader;

  // `role` names the leader's session: application_name "tributary ROLE HOST".
  LeaderElection(std::string conninfo, std::string hostId, std::chrono::milliseconds lease,
                 int lockObject = kLockObject, std::string role = "scheduler");
  ~LeaderElection();
  LeaderElection(const LeaderElection&) = delete;
  LeaderElection& operator=(const LeaderElection&) = delete;

  // Leads if it can: opens the session when there is none and tries the lock. True when this
  // host leads (already or now). Throws db::DbError when the database cannot be reached.
  bool tryLead();
  bool leading() const { return leading_; }
  // The session the leader writes through. Only valid while leading.
  db::Connection& session();
  // Who leads now, as its application_name ("tributary ROLE HOST"), or "" when unknown.
  std::string currentLeader();
  // Gives up the lead on purpose: unlocks and closes the session.
  void resign();
  // Closes the session after an error left it in doubt, without unlocking first: the server
  // frees the lock when the session ends (or, if it is unreachable, when keepalives give up).
  void lost();
  const std::string& hostId() const { return hostId_; }

 private:
  void open();
  std::string conninfo_;
  std::string hostId_;
  std::chrono::milliseconds lease_;
  int lockObject_;
  std::string role_;
  std::unique_ptr<db::Connection> session_;
  std::atomic<bool> leading_{false};  // read by other threads through Scheduler::leading()
};

}  // namespace tributary::scheduler
