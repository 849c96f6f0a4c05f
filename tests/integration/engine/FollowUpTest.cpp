// ABI 1.1's follow-ups (request_follow_up) through the real engine, with the C fixture and the
// C++ one: work queued as ordinary jobs of the connection when the asking run succeeds, in the
// same transaction as its end, one pending per stream and kind.
#include <gtest/gtest.h>

#include "StateFixtureRun.h"

using namespace tributary;
using queue::JobStatus;
using test::plain;
using test::StateFixtureRun;
using J = test::PlainJson;

namespace {

class FollowUp : public ::testing::TestWithParam<const char*> {
 protected:
  test::QueueDatabase q;
};

constexpr int64_t kFrom = 1700000000000, kTo = 1700000100000;

std::string bounds(int64_t from, int64_t to) {
  return "{follow_up_backfill: items, follow_up_from: " + std::to_string(from) +
         ", follow_up_to: " + std::to_string(to) + "}";
}

}  // namespace

// A backfill over a window and a resync, asked for by one run: queued when it completes, as a
// backfill job and a sync job (mode initial) of the stream, and listed in its result and run.
TEST_P(FollowUp, ABackfillAndAResyncAreQueuedWhenTheRunSucceedsAndListedInItsResult) {
  StateFixtureRun f(q, GetParam(),
                    "{follow_up_backfill: items, follow_up_from: " + std::to_string(kFrom) +
                        ", follow_up_to: " + std::to_string(kTo) + ", follow_up_resync: items}");
  const std::string id = f.enqueue({{"streams", {"items"}}});
  auto done = f.run(id);
  ASSERT_EQ(done.status, JobStatus::Completed) << done.toJson().dump(2);
  const std::string runId = done.result["run_id"];

  auto jobs = f.otherJobs({id});
  ASSERT_EQ(jobs.size(), 2u);
  const queue::Job& backfill = jobs[0].kind == "backfill" ? jobs[0] : jobs[1];
  const queue::Job& resync = jobs[0].kind == "backfill" ? jobs[1] : jobs[0];
  EXPECT_EQ(backfill.kind, "backfill");
  EXPECT_EQ(backfill.status, JobStatus::Pending);
  EXPECT_EQ(backfill.priority, queue::kPriorityManual) << "the asking job's priority";
  EXPECT_EQ(plain(backfill.payload), (J{{"mode", "backfill"},
                                        {"sync_type", "backfill"},
                                        {"streams", {"items"}},
                                        {"window", {{"from", kFrom}, {"to", kTo}}},
                                        {"follow_up_of", {{"run_id", runId}, {"job_id", id}}},
                                        {"reason", "items changed: re-read them"}}));
  EXPECT_EQ(resync.kind, "sync");
  EXPECT_EQ(resync.status, JobStatus::Pending);
  EXPECT_EQ(plain(resync.payload), (J{{"mode", "initial"},
                                      {"sync_type", "manual"},
                                      {"streams", {"items"}},
                                      {"follow_up_of", {{"run_id", runId}, {"job_id", id}}},
                                      {"reason", "the deletions feed lapsed"}}));

  const J listed = J::array({J{{"kind", "backfill"},
                               {"stream", "items"},
                               {"reason", "items changed: re-read them"},
                               {"window", {{"from", kFrom}, {"to", kTo}}},
                               {"job_id", backfill.id},
                               {"deduplicated", false}},
                             J{{"kind", "resync"},
                               {"stream", "items"},
                               {"reason", "the deletions feed lapsed"},
                               {"job_id", resync.id},
                               {"deduplicated", false}}});
  EXPECT_EQ(plain(done.result["follow_ups"]), listed);
  EXPECT_EQ(f.runMetadata(id)["follow_ups"], listed);

  // Each runs as the ordinary job it is: the backfill over its window, the resync from scratch
  // (without the state the asking run left).
  f.configure("{}");
  ASSERT_EQ(f.carriedState(), (J{{"token", 1}, {"page", 1}}));
  auto b = f.run(backfill.id);
  ASSERT_EQ(b.status, JobStatus::Completed) << b.toJson().dump(2);
  EXPECT_EQ(f.record("probe-backfill")["window"], (J{kFrom, kTo}));
  auto r = f.run(resync.id);
  ASSERT_EQ(r.status, JobStatus::Completed) << r.toJson().dump(2);
  EXPECT_EQ(r.result["streams"]["items"]["mode"], "initial");
  EXPECT_FALSE(r.result["streams"].contains("notes")) << "the resync is of its stream alone";
  EXPECT_EQ(f.record("probe"), (J{{"mode", "initial"}, {"state", nullptr}, {"cursor", nullptr}}));
}

// While one is pending, a second request for the same stream and kind joins it, and widens its
// window to cover both; the resync too is queued once.
TEST_P(FollowUp, ARequestWhileOneIsPendingJoinsItAndWidensItsWindow) {
  StateFixtureRun f(q, GetParam(), bounds(kFrom, kFrom + 1000));
  const std::string first = f.enqueue({{"streams", {"items"}}});
  ASSERT_EQ(f.run(first).status, JobStatus::Completed);
  auto queued = f.otherJobs({first});
  ASSERT_EQ(queued.size(), 1u);

  f.configure(bounds(kFrom + 500, kFrom + 3000));
  const std::string second = f.enqueue({{"streams", {"items"}}});
  auto done = f.run(second);
  ASSERT_EQ(done.status, JobStatus::Completed) << done.toJson().dump(2);
  EXPECT_EQ(done.result["follow_ups"][0]["job_id"], queued[0].id);
  EXPECT_EQ(done.result["follow_ups"][0]["deduplicated"], true);
  auto now = f.otherJobs({first, second});
  ASSERT_EQ(now.size(), 1u) << "one pending backfill of items";
  EXPECT_EQ(plain(now[0].payload["window"]), (J{{"from", kFrom}, {"to", kFrom + 3000}}));
  EXPECT_EQ(now[0].payload["follow_up_of"]["job_id"], first) << "it stays the first asker's";

  // An unbounded side stays unbounded.
  f.configure("{follow_up_backfill: items, follow_up_to: " + std::to_string(kFrom + 2000) + "}");
  const std::string third = f.enqueue({{"streams", {"items"}}});
  ASSERT_EQ(f.run(third).status, JobStatus::Completed);
  EXPECT_EQ(plain(q.job(queued[0].id).payload["window"]), (J{{"to", kFrom + 3000}}));
}

// A follow-up that is already running began its read before this run's changes: it does not
// count, and a new one is queued behind it.
TEST_P(FollowUp, AFollowUpAlreadyRunningDoesNotCount) {
  StateFixtureRun f(q, GetParam(), bounds(kFrom, kTo));
  const std::string first = f.enqueue({{"streams", {"items"}}});
  ASSERT_EQ(f.run(first).status, JobStatus::Completed);
  auto claimed = q.queue->claim("w2", 1, {"backfill"});
  ASSERT_EQ(claimed.size(), 1u);

  const std::string second = f.enqueue({{"streams", {"items"}}});
  auto done = f.run(second);
  ASSERT_EQ(done.status, JobStatus::Completed) << done.toJson().dump(2);
  EXPECT_EQ(done.result["follow_ups"][0]["deduplicated"], false);
  EXPECT_NE(done.result["follow_ups"][0]["job_id"], claimed[0].id);
  EXPECT_EQ(q.job(done.result["follow_ups"][0]["job_id"]).status, JobStatus::Pending);
}

// A run that fails, or waits, queues nothing; a retried run asks again, and what it asks for is
// queued once, by the attempt that completes.
TEST_P(FollowUp, NothingIsQueuedUnlessTheRunCompletesAndARetriedRunAsksAgain) {
  StateFixtureRun f(q, GetParam(), "{follow_up_resync: items, fail_at_page: 0, fail_with: fatal}");
  const std::string failed = f.enqueue({{"streams", {"items"}}});
  ASSERT_EQ(f.run(failed).status, JobStatus::Failed);
  EXPECT_TRUE(f.otherJobs({failed}).empty());

  f.configure("{follow_up_resync: items, fail_at_page: 0, fail_with: wait}");
  const std::string waiting = f.enqueue({{"streams", {"items"}}});
  auto w = f.run(waiting);
  ASSERT_EQ(w.status, JobStatus::Pending) << w.toJson().dump(2);
  EXPECT_EQ(w.waitReason, "rate_limit");
  EXPECT_TRUE(f.otherJobs({failed, waiting}).empty());
  q.queue->cancel(waiting);

  f.configure("{follow_up_resync: items, pages: 2, fail_at_page: 1, fail_with: retry}");
  const std::string retried = f.enqueue({{"streams", {"items"}}});
  auto attempt1 = f.runAttempt(retried);
  ASSERT_EQ(attempt1.status, JobStatus::Pending);
  EXPECT_TRUE(f.otherJobs({failed, waiting, retried}).empty()) << "the failed attempt queued nothing";
  auto attempt2 = f.runAttempt(retried);
  ASSERT_EQ(attempt2.status, JobStatus::Completed) << attempt2.toJson().dump(2);
  auto queued = f.otherJobs({failed, waiting, retried});
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(attempt2.result["follow_ups"][0]["job_id"], queued[0].id);
  EXPECT_EQ(attempt2.result["follow_ups"].size(), 1u);
}

// A follow-up must name a stream of the connection, and a backfill one that can be backfilled.
TEST_P(FollowUp, AFollowUpOfAnUnknownStreamOrABackfillOfAWholeOnlyStreamIsFatal) {
  const std::string connector = GetParam();
  StateFixtureRun f(q, connector, "{follow_up_backfill: nope}");
  auto unknown = f.sync();
  ASSERT_EQ(unknown.status, JobStatus::Failed) << unknown.toJson().dump(2);
  EXPECT_EQ(unknown.lastError, "stream items: request_follow_up: 'nope' is not a stream of " + connector +
                                   " (known: items, notes, snapshot)");

  f.configure("{follow_up_backfill: snapshot}");
  auto whole = f.sync();
  ASSERT_EQ(whole.status, JobStatus::Failed) << whole.toJson().dump(2);
  EXPECT_EQ(whole.lastError, "stream items: request_follow_up: stream 'snapshot' of " + connector +
                                 " is only ever read whole (TRIBUTARY_STREAM_FULL_REFRESH), so it has no backfill; "
                                 "ask for a resync (TRIBUTARY_FOLLOW_UP_RESYNC)");
  EXPECT_EQ(f.otherJobs({}).size(), 2u) << "only the two failed syncs";
}

// A dry run lists what it would queue and queues nothing.
TEST_P(FollowUp, ADryRunListsWhatItWouldQueueAndQueuesNothing) {
  StateFixtureRun f(q, GetParam(), "{follow_up_resync: items}");
  const std::string dry = f.enqueue({{"streams", {"items"}}, {"dry_run", true}});
  auto done = f.run(dry);
  ASSERT_EQ(done.status, JobStatus::Completed) << done.toJson().dump(2);
  EXPECT_EQ(plain(done.result["follow_ups"]), J::array({J{{"kind", "resync"},
                                                          {"stream", "items"},
                                                          {"reason", "the deletions feed lapsed"},
                                                          {"job_id", nullptr},
                                                          {"deduplicated", false}}}));
  EXPECT_TRUE(f.otherJobs({dry}).empty());
}

// A backfill follow-up with no bound covers the whole stream: its plugin asked for that.
TEST_P(FollowUp, AnUnboundedBackfillFollowUpCoversTheWholeStream) {
  StateFixtureRun f(q, GetParam(), "{follow_up_backfill: items}");
  const std::string id = f.enqueue({{"streams", {"items"}}});
  ASSERT_EQ(f.run(id).status, JobStatus::Completed);
  auto queued = f.otherJobs({id});
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].payload["window"], Json::object());
  f.configure("{}");
  auto b = f.run(queued[0].id);
  ASSERT_EQ(b.status, JobStatus::Completed) << b.toJson().dump(2);
  EXPECT_EQ(f.record("probe-backfill")["window"], (J{TRIBUTARY_TIME_NONE, TRIBUTARY_TIME_MAX}));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FollowUp, ::testing::Values(test::kStateFixtureC, test::kStateFixtureCpp),
                         test::fixtureLabel);
