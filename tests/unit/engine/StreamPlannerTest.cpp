#include "engine/StreamPlanner.h"

#include <gtest/gtest.h>

using namespace tributary;
using namespace tributary::engine;
using std::chrono::milliseconds;
using sync::Mode;

namespace {

const plugins::StreamDescriptor kDeals{"deals", "id", "updated_at", "deals", ""};
const std::vector<plugins::StreamDescriptor> kStreams = {
    {"deals", "id", "updated_at", "deals", ""},
    {"contacts", "id", "updated_at", "contacts", ""},
    {"notes", "id", "updated_at", "", ""},
};

StreamPlanner planner(sync::Requested requested = std::nullopt, std::string job = "job-1") {
  return StreamPlanner(requested, std::move(job), milliseconds(300'000));
}

// Counts how often the planner asks the target, and answers `rows`.
struct TargetProbe {
  bool rows = false;
  int asked = 0;
  std::function<bool()> fn() {
    return [this] {
      ++asked;
      return rows;
    };
  }
};

StreamSnapshot completed(int64_t watermarkMs) {
  StreamSnapshot s;
  s.exists = true;
  s.initialized = true;
  s.watermarkMs = watermarkMs;
  return s;
}

StreamSnapshot unfinished(Mode mode, std::string cursor, std::string job) {
  StreamSnapshot s;
  s.exists = true;
  s.cursor = std::move(cursor);
  s.cursorMode = mode;
  s.cursorJobId = std::move(job);
  return s;
}

}  // namespace

TEST(StreamPlanner, AStreamNeverSyncedRunsAnInitialSyncFromTheStart) {
  TargetProbe target;
  auto p = planner().plan(kDeals, StreamSnapshot{}, target.fn());
  EXPECT_EQ(p.mode, Mode::Initial);
  EXPECT_FALSE(p.resume);
  EXPECT_EQ(p.cursor, "");
  EXPECT_FALSE(p.sinceMs);
  EXPECT_FALSE(p.trackSeen) << "nothing in the target to sweep";
  EXPECT_EQ(target.asked, 1);
  EXPECT_EQ(p.stream, &kDeals);
}

TEST(StreamPlanner, AFreshInitialSyncOverLiveRowsIsAFullRefreshThatTracksWhatItSees) {
  TargetProbe target{true};
  auto p = planner().plan(kDeals, StreamSnapshot{}, target.fn());
  EXPECT_EQ(p.mode, Mode::Initial);
  EXPECT_TRUE(p.trackSeen);
}

TEST(StreamPlanner, ACompletedStreamRunsIncrementallyFromItsWatermarkMinusTheOverlap) {
  TargetProbe target{true};
  auto p = planner().plan(kDeals, completed(1'000'000), target.fn());
  EXPECT_EQ(p.mode, Mode::Incremental);
  EXPECT_FALSE(p.resume);
  EXPECT_EQ(p.sinceMs, 1'000'000 - 300'000);
  EXPECT_FALSE(p.trackSeen);
  EXPECT_EQ(target.asked, 0) << "the target is asked only for a fresh initial sync";
}

TEST(StreamPlanner, ACompletedStreamWithNoWatermarkReadsEverythingIncrementally) {
  StreamSnapshot s = completed(0);
  s.watermarkMs.reset();
  auto p = planner().plan(kDeals, s, [] { return false; });
  EXPECT_EQ(p.mode, Mode::Incremental);
  EXPECT_FALSE(p.sinceMs);
}

TEST(StreamPlanner, AnUnfinishedInitialSyncResumesFromItsCheckpointWithItsSeenSet) {
  TargetProbe target{true};
  auto s = unfinished(Mode::Initial, R"({"page":7})", "job-0");
  s.initialRunId = "run-0";
  s.initialTracksSeen = true;
  auto p = planner().plan(kDeals, s, target.fn());
  EXPECT_EQ(p.mode, Mode::Initial);
  EXPECT_TRUE(p.resume);
  EXPECT_EQ(p.cursor, R"({"page":7})");
  EXPECT_TRUE(p.trackSeen);
  EXPECT_EQ(p.seenRunId, "run-0");
  EXPECT_EQ(target.asked, 0);
}

TEST(StreamPlanner, AnUnfinishedIncrementalSyncResumesFromItsCheckpointAndItsOwnStartPoint) {
  auto s = unfinished(Mode::Incremental, R"({"after":"x"})", "job-0");
  s.initialized = true;
  s.cursorSinceMs = 42'000;
  s.watermarkMs = 99'000'000;
  auto p = planner().plan(kDeals, s, [] { return true; });
  EXPECT_EQ(p.mode, Mode::Incremental);
  EXPECT_TRUE(p.resume);
  EXPECT_EQ(p.cursor, R"({"after":"x"})");
  EXPECT_EQ(p.sinceMs, 42'000) << "the resumed run's start point, not the watermark that moved since";
}

TEST(StreamPlanner, AForcedInitialSyncStartsOverEvenFromAnotherJobsCheckpoint) {
  auto s = unfinished(Mode::Initial, R"({"page":7})", "job-0");
  auto p = planner(Mode::Initial, "job-1").plan(kDeals, s, [] { return true; });
  EXPECT_EQ(p.mode, Mode::Initial);
  EXPECT_FALSE(p.resume);
  EXPECT_EQ(p.cursor, "");
  EXPECT_TRUE(p.trackSeen);

  auto inc = planner(Mode::Initial, "job-1").plan(kDeals, completed(5'000), [] { return false; });
  EXPECT_EQ(inc.mode, Mode::Initial) << "forced over a completed stream too";
  EXPECT_FALSE(inc.sinceMs);
}

TEST(StreamPlanner, AForcedInitialSyncRetriedByItsOwnJobResumes) {
  auto s = unfinished(Mode::Initial, R"({"page":7})", "job-1");
  auto p = planner(Mode::Initial, "job-1").plan(kDeals, s, [] { return true; });
  EXPECT_EQ(p.mode, Mode::Initial);
  EXPECT_TRUE(p.resume);
  EXPECT_EQ(p.cursor, R"({"page":7})");
}

TEST(StreamPlanner, ABackfillResumesItsOwnCursorAndSkipsAStreamAnEarlierAttemptFinished) {
  auto fresh = planner(Mode::Backfill).planBackfill(kDeals, std::nullopt);
  EXPECT_EQ(fresh.mode, Mode::Backfill);
  EXPECT_FALSE(fresh.resume);
  EXPECT_FALSE(fresh.skip);

  auto resumed = planner(Mode::Backfill).planBackfill(kDeals, BackfillSnapshot{R"({"page":3})", false});
  EXPECT_TRUE(resumed.resume);
  EXPECT_EQ(resumed.cursor, R"({"page":3})");
  EXPECT_FALSE(resumed.skip);

  auto started = planner(Mode::Backfill).planBackfill(kDeals, BackfillSnapshot{std::nullopt, false});
  EXPECT_FALSE(started.resume) << "started but no checkpoint yet";

  auto done = planner(Mode::Backfill).planBackfill(kDeals, BackfillSnapshot{R"({"page":9})", true});
  EXPECT_TRUE(done.skip);
}

TEST(StreamPlanner, SelectKeepsTheRequestedOrderAndNamesAnUnknownStreamAndTheKnownOnes) {
  auto all = StreamPlanner::select(kStreams, {}, "acme/example");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->name, "deals");
  auto some = StreamPlanner::select(kStreams, {"notes", "deals"}, "acme/example");
  ASSERT_EQ(some.size(), 2u);
  EXPECT_EQ(some[0]->name, "notes");
  EXPECT_EQ(some[1]->name, "deals");
  try {
    StreamPlanner::select(kStreams, {"deals", "tickets"}, "acme/example");
    FAIL() << "an unknown stream was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "connection acme/example has no stream 'tickets' (streams: deals, contacts, notes)");
  }
}

TEST(StreamPlanner, TheRunsModeIsInitialWhenAnyStreamIsElseIncrementalOrBackfill) {
  auto pl = planner();
  StreamPlan inc;
  inc.mode = Mode::Incremental;
  StreamPlan init;
  init.mode = Mode::Initial;
  EXPECT_EQ(pl.runMode({inc, inc}), Mode::Incremental);
  EXPECT_EQ(pl.runMode({inc, init}), Mode::Initial);
  EXPECT_EQ(pl.runMode({}), Mode::Incremental);
  StreamPlan bf;
  bf.mode = Mode::Backfill;
  EXPECT_EQ(planner(Mode::Backfill).runMode({bf}), Mode::Backfill);
}

TEST(StreamPlanner, AWatermarkFromTheFutureIsNotTrustedAndTheStreamIsReadInFull) {
  auto s = completed(253402214400000);  // left by a record stamped 9999-12-31 before they were refused
  s.dbNowMs = 1'800'000'000'000;
  auto p = planner().plan(kDeals, s, [] { return true; });
  EXPECT_EQ(p.mode, Mode::Incremental);
  EXPECT_FALSE(p.sinceMs) << "an incremental from 9999 would ask for nothing, forever";
  EXPECT_NE(p.warning.find("further ahead of the database's clock than sync.max_clock_skew allows"), std::string::npos)
      << p.warning;
  auto near = completed(1'800'000'000'000 + 1'000);  // a second ahead: within the skew
  near.dbNowMs = 1'800'000'000'000;
  auto q = planner().plan(kDeals, near, [] { return true; });
  EXPECT_EQ(q.sinceMs, 1'800'000'000'000 + 1'000 - 300'000);
  EXPECT_TRUE(q.warning.empty());
}

// The carried state (set_stream_state) outlives a completed run: every run of the stream gets
// it, resumed or not, except a forced full resync, which starts without it and drops it.
TEST(StreamPlanner, TheCarriedStateGoesToEveryRunButAForcedResyncWhichDropsIt) {
  auto done = completed(5'000);
  done.carriedState = R"({"token":"t-7"})";
  auto inc = planner().plan(kDeals, done, [] { return false; });
  EXPECT_EQ(inc.mode, Mode::Incremental);
  EXPECT_EQ(inc.state, R"({"token":"t-7"})");
  EXPECT_FALSE(inc.dropState);

  auto resumed = unfinished(Mode::Incremental, R"({"page":2})", "job-0");
  resumed.carriedState = R"({"token":"t-8"})";
  auto r = planner().plan(kDeals, resumed, [] { return false; });
  EXPECT_TRUE(r.resume);
  EXPECT_EQ(r.cursor, R"({"page":2})");
  EXPECT_EQ(r.state, R"({"token":"t-8"})") << "a resumed run gets its cursor and the state";

  auto forced = planner(Mode::Initial, "job-1").plan(kDeals, done, [] { return true; });
  EXPECT_EQ(forced.mode, Mode::Initial);
  EXPECT_EQ(forced.state, "");
  EXPECT_TRUE(forced.dropState);

  // Retried by its own job, the resync resumes with whatever it committed since it started.
  auto own = unfinished(Mode::Initial, R"({"page":1})", "job-1");
  own.carriedState = R"({"token":"t-1"})";
  auto retry = planner(Mode::Initial, "job-1").plan(kDeals, own, [] { return true; });
  EXPECT_TRUE(retry.resume);
  EXPECT_FALSE(retry.dropState);
  EXPECT_EQ(retry.state, R"({"token":"t-1"})");

  StreamSnapshot none;
  EXPECT_EQ(planner().plan(kDeals, none, [] { return false; }).state, "") << "no state: none given";
}

TEST(StreamPlanner, ABackfillGetsTheCarriedStateToRead) {
  auto p = planner(Mode::Backfill).planBackfill(kDeals, std::nullopt, std::string(R"({"token":"t-7"})"));
  EXPECT_EQ(p.state, R"({"token":"t-7"})");
  EXPECT_FALSE(p.dropState);
  EXPECT_EQ(planner(Mode::Backfill).planBackfill(kDeals, std::nullopt).state, "");
}

namespace {
const plugins::StreamDescriptor kWhole{"tables", "id", "", "", "", TRIBUTARY_STREAM_FULL_REFRESH};
}  // namespace

TEST(StreamPlanner, AStreamReadOnlyWholeRunsAFullRefreshWhateverModeWasAsked) {
  for (sync::Requested asked :
       {sync::Requested{}, sync::Requested{Mode::Incremental}, sync::Requested{Mode::Initial}}) {
    TargetProbe target{true};
    auto p = planner(asked).plan(kWhole, completed(1'000'000), target.fn());
    EXPECT_EQ(p.mode, Mode::Initial);
    EXPECT_FALSE(p.resume);
    EXPECT_FALSE(p.sinceMs) << "a full refresh reads everything";
    EXPECT_TRUE(p.trackSeen) << "and sweeps the live rows it did not see";
    EXPECT_EQ(target.asked, 1);
    EXPECT_EQ(p.warning.empty(), asked != Mode::Incremental) << p.warning;
  }
  auto p = planner(Mode::Incremental).plan(kWhole, completed(1'000'000), [] { return false; });
  EXPECT_EQ(p.warning,
            "the stream can only be read whole (TRIBUTARY_STREAM_FULL_REFRESH): a full refresh runs instead of the "
            "incremental sync asked for");
  EXPECT_FALSE(p.trackSeen) << "nothing in the target to sweep";
}

TEST(StreamPlanner, AStreamReadOnlyWholeResumesItsUnfinishedRefreshAndDropsAnIncrementalCheckpoint) {
  auto s = unfinished(Mode::Initial, R"({"page":4})", "job-0");
  s.initialTracksSeen = true;
  s.initialRunId = "run-0";
  auto resumed = planner().plan(kWhole, s, [] { return true; });
  EXPECT_EQ(resumed.mode, Mode::Initial);
  EXPECT_TRUE(resumed.resume);
  EXPECT_EQ(resumed.cursor, R"({"page":4})");
  EXPECT_EQ(resumed.seenRunId, "run-0");

  // Left by a run from before the plugin declared the flag.
  auto incremental =
      planner().plan(kWhole, unfinished(Mode::Incremental, R"({"since":5})", "job-0"), [] { return true; });
  EXPECT_EQ(incremental.mode, Mode::Initial);
  EXPECT_FALSE(incremental.resume);
  EXPECT_EQ(incremental.cursor, "");
  EXPECT_TRUE(incremental.trackSeen);
}

TEST(StreamPlanner, ABackfillOfAStreamReadOnlyWholeIsRefusedNamingTheStreamAndWhatToRun) {
  EXPECT_EQ(StreamPlanner::readWholeOnly(kWhole, "acme", "pg"),
            "stream 'tables' can only be read whole (TRIBUTARY_STREAM_FULL_REFRESH), not backfilled: run `tributary "
            "sync acme --connection pg --streams tables --mode initial`");
}
