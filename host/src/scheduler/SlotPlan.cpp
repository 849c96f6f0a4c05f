#include "scheduler/SlotPlan.h"

namespace tributary::scheduler {

namespace {

// parse() refuses expressions that never fire, so this is a guard, not a path.
SlotPlan::TimePoint nextAfter(const CronExpression& cron, SlotPlan::TimePoint t) {
  if (auto n = cron.next(t)) return *n;
  return t + std::chrono::hours(24 * 3650);
}

}  // namespace

SlotPlan planSlot(const CronExpression& cron, SlotPlan::TimePoint nextSlot, SlotPlan::TimePoint now,
                  std::chrono::milliseconds grace, config::MisfirePolicy policy) {
  SlotPlan plan;
  plan.firstSlot = nextSlot;
  plan.nextSlot = nextSlot;
  if (nextSlot > now) return plan;

  // The latest slot that has come. The stored slot stands in when the expression has no fire
  // time between it and now (it was stored by hand, or for an expression since replaced).
  auto latest = cron.previous(now);
  plan.slot = latest && *latest >= nextSlot ? *latest : nextSlot;
  plan.coalesced = plan.slot > nextSlot;
  plan.misfire = now - plan.slot > grace;
  plan.nextSlot = nextAfter(cron, now);
  plan.action =
      plan.misfire && policy == config::MisfirePolicy::Skip ? SlotPlan::Action::SkipMisfire : SlotPlan::Action::Fire;
  return plan;
}

}  // namespace tributary::scheduler
