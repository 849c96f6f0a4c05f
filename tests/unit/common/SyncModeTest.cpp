#include "common/SyncMode.h"

#include <gtest/gtest.h>

using namespace tributary;
using sync::Mode;

static_assert(static_cast<uint32_t>(Mode::Initial) == TRIBUTARY_SYNC_INITIAL);
static_assert(static_cast<uint32_t>(Mode::Incremental) == TRIBUTARY_SYNC_INCREMENTAL);
static_assert(static_cast<uint32_t>(Mode::Backfill) == TRIBUTARY_SYNC_BACKFILL);

TEST(SyncMode, NamesRoundTripAndUnknownNamesAreNone) {
  for (Mode m : {Mode::Initial, Mode::Incremental, Mode::Backfill}) EXPECT_EQ(sync::parseMode(sync::toString(m)), m);
  EXPECT_EQ(sync::toString(Mode::Incremental), "incremental");
  EXPECT_FALSE(sync::parseMode("auto"));
  EXPECT_FALSE(sync::parseMode("Initial"));
}

TEST(SyncMode, AutoIsNoModeAndAnythingElseIsRefusedWithTheChoices) {
  EXPECT_EQ(sync::parseRequested("auto"), std::nullopt);
  EXPECT_EQ(sync::parseRequested("backfill"), Mode::Backfill);
  EXPECT_EQ(sync::toString(sync::Requested{}), "auto");
  EXPECT_EQ(sync::toString(sync::Requested{Mode::Initial}), "initial");
  try {
    sync::parseRequested("full");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "unknown sync mode 'full' (auto, initial, incremental, backfill)");
  }
}
