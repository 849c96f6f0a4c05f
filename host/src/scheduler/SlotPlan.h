#pragma once

#include <chrono>

#include "config/Config.h"
#include "scheduler/CronExpression.h"

namespace tributary::scheduler {

// What the leader does with one connection at one tick: the pure part of the scheduler's
// decision, apart from the database (whether a sync is already busy is decided later).
struct SlotPlan {
  using TimePoint = CronExpression::TimePoint;
  enum class Action {
    Wait,         // its next slot has not come
    Fire,         // enqueue one sync for `slot`
    SkipMisfire,  // slots were missed and the policy is skip: enqueue nothing
  };
  Action action = Action::Wait;
  // Fire: the slot fired, the latest that has come (older missed ones are covered by it).
  // SkipMisfire: the latest missed slot.
  TimePoint slot{};
  // The oldest slot this handles: the connection's stored next slot.
  TimePoint firstSlot{};
  // More than one slot came since the last one handled.
  bool coalesced = false;
  // The latest slot was found more than the grace after its time: every host was down.
  bool misfire = false;
  // The slot to wait for afterwards (unchanged for Wait).
  TimePoint nextSlot{};
};

// Plans a connection whose next slot to fire is `nextSlot`, at `now`. Slots up to `now` that
// came since `nextSlot` fire once, as the latest of them, when the latest is within `grace` of
// `now`; when it is later than that (a misfire), they fire once under run_once and not at all
// under skip. Either way the next slot is the first after `now`.
SlotPlan planSlot(const CronExpression& cron, SlotPlan::TimePoint nextSlot, SlotPlan::TimePoint now,
                  std::chrono::milliseconds grace, config::MisfirePolicy policy);

}  // namespace tributary::scheduler
