// http::RateGate against PostgreSQL (migrations/015_http_rate_budgets.sql): the GCRA's slots,
// shared by every session (every host) on one database, holds, quota waits, several classes
// at once and bursts. Times are the database's; each reserve is one quick round trip, so the
// waits it returns are the slots' distances from "now", to within a few milliseconds.
#include "http/RateGate.h"

#include <gtest/gtest.h>

#include "TestSupport.h"
#include "db/Connection.h"
#include "db/Migrator.h"

using namespace tributary;
using http::Grant;
using http::RateGate;
using http::SlotCost;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr int64_t kSecondUs = 1'000'000;
// What one round trip (and the test's own steps) may take off a wait.
constexpr int64_t kSlackUs = 100'000;

struct rate_gate : ::testing::Test {
  test::TestDatabase db;
  db::Connection conn{db.conninfo()};
  RateGate gate{db.conninfo()};

  void SetUp() override { db::Migrator(conn, test::migrationsDir()).apply(); }

  static SlotCost cost(const std::string& cls, int64_t costUs, int64_t tauUs = 0) { return {cls, costUs, tauUs}; }
  Grant reserve(const std::vector<SlotCost>& classes, microseconds maxWait = seconds(3600),
                const std::string& account = "acct") {
    return gate.reserve(account, classes, maxWait);
  }
  int64_t tat(const std::string& cls, const std::string& account = "acct") {
    return conn.exec("SELECT tat_us FROM http_rate_budgets WHERE account = $1 AND class = $2", account, cls)
        .int64(0, 0);
  }
};

// The wait is `expectedUs` less what the round trips took.
void expectWaitNear(const Grant& g, int64_t expectedUs, const std::string& what) {
  EXPECT_LE(g.wait.count(), expectedUs) << what;
  EXPECT_GE(g.wait.count(), expectedUs - kSlackUs) << what;
}

}  // namespace

TEST_F(rate_gate, AFreshClassIsGrantedAtOnce) {
  Grant g = reserve({cost("rest", kSecondUs)});
  EXPECT_TRUE(g.granted);
  EXPECT_EQ(g.wait.count(), 0);
  EXPECT_EQ(g.waitingClass, "");
  EXPECT_EQ(g.quotaWaits, 0);
  EXPECT_EQ(conn.exec("SELECT count(*) FROM http_rate_budgets WHERE account = 'acct'").int64(0, 0), 1);
}

TEST_F(rate_gate, NoClassesIsGrantedWithoutTheDatabase) {
  Grant g = reserve({});
  EXPECT_TRUE(g.granted);
  EXPECT_EQ(g.wait.count(), 0);
}

TEST_F(rate_gate, ReservesOfCostCAreGrantedSlotsSpacedByC) {
  const int64_t c = 400'000;
  std::vector<int64_t> waits;
  for (int i = 0; i < 6; ++i) {
    Grant g = reserve({cost("rest", c)});
    ASSERT_TRUE(g.granted) << i;
    waits.push_back(g.wait.count());
    if (i > 0) {
      EXPECT_EQ(g.waitingClass, "rest") << i;
    }
  }
  EXPECT_EQ(waits[0], 0);
  for (size_t i = 1; i < waits.size(); ++i) {
    EXPECT_LE(waits[i] - waits[i - 1], c) << "slot " << i;
    EXPECT_GE(waits[i] - waits[i - 1], c - kSlackUs) << "slot " << i;
  }
  expectWaitNear(reserve({cost("rest", c)}), 6 * c, "the seventh slot");
}

TEST_F(rate_gate, TwoGatesOnOneDatabaseShareTheSpacing) {
  RateGate otherHost(db.conninfo());  // a session of its own, like another host
  const int64_t c = 500'000;
  Grant a = gate.reserve("acct", {cost("rest", c)}, seconds(60));
  Grant b = otherHost.reserve("acct", {cost("rest", c)}, seconds(60));
  Grant a2 = gate.reserve("acct", {cost("rest", c)}, seconds(60));
  Grant b2 = otherHost.reserve("acct", {cost("rest", c)}, seconds(60));
  ASSERT_TRUE(a.granted && b.granted && a2.granted && b2.granted);
  EXPECT_EQ(a.wait.count(), 0);
  expectWaitNear(b, c, "the other host's first");
  expectWaitNear(a2, 2 * c, "this host's second");
  expectWaitNear(b2, 3 * c, "the other host's second");
}

TEST_F(rate_gate, AccountsAndClassesHaveBudgetsOfTheirOwn) {
  const int64_t c = 10 * kSecondUs;
  ASSERT_TRUE(reserve({cost("rest", c)}).granted);
  EXPECT_EQ(reserve({cost("rest", c)}, seconds(3600), "other-account").wait.count(), 0);
  EXPECT_EQ(reserve({cost("search", c)}).wait.count(), 0);
  expectWaitNear(reserve({cost("rest", c)}), c, "the same account and class");
}

TEST_F(rate_gate, ASlotBeyondMaxWaitIsNotGrantedAndReservesNothing) {
  const int64_t c = 10 * kSecondUs;
  ASSERT_TRUE(reserve({cost("rest", c)}).granted);
  const int64_t tatBefore = tat("rest");
  Grant refused = reserve({cost("rest", c)}, seconds(1));
  EXPECT_FALSE(refused.granted);
  expectWaitNear(refused, c, "the refused slot's distance");
  EXPECT_EQ(refused.waitingClass, "rest");
  EXPECT_EQ(tat("rest"), tatBefore) << "a refused reserve moved the budget";
  // Asked again with room to wait: the same slot, not the one after it.
  Grant later = reserve({cost("rest", c)}, seconds(60));
  EXPECT_TRUE(later.granted);
  expectWaitNear(later, c, "the slot after the refusal");
  EXPECT_EQ(tat("rest"), tatBefore + c);
}

TEST_F(rate_gate, AHoldMakesTheNextReserveWaitAtLeastTheHold) {
  ASSERT_TRUE(reserve({cost("rest", 1000)}).granted);
  http::Hold h = gate.tighten("acct", "rest", seconds(2), std::nullopt, false, false);
  EXPECT_LE(h.remaining.count(), 2 * kSecondUs);
  EXPECT_GE(h.remaining.count(), 2 * kSecondUs - kSlackUs);
  Grant refused = reserve({cost("rest", 1000)}, seconds(1));
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.waitingClass, "rest");
  Grant g = reserve({cost("rest", 1000)});
  EXPECT_TRUE(g.granted);
  expectWaitNear(g, 2 * kSecondUs, "the hold");
}

TEST_F(rate_gate, AHoldOnlyEverLengthens) {
  gate.tighten("acct", "rest", seconds(5), std::nullopt, false, false);
  http::Hold h = gate.tighten("acct", "rest", seconds(1), std::nullopt, false, false);
  EXPECT_GE(h.remaining.count(), 5 * kSecondUs - kSlackUs) << "a shorter hold shortened a longer one";
  expectWaitNear(reserve({cost("rest", 1000)}), 5 * kSecondUs, "the longer hold");
}

TEST_F(rate_gate, ATatFloorSpacesTheNextArrival) {
  ASSERT_TRUE(reserve({cost("rest", 1000)}).granted);
  gate.tighten("acct", "rest", std::nullopt, seconds(3), false, false);
  expectWaitNear(reserve({cost("rest", 1000)}), 3 * kSecondUs, "the floor");
}

TEST_F(rate_gate, QuotaWaitsCountUpAndASuccessClearsThem) {
  EXPECT_EQ(gate.tighten("acct", "daily", std::nullopt, std::nullopt, true, false).quotaWaits, 1);
  EXPECT_EQ(gate.tighten("acct", "daily", std::nullopt, std::nullopt, true, false).quotaWaits, 2);
  EXPECT_EQ(gate.tighten("acct", "daily", std::nullopt, std::nullopt, true, false).quotaWaits, 3);
  EXPECT_EQ(gate.tighten("acct", "daily", std::nullopt, std::nullopt, false, false).quotaWaits, 3)
      << "neither a wait nor a success leaves the count";
  EXPECT_EQ(reserve({cost("daily", 1000)}).quotaWaits, 3);
  EXPECT_EQ(reserve({cost("rest", 1000), cost("daily", 1000)}).quotaWaits, 3) << "the most of the classes asked";
  EXPECT_EQ(reserve({cost("rest", 1000)}).quotaWaits, 0) << "another class's count";
  EXPECT_EQ(gate.tighten("acct", "daily", std::nullopt, std::nullopt, false, true).quotaWaits, 0);
  EXPECT_EQ(reserve({cost("daily", 1000)}).quotaWaits, 0);
}

TEST_F(rate_gate, SeveralClassesAreReservedAllOrNoneAtTheLatestOfTheirSlots) {
  const int64_t ca = kSecondUs, cb = 5 * kSecondUs;
  Grant first = reserve({cost("a", ca), cost("b", cb)});
  ASSERT_TRUE(first.granted);
  EXPECT_EQ(first.wait.count(), 0);
  const int64_t tatA = tat("a"), tatB = tat("b");

  // b's next slot is 5 s away, a's 1 s: beyond a 2 s wait, neither is taken.
  Grant refused = reserve({cost("a", ca), cost("b", cb)}, seconds(2));
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.waitingClass, "b");
  expectWaitNear(refused, cb, "b decides");
  EXPECT_EQ(tat("a"), tatA) << "a was reserved although b was not";
  EXPECT_EQ(tat("b"), tatB);

  expectWaitNear(reserve({cost("a", ca)}), ca, "a alone, untouched by the refusal");
  Grant both = reserve({cost("b", cb), cost("a", ca)});  // given in another order
  ASSERT_TRUE(both.granted);
  EXPECT_EQ(both.waitingClass, "b");
  expectWaitNear(both, cb, "the latest of the two");
  // a's next arrival moved on from the joint slot, not from its own.
  expectWaitNear(reserve({cost("a", ca)}), cb + ca, "a after the joint slot");
}

TEST_F(rate_gate, ATauLetsThatManyGoAtOnceThenSpacesByTheCost) {
  // tau = 3 costs: four requests at once, the fifth a cost later.
  const int64_t c = kSecondUs, tau = 3 * c;
  for (int i = 0; i < 4; ++i) {
    Grant g = reserve({cost("daily", c, tau)});
    ASSERT_TRUE(g.granted);
    EXPECT_EQ(g.wait.count(), 0) << "request " << i << " of the burst waited";
  }
  Grant fifth = reserve({cost("daily", c, tau)});
  EXPECT_TRUE(fifth.granted);
  expectWaitNear(fifth, c, "after the burst");
  expectWaitNear(reserve({cost("daily", c, tau)}), 2 * c, "and evenly after it");
}
