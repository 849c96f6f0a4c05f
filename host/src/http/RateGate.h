#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tributary::db {
class Connection;
}

namespace tributary::http {

// One class's share of a request, in the units of the database's GCRA (microseconds).
struct SlotCost {
  std::string cls;     // the class's name
  int64_t costUs = 0;  // the request's cost times the class's emission interval
  int64_t tauUs = 0;   // the burst the class tolerates: 0 spaces requests evenly
};

// What the gate gave: a slot `wait` from now, or (not granted) none, the earliest being `wait`
// away on `waitingClass`.
struct Grant {
  bool granted = false;
  std::chrono::microseconds wait{0};
  std::string waitingClass;  // the class that decided the slot (empty when none waited)
  int quotaWaits = 0;        // quota waits in a row, across the classes asked
};

// What tighten() left: the class's hold (time from now before which nothing is sent) and its
// quota waits in a row.
struct Hold {
  std::chrono::microseconds remaining{0};
  int quotaWaits = 0;
};

// The rate-limit budgets of every vendor account, kept in PostgreSQL (http_rate_budgets, see
// migrations/015) so that every job, connection and host on one database shares them, on a
// session of its own (never a run's, whose transaction would hold the row), serialized by a
// mutex. Thread-safe. Throws db::DbError when the database fails.
//
// A slow class (a request every 10 ms or more) pays one round trip per request, which is
// nothing beside its spacing. A fast one leases a slice: one round trip reserves the next
// slots of about 20 ms (at most 64), which this process hands out in order at their times. A
// leased slot not used within max(2 spacings, 20 ms) of its time is dropped, never used late,
// so that a window never holds more than it reserved.
class RateGate {
 public:
  explicit RateGate(std::string conninfo);
  ~RateGate();
  RateGate(const RateGate&) = delete;
  RateGate& operator=(const RateGate&) = delete;

  // Reserves a slot in every class given, all or none: granted when the slot is at most
  // maxWait away.
  Grant reserve(const std::string& account, const std::vector<SlotCost>& classes, std::chrono::microseconds maxWait);
  // Tightens a class: nothing before now + hold; no next arrival before now + tatFloor. A quota
  // wait adds one to the waits in a row, a success clears them.
  Hold tighten(const std::string& account, const std::string& cls, std::optional<std::chrono::microseconds> hold,
               std::optional<std::chrono::microseconds> tatFloor, bool quotaWait, bool success);

 private:
  db::Connection& connection();  // under mutex_
  Grant reserveOnce(const std::string& account, const std::vector<SlotCost>& classes, int64_t slots,
                    std::chrono::microseconds maxWait);  // under mutex_

  using Steady = std::chrono::steady_clock;
  std::string conninfo_;
  std::mutex mutex_;
  std::unique_ptr<db::Connection> conn_;
  // Leased slots not yet handed out, per account and classes with their costs, in time order.
  std::map<std::string, std::deque<Steady::time_point>> leases_;
};

}  // namespace tributary::http
