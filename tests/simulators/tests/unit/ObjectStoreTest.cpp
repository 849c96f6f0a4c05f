#include <gtest/gtest.h>

#include <chrono>

#include "framework/ObjectStore.h"

using tributary::sim::ObjectStore;

namespace {

ObjectStore::Options options(uint64_t seed, uint64_t count) {
  ObjectStore::Options o;
  o.object = "test/deals";
  o.seed = seed;
  o.baseCount = count;
  o.clockStartMs = 1717200000000;
  o.poisonRate = 0.05;
  return o;
}

}  // namespace

TEST(dataset, SameSeedSameRecordsDifferentSeedDifferent) {
  ObjectStore a(options(1, 1000)), b(options(1, 1000)), c(options(2, 1000));
  int differences = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(a.latest(i)->modifiedAtMs, b.latest(i)->modifiedAtMs);
    EXPECT_EQ(a.latest(i)->poison, b.latest(i)->poison);
    if (a.latest(i)->modifiedAtMs != c.latest(i)->modifiedAtMs) ++differences;
    EXPECT_LE(a.latest(i)->createdAtMs, a.latest(i)->modifiedAtMs);
    EXPECT_LT(a.latest(i)->modifiedAtMs, 1717200000000);
  }
  EXPECT_GT(differences, 990);
}

TEST(dataset, AMillionRecordsCostNothingUntilTouched) {
  ObjectStore store(options(3, 1000000));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(store.size(), 1000000u);
  EXPECT_TRUE(store.latest(999999));
  EXPECT_FALSE(store.latest(1000000));
  uint64_t poison = 0;
  for (uint64_t i = 0; i < 1000000; i += 10) poison += store.latest(i)->poison ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(poison) / 100000.0, 0.05, 0.01);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(dataset, MutationsFollowTheSimulatedTime) {
  ObjectStore store(options(4, 10));
  const int64_t t1 = 1717300000000, t2 = t1 + 5000, t3 = t2 + 5000;
  const uint64_t created = store.create(t1, 100, nullptr);
  EXPECT_EQ(created, 10u);
  EXPECT_EQ(store.latest(created)->createdAtMs, t1);
  EXPECT_TRUE(store.modify(3, t2, 200, nullptr));
  EXPECT_EQ(store.latest(3)->version, 1u);
  EXPECT_EQ(store.latest(3)->modifiedAtMs, t2);
  EXPECT_TRUE(store.remove(3, t3, 300));
  EXPECT_TRUE(store.latest(3)->deleted);
  EXPECT_EQ(store.latest(3)->modifiedAtMs, t3);
  EXPECT_FALSE(store.modify(3, t3, 300, nullptr)) << "a deleted record cannot change";
  EXPECT_FALSE(store.remove(42, t3, 300)) << "no such record";
  // What an index lagging behind saw at wall time 250: the modification, not the deletion.
  EXPECT_FALSE(store.visibleAt(3, 250)->deleted);
  EXPECT_EQ(store.visibleAt(3, 250)->version, 1u);
  EXPECT_FALSE(store.visibleAt(created, 50)) << "created after the index looked";
}

TEST(dataset, PickLiveChoosesDistinctLiveRecordsFromTheSeed) {
  ObjectStore store(options(5, 100));
  for (uint64_t i = 0; i < 50; ++i) store.remove(i, 1, 1);
  const auto picked = store.pickLive(20, 9);
  EXPECT_EQ(picked.size(), 20u);
  for (size_t i = 0; i < picked.size(); ++i) {
    EXPECT_GE(picked[i], 50u);
    if (i > 0) {
      EXPECT_LT(picked[i - 1], picked[i]);
    }
  }
  EXPECT_EQ(picked, store.pickLive(20, 9));
  EXPECT_EQ(store.pickLive(500, 9).size(), 50u);
}
