#include "scheduler/SlotPlan.h"

#include <date/date.h>
#include <gtest/gtest.h>

using namespace tributary;
using namespace tributary::scheduler;
using namespace std::chrono_literals;
using TimePoint = SlotPlan::TimePoint;
using config::MisfirePolicy;

namespace {

// 2024-01-15 plus an offset.
TimePoint jan15(std::chrono::milliseconds offset) {
  return TimePoint(date::sys_days{date::year{2024} / 1 / 15}) + offset;
}

CronExpression daily2am() { return *CronExpression::parse("0 2 * * *"); }

}  // namespace

TEST(SlotPlan, WaitsForASlotStillToCome) {
  auto plan = planSlot(daily2am(), jan15(2h), jan15(1h), 60s, MisfirePolicy::RunOnce);
  EXPECT_EQ(plan.action, SlotPlan::Action::Wait);
  EXPECT_EQ(plan.nextSlot, jan15(2h));
}

TEST(SlotPlan, FiresASlotThatCameOnTime) {
  auto plan = planSlot(daily2am(), jan15(2h), jan15(2h + 300ms), 60s, MisfirePolicy::Skip);
  EXPECT_EQ(plan.action, SlotPlan::Action::Fire);
  EXPECT_EQ(plan.slot, jan15(2h));
  EXPECT_FALSE(plan.misfire);
  EXPECT_FALSE(plan.coalesced);
  EXPECT_EQ(plan.nextSlot, jan15(26h));
}

TEST(SlotPlan, FiresTheSlotExactlyAtItsTime) {
  auto plan = planSlot(daily2am(), jan15(2h), jan15(2h), 60s, MisfirePolicy::RunOnce);
  EXPECT_EQ(plan.action, SlotPlan::Action::Fire);
  EXPECT_EQ(plan.nextSlot, jan15(26h));
}

TEST(SlotPlan, SeveralSlotsWithinTheGraceFireOnceForTheLatest) {
  auto everySecond = *CronExpression::parse("* * * * * *");
  auto plan = planSlot(everySecond, jan15(10s), jan15(14s + 500ms), 60s, MisfirePolicy::Skip);
  EXPECT_EQ(plan.action, SlotPlan::Action::Fire);
  EXPECT_EQ(plan.slot, jan15(14s));
  EXPECT_EQ(plan.firstSlot, jan15(10s));
  EXPECT_TRUE(plan.coalesced);
  EXPECT_FALSE(plan.misfire);
  EXPECT_EQ(plan.nextSlot, jan15(15s));
}

TEST(SlotPlan, MisfireRunsOnceUnderRunOnce) {
  auto plan = planSlot(daily2am(), jan15(2h) - 24h * 10, jan15(10h), 60s, MisfirePolicy::RunOnce);
  EXPECT_EQ(plan.action, SlotPlan::Action::Fire);
  EXPECT_EQ(plan.slot, jan15(2h));
  EXPECT_TRUE(plan.misfire);
  EXPECT_TRUE(plan.coalesced);
  EXPECT_EQ(plan.nextSlot, jan15(26h));
}

TEST(SlotPlan, SingleLateSlotIsAMisfireToo) {
  auto plan = planSlot(daily2am(), jan15(2h), jan15(2h + 61s), 60s, MisfirePolicy::RunOnce);
  EXPECT_EQ(plan.action, SlotPlan::Action::Fire);
  EXPECT_TRUE(plan.misfire);
  EXPECT_FALSE(plan.coalesced);
}

TEST(SlotPlan, MisfireIsSkippedUnderSkip) {
  auto plan = planSlot(daily2am(), jan15(2h) - 24h * 10, jan15(10h), 60s, MisfirePolicy::Skip);
  EXPECT_EQ(plan.action, SlotPlan::Action::SkipMisfire);
  EXPECT_EQ(plan.slot, jan15(2h));
  EXPECT_EQ(plan.firstSlot, jan15(2h) - 24h * 10);
  EXPECT_EQ(plan.nextSlot, jan15(26h));
}

TEST(SlotPlan, UnderSkipAnOnTimeSlotStillFiresAfterMissedOnes) {
  // Down from 02:00 on the 5th until just after 02:00 on the 15th: the older slots are missed,
  // the latest is not.
  auto plan = planSlot(daily2am(), jan15(2h) - 24h * 10, jan15(2h + 2s), 60s, MisfirePolicy::Skip);
  EXPECT_EQ(plan.action, SlotPlan::Action::Fire);
  EXPECT_EQ(plan.slot, jan15(2h));
  EXPECT_FALSE(plan.misfire);
}

TEST(SlotPlan, StoredSlotThatIsNoFireTimeStandsForItself) {
  // Stored by hand at 01:30, with no 02:00 since: the stored slot is the one handled.
  auto plan = planSlot(daily2am(), jan15(1h + 30min), jan15(1h + 45min), 60min, MisfirePolicy::RunOnce);
  EXPECT_EQ(plan.action, SlotPlan::Action::Fire);
  EXPECT_EQ(plan.slot, jan15(1h + 30min));
  EXPECT_EQ(plan.nextSlot, jan15(2h));
}
