#include "engine/RunRequest.h"

#include <gtest/gtest.h>

using namespace tributary;
using namespace tributary::engine;
using sync::Mode;

namespace {

std::string refusal(const std::string& kind, const Json& payload) {
  try {
    RunRequest::parse(kind, payload);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST(RunRequest, AnEmptyPayloadIsAnAutoManualSyncOfEveryStream) {
  auto r = RunRequest::parse("sync", Json::object());
  EXPECT_FALSE(r.mode);
  EXPECT_EQ(r.syncType, "manual");
  EXPECT_FALSE(r.dryRun);
  EXPECT_FALSE(r.replay);
  EXPECT_TRUE(r.streams.empty());
  EXPECT_FALSE(r.backfill());
}

TEST(RunRequest, ModesAndFlagsAreRead) {
  auto r = RunRequest::parse(
      "sync",
      Json{{"mode", "initial"}, {"sync_type", "scheduled"}, {"dry_run", true}, {"streams", {"deals", "notes"}}});
  EXPECT_EQ(r.mode, Mode::Initial);
  EXPECT_EQ(r.syncType, "scheduled");
  EXPECT_TRUE(r.dryRun);
  EXPECT_EQ(r.streams, (std::vector<std::string>{"deals", "notes"}));
  EXPECT_FALSE(RunRequest::parse("sync", Json{{"mode", "auto"}}).mode);
  EXPECT_EQ(RunRequest::parse("sync", Json{{"mode", "incremental"}}).mode, Mode::Incremental);
}

TEST(RunRequest, ABackfillJobIsABackfillWhateverItsPayloadSays) {
  auto r = RunRequest::parse("backfill", Json{{"mode", "incremental"}, {"ids", {"a", 7}}, {"replay", true}});
  EXPECT_TRUE(r.backfill());
  EXPECT_EQ(r.syncType, "backfill");
  EXPECT_EQ(r.ids, (std::vector<std::string>{"a", "7"}));
  EXPECT_TRUE(r.replay);
}

TEST(RunRequest, WindowTimesAreEpochMillisecondsOrIso8601) {
  auto r = RunRequest::parse(
      "sync", Json{{"mode", "backfill"}, {"window", {{"from", 1'700'000'000'000}, {"to", "2023-11-14T22:13:20Z"}}}});
  EXPECT_TRUE(r.backfill());
  EXPECT_EQ(r.windowFromMs, 1'700'000'000'000);
  EXPECT_EQ(r.windowToMs, 1'700'000'000'000);
}

TEST(RunRequest, BadInputIsRefusedNamingTheKeyAndTheValue) {
  EXPECT_EQ(refusal("sync", Json{{"mode", "full"}}), "unknown sync mode 'full' (auto, initial, incremental, backfill)");
  EXPECT_EQ(refusal("backfill", Json::object()), "a backfill needs a time window (from/to) or a list of ids");
  EXPECT_EQ(refusal("sync", Json{{"mode", "backfill"}, {"window", {{"from", "yesterday"}}}}),
            "window.from is \"yesterday\": give epoch milliseconds or an ISO 8601 time");
  EXPECT_EQ(refusal("sync", Json{{"streams", {"deals", 3}}}), "streams holds 3: stream names are strings");
}
