#include "queue/JobClaim.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "QueueTestSupport.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::milliseconds;

namespace {

Job claimOne(test::QueueDatabase& q, const std::string& worker) {
  EnqueueRequest r;
  r.kind = "noop";
  q.queue->enqueue(r);
  auto jobs = q.queue->claim(worker, 1);
  EXPECT_EQ(jobs.size(), 1u);
  return jobs.at(0);
}

bool held(test::QueueDatabase& q, const JobClaim& claim) {
  auto c = q.pool->acquire();
  db::Transaction tx(*c);
  try {
    claim.assertHeld(*c);
    return true;
  } catch (const ClaimLost& e) {
    EXPECT_EQ(e.sqlstate(), "55000");
    EXPECT_NE(std::string(e.what()).find("is no longer held by"), std::string::npos);
    return false;
  }
}

// Records the attempts it is told of; throws when asked to.
struct RecordingListener : AttemptListener {
  std::vector<EndedAttempt> seen;
  bool fail = false;
  std::vector<FinishedWork> attemptsEnded(db::Connection& conn, const std::vector<EndedAttempt>& attempts) override {
    EXPECT_TRUE(conn.inTransaction()) << "told inside the rescue's transaction";
    seen.insert(seen.end(), attempts.begin(), attempts.end());
    if (fail) throw db::DbError("the listener's write failed", "40001");
    return {};
  }
};

}  // namespace

TEST(JobClaim, HoldsWhileTheJobRunsUnderThisClaimOnThisWorker) {
  test::QueueDatabase q;
  auto job = claimOne(q, "w1");
  auto claim = JobClaim::of(job);
  ASSERT_TRUE(claim);
  EXPECT_TRUE(held(q, *claim));
  EXPECT_FALSE(held(q, JobClaim(job.id, "w2", *job.claimUs))) << "another worker's";
  EXPECT_FALSE(held(q, JobClaim(job.id, "w1", *job.claimUs - 1))) << "an older claim of the same job";
  Job handMade;
  handMade.id = job.id;
  EXPECT_FALSE(JobClaim::of(handMade)) << "a job that was never claimed has no claim";
}

TEST(JobClaim, IsLostOnceTheJobWasRescuedAndClaimedAgain) {
  test::QueueDatabase q;
  auto first = claimOne(q, "w1");
  auto claim = *JobClaim::of(first);
  ASSERT_EQ(q.queue->rescueWorker("w1", "worker lost: test"), 1);
  EXPECT_FALSE(held(q, claim)) << "rescued";
  auto again = q.queue->claim("w1", 1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_FALSE(held(q, claim)) << "claimed again by the same worker: a new claim";
  EXPECT_TRUE(held(q, *JobClaim::of(again[0])));
}

TEST(JobClaim, ARescueWaitsForTheCommitThatCheckedTheClaim) {
  test::QueueDatabase q;
  auto job = claimOne(q, "w1");
  auto c = q.pool->acquire();
  db::Transaction tx(*c);
  JobClaim::of(job)->assertHeld(*c);
  std::atomic<bool> rescued{false};
  std::thread rescuer([&] {
    q.queue->rescueWorker("w1", "worker lost: test");
    rescued = true;
  });
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_FALSE(rescued) << "the rescue went past a transaction holding the claim";
  tx.commit();
  rescuer.join();
  EXPECT_TRUE(rescued);
  EXPECT_EQ(q.job(job.id).status, JobStatus::Pending);
}

TEST(AttemptListener, IsToldOfEveryRescuedAttemptInTheRescuesTransaction) {
  test::QueueDatabase q;
  auto listener = std::make_shared<RecordingListener>();
  q.queue->setAttemptListener(listener);
  auto ws = q.workspace();
  auto conn = q.connection(ws);
  EnqueueRequest a;
  a.kind = "sync";
  a.workspaceId = ws;
  a.connectionId = conn;
  a.maxAttempts = 1;
  q.queue->enqueue(a);
  EnqueueRequest b;
  b.kind = "noop";
  q.queue->enqueue(b);
  ASSERT_EQ(q.queue->claim("w1", 2).size(), 2u);
  ASSERT_EQ(q.queue->rescueWorker("w1", "worker lost: killed"), 2);
  ASSERT_EQ(listener->seen.size(), 2u);
  std::map<std::string, EndedAttempt> byKind;
  for (const auto& e : listener->seen) byKind[e.kind] = e;
  EXPECT_EQ(byKind["sync"].connectionId, conn);
  EXPECT_EQ(byKind["sync"].status, JobStatus::Discarded) << "its only attempt";
  EXPECT_EQ(byKind["sync"].error, "worker lost: killed");
  EXPECT_EQ(byKind["noop"].status, JobStatus::Pending);
  EXPECT_FALSE(byKind["noop"].connectionId);
}

TEST(AttemptListener, AListenerThatFailsRollsTheRescueBackToBeTriedAgain) {
  test::QueueDatabase q;
  auto listener = std::make_shared<RecordingListener>();
  listener->fail = true;
  q.queue->setAttemptListener(listener);
  auto job = claimOne(q, "w1");
  EXPECT_THROW(q.queue->rescueWorker("w1", "worker lost: test"), db::DbError);
  EXPECT_EQ(q.job(job.id).status, JobStatus::Running) << "the rescue and the runner's record commit together";
  listener->fail = false;
  EXPECT_EQ(q.queue->rescueWorker("w1", "worker lost: test"), 1);
  EXPECT_EQ(q.job(job.id).status, JobStatus::Pending);
}
