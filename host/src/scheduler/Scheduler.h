#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/Config.h"
#include "queue/JobQueue.h"
#include "scheduler/CronExpression.h"
#include "scheduler/LeaderElection.h"

namespace tributary::scheduler {

// What one tick did.
struct TickReport {
  bool leader = false;      // this host led during the tick
  int armed = 0;            // connections whose schedule was new or changed: first slot computed
  int due = 0;              // connections with a slot that came
  int queued = 0;           // syncs enqueued
  int alreadyQueued = 0;    // the queue already held the slot's job (its unique key)
  int skippedBusy = 0;      // a sync of the connection was still pending or running
  int misfiresRun = 0;      // missed slots fired once (run_once)
  int misfiresSkipped = 0;  // missed slots not fired (skip)
  int invalid = 0;          // connections whose stored schedule does not parse
  std::optional<CronExpression::TimePoint> nextSlot;  // the earliest slot to come, if any
};

// Fires each scheduled connection's syncs: the elected leader (see LeaderElection) looks for
// connections whose next slot has come and enqueues one `sync` job for each, never waiting for
// it. Each slot fires once whichever host fires it: the slot is recorded in schedule_state in the
// same transaction as its job (unique key sync:<connection>:<slot>), on the session that holds
// the leader lock. Every host runs one; the others stand by.
class Scheduler {
 public:
  using TimePoint = CronExpression::TimePoint;
  struct Options {
    std::string hostId;                // empty: HOSTNAME:PID
    std::function<TimePoint()> clock;  // empty: the system clock (tests set their own)
  };

  Scheduler(std::string conninfo, std::shared_ptr<queue::JobQueue> queue, config::SchedulerConfig cfg,
            Options options = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs ticks on its own thread until stop().
  void start();
  // Stops the thread and gives up the lead, so another host takes over at once.
  void stop();
  // One tick on the caller's thread: try to lead, then fire what is due. Database errors are
  // logged and end the lead; they do not throw.
  TickReport tickOnce();

  bool leading() const { return election_.leading(); }
  const std::string& hostId() const { return election_.hostId(); }

 private:
  struct Candidate;
  struct StateUpdate;
  void run();
  std::vector<Candidate> loadCandidates(db::Connection& conn, TimePoint now);
  void fire(TimePoint now, TickReport& report);
  const CronExpression* compiled(const Candidate& c);
  void reportIdle(TickReport& report);
  TimePoint now() const;

  std::shared_ptr<queue::JobQueue> queue_;
  config::SchedulerConfig cfg_;
  Options options_;
  LeaderElection election_;

  struct CompiledSchedule {
    std::shared_ptr<const CronExpression> cron;  // nullptr when it does not parse
    std::string error;
  };
  // Parsed expressions by "zone\nexpression".
  std::map<std::string, CompiledSchedule> cache_;
  std::set<std::string> reportedInvalid_;  // "connection\nzone\nexpression", logged once each
  bool idleAnnounced_ = false;             // "no scheduled syncs due" said at info since the last firing
  bool announcedOnce_ = false;             // ... since taking the lead
  bool standbyAnnounced_ = false;
  bool unreachableAnnounced_ = false;

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace tributary::scheduler
