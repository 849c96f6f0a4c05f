// ABI 1.1's carried stream state (set_stream_state, state_json) through the real engine, with
// the C fixture and the C++ one: a position that outlives a completed run, committed with the
// checkpoint that follows it.
#include <gtest/gtest.h>

#include "StateFixtureRun.h"

using namespace tributary;
using queue::JobStatus;
using test::plain;
using test::StateFixtureRun;
using J = test::PlainJson;

namespace {

class CarriedState : public ::testing::TestWithParam<const char*> {
 protected:
  test::QueueDatabase q;
};

J state(int token, int page) { return J{{"token", token}, {"page", page}}; }

}  // namespace

// A changes token that advances each run: the next run gets it, and completing the stream
// clears the resume cursor but keeps the state.
TEST_P(CarriedState, ATokenCarriesToTheNextRunAndCompletionKeepsIt) {
  StateFixtureRun f(q, GetParam());
  auto first = f.sync({{"streams", {"items"}}});
  ASSERT_EQ(first.status, JobStatus::Completed) << first.toJson().dump(2);
  EXPECT_EQ(f.record("probe"), (J{{"mode", "initial"}, {"state", nullptr}, {"cursor", nullptr}}));
  EXPECT_EQ(f.carriedState(), state(1, 1)) << "the last page's state, committed with its checkpoint";
  EXPECT_EQ(f.cursor(), nullptr) << "completion clears the cursor";

  auto second = f.sync({{"streams", {"items"}}});
  ASSERT_EQ(second.status, JobStatus::Completed) << second.toJson().dump(2);
  EXPECT_EQ(f.record("probe"), (J{{"mode", "incremental"}, {"state", state(1, 1)}, {"cursor", nullptr}}));
  EXPECT_EQ(f.carriedState(), state(2, 1));

  auto c = q.pool->acquire();
  auto row = c->exec(
      "SELECT carried_state_job_id::text, carried_state_at IS NOT NULL, status FROM stream_state"
      " WHERE connection_id = $1::uuid AND stream = 'items'",
      f.connectionId);
  EXPECT_EQ(row.text(0, 0), second.id);
  EXPECT_TRUE(row.boolean(0, 1));
  EXPECT_EQ(row.text(0, 2), "completed");
  EXPECT_EQ(f.carriedState("notes"), nullptr) << "a stream whose plugin set none has none";
}

// The state staged for a page whose checkpoint never came is dropped with the page's records;
// the one committed with the page before stays.
TEST_P(CarriedState, AFailureBeforeTheCommitDropsTheStagedState) {
  StateFixtureRun f(q, GetParam());
  ASSERT_EQ(f.sync({{"streams", {"items"}}}).status, JobStatus::Completed);
  ASSERT_EQ(f.carriedState(), state(1, 1));

  // Failing before the first checkpoint leaves the state the last completed run gave.
  f.configure("{fail_at_page: 0, fail_with: fatal}");
  auto atOnce = f.sync({{"streams", {"items"}}});
  ASSERT_EQ(atOnce.status, JobStatus::Failed) << atOnce.toJson().dump(2);
  EXPECT_EQ(atOnce.lastError, "stream items: failing at page 0 (setting fail_at_page)");
  EXPECT_EQ(f.carriedState(), state(1, 1));

  // Failing at the second page keeps what the first committed.
  f.configure("{fail_at_page: 1, fail_with: fatal}");
  auto later = f.sync({{"streams", {"items"}}});
  ASSERT_EQ(later.status, JobStatus::Failed) << later.toJson().dump(2);
  EXPECT_EQ(later.lastError, "stream items: failing at page 1 (setting fail_at_page)");
  EXPECT_EQ(f.carriedState(), state(2, 0)) << "page 0's state committed with its checkpoint; page 1's was dropped";
  EXPECT_EQ(f.cursor(), (J{{"page", 0}}));
}

// A run resumed after a failed attempt gets both its resume cursor and the state committed with
// that cursor, not the one staged after it.
TEST_P(CarriedState, AResumedRunGetsItsCursorAndTheStateCommittedWithIt) {
  StateFixtureRun f(q, GetParam(), "{pages: 3, fail_at_page: 1, fail_with: retry}");
  const std::string id = f.enqueue({{"streams", {"items"}}});
  auto attempt1 = f.runAttempt(id);
  ASSERT_EQ(attempt1.status, JobStatus::Pending) << "retried: " << attempt1.toJson().dump(2);
  EXPECT_EQ(f.cursor(), (J{{"page", 0}}));
  EXPECT_EQ(f.carriedState(), state(1, 0));

  auto attempt2 = f.runAttempt(id);
  ASSERT_EQ(attempt2.status, JobStatus::Completed) << attempt2.toJson().dump(2);
  EXPECT_EQ(f.record("probe"), (J{{"mode", "initial"}, {"state", state(1, 0)}, {"cursor", {{"page", 0}}}}));
  EXPECT_EQ(f.carriedState(), state(2, 2));
  EXPECT_EQ(f.cursor(), nullptr);
  EXPECT_EQ(f.record("item-0-0"), (J{{"page", 0}, {"i", 0}}));
  EXPECT_EQ(f.record("item-2-1"), (J{{"page", 2}, {"i", 1}}));
}

// `sync --mode initial` starts without the state, and drops the stored one as it starts: a run
// that fails before its first checkpoint brings no stale state back to the run after it.
TEST_P(CarriedState, AForcedFullResyncStartsWithoutTheStateAndDropsItAsItStarts) {
  StateFixtureRun f(q, GetParam());
  ASSERT_EQ(f.sync({{"streams", {"items"}}}).status, JobStatus::Completed);
  ASSERT_EQ(f.sync({{"streams", {"items"}}}).status, JobStatus::Completed);
  ASSERT_EQ(f.carriedState(), state(2, 1));

  auto resync = f.sync({{"streams", {"items"}}, {"mode", "initial"}});
  ASSERT_EQ(resync.status, JobStatus::Completed) << resync.toJson().dump(2);
  EXPECT_EQ(f.record("probe"), (J{{"mode", "initial"}, {"state", nullptr}, {"cursor", nullptr}}));
  EXPECT_EQ(f.carriedState(), state(1, 1)) << "the token starts over";

  f.configure("{fail_at_page: 0, fail_with: fatal}");
  auto failed = f.sync({{"streams", {"items"}}, {"mode", "initial"}});
  ASSERT_EQ(failed.status, JobStatus::Failed) << failed.toJson().dump(2);
  EXPECT_EQ(f.carriedState(), nullptr) << "dropped when the resync started, and nothing committed since";

  f.configure("{}");
  ASSERT_EQ(f.sync({{"streams", {"items"}}}).status, JobStatus::Completed);
  EXPECT_EQ(f.record("probe"), (J{{"mode", "initial"}, {"state", nullptr}, {"cursor", nullptr}}))
      << "the unfinished resync is finished, without the state it dropped";
  EXPECT_EQ(f.carriedState(), state(1, 1));
}

// A backfill gets the stream's state to read, and may not move it.
TEST_P(CarriedState, ABackfillReadsTheStateAndCannotMoveIt) {
  StateFixtureRun f(q, GetParam());
  ASSERT_EQ(f.sync({{"streams", {"items"}}}).status, JobStatus::Completed);
  const Json window = {{"from", 1700000000000}, {"to", 1700000100000}};

  auto backfill = f.run(f.enqueue({{"streams", {"items"}}, {"window", window}}, "backfill"));
  ASSERT_EQ(backfill.status, JobStatus::Completed) << backfill.toJson().dump(2);
  EXPECT_EQ(f.record("probe-backfill"),
            (J{{"mode", "backfill"}, {"state", state(1, 1)}, {"window", {1700000000000, 1700000100000}}}));

  f.configure("{backfill_sets_state: 1}");
  auto refused = f.run(f.enqueue({{"streams", {"items"}}, {"window", window}}, "backfill"));
  ASSERT_EQ(refused.status, JobStatus::Failed) << refused.toJson().dump(2);
  EXPECT_EQ(refused.lastError,
            "stream items: set_stream_state: a backfill cannot move the carried state of stream 'items' (it gets it "
            "to read in state_json; initial and incremental runs set it)");
  EXPECT_EQ(f.carriedState(), state(1, 1));
}

// A call sets its own stream's state only; and check, which has no stream, none.
TEST_P(CarriedState, SettingAnotherStreamsStateOrOneInCheckIsFatalNamingIt) {
  StateFixtureRun f(q, GetParam(), "{state_stream: notes}");
  auto other = f.sync();
  ASSERT_EQ(other.status, JobStatus::Failed) << other.toJson().dump(2);
  EXPECT_EQ(other.lastError,
            "stream items: set_stream_state for stream 'notes' during a call for stream 'items': a call sets only "
            "its own stream's state");
  EXPECT_EQ(f.carriedState("notes"), nullptr);
  EXPECT_EQ(f.carriedState("items"), nullptr);

  f.configure("{check_sets_state: 1}");
  auto inCheck = f.sync();
  ASSERT_EQ(inCheck.status, JobStatus::Failed) << inCheck.toJson().dump(2);
  EXPECT_EQ(inCheck.lastError,
            "check failed: plugin called set_stream_state during check, where it is not available; fix the plugin");
}

// A dry run stages the state like any other and stores none of it; it says what it would store.
TEST_P(CarriedState, ADryRunStagesTheStateAndStoresNothing) {
  StateFixtureRun f(q, GetParam());
  ASSERT_EQ(f.sync({{"streams", {"items"}}}).status, JobStatus::Completed);
  auto dry = f.sync({{"streams", {"items"}}, {"dry_run", true}});
  ASSERT_EQ(dry.status, JobStatus::Completed) << dry.toJson().dump(2);
  EXPECT_EQ(dry.result["streams"]["items"]["would_set_state"], "{\"token\":2,\"page\":1}");
  EXPECT_EQ(f.carriedState(), state(1, 1));
}

// JSON null clears the state: the next run gets none.
TEST_P(CarriedState, ANullStateClearsIt) {
  StateFixtureRun f(q, GetParam());
  ASSERT_EQ(f.sync({{"streams", {"items"}}}).status, JobStatus::Completed);
  f.configure("{clear_state: 1}");
  ASSERT_EQ(f.sync({{"streams", {"items"}}}).status, JobStatus::Completed);
  EXPECT_EQ(f.carriedState(), nullptr);
  f.configure("{}");
  ASSERT_EQ(f.sync({{"streams", {"items"}}}).status, JobStatus::Completed);
  EXPECT_EQ(f.record("probe"), (J{{"mode", "incremental"}, {"state", nullptr}, {"cursor", nullptr}}));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CarriedState, ::testing::Values(test::kStateFixtureC, test::kStateFixtureCpp),
                         test::fixtureLabel);
