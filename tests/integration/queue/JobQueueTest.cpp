#include "queue/JobQueue.h"

#include <gtest/gtest.h>

#include <thread>

#include "QueueTestSupport.h"
#include "common/Time.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::milliseconds;

namespace {

EnqueueRequest req(std::string kind, Json payload = Json::object()) {
  EnqueueRequest r;
  r.kind = std::move(kind);
  r.payload = std::move(payload);
  return r;
}

}  // namespace

TEST(JobQueue, EnqueueStoresTheJobWithItsDefaults) {
  test::QueueDatabase q;
  auto ws = q.workspace();
  auto conn = q.connection(ws);
  EnqueueRequest r = req("sync", {{"mode", "initial"}});
  r.workspaceId = ws;
  r.connectionId = conn;
  r.priority = kPriorityManual;
  auto e = q.queue->enqueue(r);
  EXPECT_FALSE(e.existing);
  auto j = q.job(e.jobId);
  EXPECT_EQ(j.kind, "sync");
  EXPECT_EQ(j.status, JobStatus::Pending);
  EXPECT_EQ(j.maxAttempts, 3);
  EXPECT_EQ(j.timeoutMs, 2 * 3600 * 1000) << "initial syncs default to 2 h";
  EXPECT_EQ(j.priority, 1);
  EXPECT_EQ(j.workspaceId, ws);
  EXPECT_EQ(j.attempts, 0);
  auto inc = q.job(q.queue->enqueue(req("sync", {{"mode", "incremental"}})).jobId);
  EXPECT_EQ(inc.timeoutMs, 30 * 60 * 1000) << "incremental syncs default to 30 min";
  auto bf = q.job(q.queue->enqueue(req("backfill")).jobId);
  EXPECT_EQ(bf.timeoutMs, 2 * 3600 * 1000);
}

TEST(JobQueue, AnEqualPendingOrRunningJobIsReturnedInsteadOfASecond) {
  test::QueueDatabase q;
  EnqueueRequest r = req("noop");
  r.uniqueKey = "sync:conn-1";
  auto first = q.queue->enqueue(r);
  auto second = q.queue->enqueue(r);
  EXPECT_FALSE(first.existing);
  EXPECT_TRUE(second.existing);
  EXPECT_EQ(second.jobId, first.jobId);
  auto claimed = q.queue->claim("w1", 10);
  ASSERT_EQ(claimed.size(), 1u);
  auto third = q.queue->enqueue(r);
  EXPECT_TRUE(third.existing) << "a running job also blocks an equal one";
  EXPECT_EQ(third.status, JobStatus::Running);
  q.queue->finish(first.jobId, "w1", Outcome{});
  auto fourth = q.queue->enqueue(r);
  EXPECT_FALSE(fourth.existing) << "a finished job does not";
  EXPECT_NE(fourth.jobId, first.jobId);
}

TEST(JobQueue, EnqueueManyMixesNewAndExisting) {
  test::QueueDatabase q;
  EnqueueRequest a = req("noop"), b = req("noop"), c = req("noop");
  a.uniqueKey = "k1";
  b.uniqueKey = "k2";
  auto before = q.queue->enqueue(b);
  auto conn = q.pool->acquire();
  auto out = q.queue->enqueueMany(*conn, {a, b, c});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FALSE(out[0].existing);
  EXPECT_TRUE(out[1].existing);
  EXPECT_EQ(out[1].jobId, before.jobId);
  EXPECT_FALSE(out[2].existing);
  EXPECT_EQ(conn->exec("SELECT count(*) FROM jobs").int64(0, 0), 3);
}

TEST(JobQueue, EveryInsertSendsANotify) {
  test::QueueDatabase q;
  db::Connection listener(q.db.conninfo());
  listener.listen(JobQueue::kNotifyChannel);
  q.queue->enqueue(req("noop"));
  auto n = listener.waitForNotifications(std::chrono::seconds(5));
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].channel, "tributary_jobs");
}

TEST(JobQueue, ClaimsManualWorkFirstThenByRunAtThenAge) {
  test::QueueDatabase q;
  auto scheduledOld = q.queue->enqueue(req("noop")).jobId;
  std::this_thread::sleep_for(milliseconds(5));
  auto scheduledNew = q.queue->enqueue(req("noop")).jobId;
  EnqueueRequest manual = req("noop");
  manual.priority = kPriorityManual;
  auto manualId = q.queue->enqueue(manual).jobId;
  EnqueueRequest future = req("noop");
  future.runAt = Clock::now() + std::chrono::hours(1);
  auto futureId = q.queue->enqueue(future).jobId;
  auto jobs = q.queue->claim("w", 10);
  ASSERT_EQ(jobs.size(), 3u) << "a job whose run_at is ahead is not claimed";
  EXPECT_EQ(jobs[0].id, manualId);
  EXPECT_EQ(jobs[1].id, scheduledOld);
  EXPECT_EQ(jobs[2].id, scheduledNew);
  for (auto& j : jobs) {
    EXPECT_EQ(j.status, JobStatus::Running);
    EXPECT_EQ(j.attempts, 1);
    EXPECT_EQ(j.workerId, "w");
    EXPECT_TRUE(q.job(j.id).leaseExpiresAt.has_value()) << "a claimed job holds a lease";
  }
  EXPECT_TRUE(q.queue->claim("w", 10).empty());
  auto next = q.queue->nextRunAt();
  ASSERT_TRUE(next);
  EXPECT_EQ(time::toEpochMs(*next), time::toEpochMs(*future.runAt));
  (void)futureId;
}

TEST(JobQueue, TwoWorkersNeverClaimTheSameJob) {
  test::QueueDatabase q;
  auto conn = q.pool->acquire();
  std::vector<EnqueueRequest> many(500, req("noop"));
  q.queue->enqueueMany(*conn, many);
  std::vector<std::string> a, b;
  std::thread ta([&] {
    for (auto got = q.queue->claim("a", 7); !got.empty(); got = q.queue->claim("a", 7))
      for (auto& j : got) a.push_back(j.id);
  });
  std::thread tb([&] {
    for (auto got = q.queue->claim("b", 5); !got.empty(); got = q.queue->claim("b", 5))
      for (auto& j : got) b.push_back(j.id);
  });
  ta.join();
  tb.join();
  std::set<std::string> all(a.begin(), a.end());
  for (auto& id : b) EXPECT_TRUE(all.insert(id).second) << id << " claimed twice";
  EXPECT_EQ(all.size(), 500u);
}

TEST(JobQueue, AtMostOneRunningJobPerConnectionAndKind) {
  test::QueueDatabase q;
  auto ws = q.workspace();
  auto c1 = q.connection(ws, "one");
  EnqueueRequest r = req("sync");
  r.workspaceId = ws;
  r.connectionId = c1;
  auto first = q.queue->enqueue(r).jobId;
  auto second = q.queue->enqueue(r).jobId;
  EnqueueRequest other = req("backfill");
  other.workspaceId = ws;
  other.connectionId = c1;
  auto backfill = q.queue->enqueue(other).jobId;
  auto claimed = q.queue->claim("w", 10);
  ASSERT_EQ(claimed.size(), 2u) << "the second sync of the connection must wait";
  std::set<std::string> ids{claimed[0].id, claimed[1].id};
  EXPECT_TRUE(ids.count(first));
  EXPECT_TRUE(ids.count(backfill)) << "a backfill runs beside the sync";
  EXPECT_TRUE(q.queue->claim("w", 10).empty());
  q.queue->finish(first, "w", Outcome{});
  auto next = q.queue->claim("w", 10);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].id, second);
}

TEST(JobQueue, RetryBacksOffThenDiscardsWithTheWholeHistory) {
  auto cfg = test::QueueDatabase::fastQueueConfig();
  cfg.defaultRetry.base = milliseconds(1000);
  cfg.defaultRetry.cap = milliseconds(1000);
  test::QueueDatabase q(cfg);
  EnqueueRequest r = req("noop");
  r.maxAttempts = 2;
  auto id = q.queue->enqueue(r).jobId;
  auto j = q.queue->claim("w", 1).at(0);
  const auto failedAt = Clock::now();
  ASSERT_TRUE(q.queue->finish(id, "w", Outcome{Outcome::Kind::Retry, "vendor returned 503", {}, {}, {}}));
  j = q.job(id);
  EXPECT_EQ(j.status, JobStatus::Pending);
  EXPECT_EQ(j.waitReason, "backoff");
  EXPECT_EQ(j.attempts, 1);
  EXPECT_EQ(j.lastError, "vendor returned 503");
  EXPECT_LE(j.runAt, failedAt + milliseconds(1000 + 500)) << "backoff above its bound";
  ASSERT_EQ(j.errors.size(), 1u);
  EXPECT_EQ(j.errors[0]["kind"], "retry");
  EXPECT_EQ(j.errors[0]["attempt"], 1);

  // Run it again as soon as it is due.
  std::vector<Job> again;
  ASSERT_TRUE(test::eventually([&] { return !(again = q.queue->claim("w", 1)).empty(); }, std::chrono::seconds(5)));
  EXPECT_EQ(again[0].attempts, 2);
  ASSERT_TRUE(q.queue->finish(id, "w", Outcome{Outcome::Kind::Retry, "vendor returned 502", {}, {}, {}}));
  j = q.job(id);
  EXPECT_EQ(j.status, JobStatus::Discarded) << "after the last attempt: the dead-letter state";
  EXPECT_TRUE(j.completedAt.has_value());
  ASSERT_EQ(j.errors.size(), 2u);
  EXPECT_EQ(j.errors[0]["error"], "vendor returned 503");
  EXPECT_EQ(j.errors[1]["error"], "vendor returned 502");

  auto dead = q.queue->list(JobFilter{{}, {}, {}, {JobStatus::Discarded}, 10});
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].id, id);
  ASSERT_TRUE(q.queue->retry(id));
  j = q.job(id);
  EXPECT_EQ(j.status, JobStatus::Pending);
  EXPECT_EQ(j.attempts, 0);
  EXPECT_EQ(j.errors.size(), 2u) << "the history stays";
  EXPECT_FALSE(q.queue->retry(id)) << "a pending job is not retried";
}

TEST(JobQueue, FatalFailsAtOnce) {
  test::QueueDatabase q;
  auto id = q.queue->enqueue(req("noop")).jobId;
  q.queue->claim("w", 1);
  q.queue->finish(id, "w", Outcome{Outcome::Kind::Fatal, "401 Unauthorized: bad credentials", {}, {}, {}});
  auto j = q.job(id);
  EXPECT_EQ(j.status, JobStatus::Failed);
  EXPECT_EQ(j.attempts, 1);
  EXPECT_EQ(j.errors[0]["kind"], "fatal");
}

TEST(JobQueue, AQuotaWaitUsesNoAttempt) {
  test::QueueDatabase q;
  EnqueueRequest r = req("noop");
  r.maxAttempts = 1;
  auto id = q.queue->enqueue(r).jobId;
  for (int i = 0; i < 3; ++i) {
    std::vector<Job> got;
    ASSERT_TRUE(test::eventually([&] { return !(got = q.queue->claim("w", 1)).empty(); }, std::chrono::seconds(5)));
    EXPECT_EQ(got[0].attempts, 1);
    auto until = Clock::now() + milliseconds(300);
    ASSERT_TRUE(q.queue->finish(id, "w", Outcome{Outcome::Kind::Wait, "HubSpot daily limit", {}, until, "quota"}));
    auto j = q.job(id);
    EXPECT_EQ(j.status, JobStatus::Pending);
    EXPECT_EQ(j.attempts, 0);
    EXPECT_EQ(j.waitReason, "quota");
    EXPECT_EQ(time::toEpochMs(j.runAt), time::toEpochMs(until));
  }
}

TEST(JobQueue, CancelsAPendingJobAtOnceAndAsksARunningOneToStop) {
  test::QueueDatabase q;
  auto pending = q.queue->enqueue(req("noop")).jobId;
  EXPECT_EQ(q.queue->cancel(pending), CancelOutcome::Cancelled);
  EXPECT_EQ(q.job(pending).status, JobStatus::Cancelled);
  EXPECT_EQ(q.queue->cancel(pending), CancelOutcome::AlreadyFinished);
  EXPECT_EQ(q.queue->cancel("00000000-0000-0000-0000-000000000000"), CancelOutcome::NotFound);

  auto running = q.queue->enqueue(req("noop")).jobId;
  q.queue->claim("w", 1);
  db::Connection listener(q.db.conninfo());
  listener.listen(JobQueue::kCancelChannel);
  EXPECT_EQ(q.queue->cancel(running), CancelOutcome::Requested);
  auto n = listener.waitForNotifications(std::chrono::seconds(5));
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].payload, running);
  auto hb = q.queue->heartbeat("w", {running});
  EXPECT_EQ(hb.cancelRequested, std::vector<std::string>{running});
  EXPECT_EQ(q.job(running).status, JobStatus::Running);
}

TEST(JobQueue, EveryExpiredLeaseIsRescuedAndItsSyncRunClosed) {
  auto cfg = test::QueueDatabase::fastQueueConfig();
  cfg.lease = milliseconds(200);
  test::QueueDatabase q(cfg);
  auto ws = q.workspace();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    EnqueueRequest r = req("noop");
    r.maxAttempts = i == 2 ? 1 : 3;
    ids.push_back(q.queue->enqueue(r).jobId);
  }
  q.queue->claim("dead-worker", 3);
  {
    auto c = q.pool->acquire();
    c->exec(
        "INSERT INTO sync_runs (workspace_id, connector, job_id, status) VALUES ($1::uuid, 'tributary.example', $2::uuid, 'running')",
        ws, ids[0]);
  }
  EXPECT_EQ(q.queue->rescueExpired(), 0) << "leases still valid";
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(q.queue->rescueExpired(), 3) << "every stale job, not only the first";
  auto j0 = q.job(ids[0]);
  EXPECT_EQ(j0.status, JobStatus::Pending);
  EXPECT_EQ(j0.lastError, "worker lost");
  EXPECT_EQ(j0.errors[0]["kind"], "worker_lost");
  auto j2 = q.job(ids[2]);
  EXPECT_EQ(j2.status, JobStatus::Discarded) << "no attempts left: a dead letter, like any other";
  EXPECT_EQ(j2.lastError, "worker lost");
  auto c = q.pool->acquire();
  auto run =
      c->exec("SELECT status, completed_at IS NOT NULL, errors::text FROM sync_runs WHERE job_id = $1::uuid", ids[0]);
  EXPECT_EQ(run.text(0, 0), "failed");
  EXPECT_TRUE(run.boolean(0, 1));
  EXPECT_EQ(run.text(0, 2), "[\"worker lost\"]");
}

TEST(JobQueue, HeartbeatRenewsLeasesAndReportsJobsLostElsewhere) {
  auto cfg = test::QueueDatabase::fastQueueConfig();
  cfg.lease = milliseconds(400);
  test::QueueDatabase q(cfg);
  auto a = q.queue->enqueue(req("noop")).jobId;
  auto b = q.queue->enqueue(req("noop")).jobId;
  q.queue->claim("w", 2);
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(milliseconds(150));
    auto reply = q.queue->heartbeat("w", {a});
    EXPECT_TRUE(reply.lost.empty());
  }
  EXPECT_EQ(q.queue->rescueExpired(), 1) << "only the job without heartbeats";
  EXPECT_EQ(q.job(a).status, JobStatus::Running);
  auto reply = q.queue->heartbeat("w", {a, b});
  EXPECT_EQ(reply.lost, std::vector<std::string>{b});
  EXPECT_FALSE(q.queue->finish(b, "w", Outcome{})) << "a rescued job is no longer this worker's";
}

TEST(JobQueue, PruneDeletesOldFinishedJobsButKeepsDeadLetters) {
  test::QueueDatabase q;
  auto done = q.queue->enqueue(req("noop")).jobId;
  auto dead = q.queue->enqueue(req("noop")).jobId;
  auto fresh = q.queue->enqueue(req("noop")).jobId;
  auto c = q.pool->acquire();
  c->exec("UPDATE jobs SET status = 'completed', completed_at = now() - interval '40 days' WHERE id = $1::uuid", done);
  c->exec("UPDATE jobs SET status = 'discarded', completed_at = now() - interval '400 days' WHERE id = $1::uuid", dead);
  c->exec("UPDATE jobs SET status = 'completed', completed_at = now() - interval '1 day' WHERE id = $1::uuid", fresh);
  EXPECT_EQ(q.queue->prune(), 1);
  EXPECT_FALSE(q.queue->get(done));
  EXPECT_TRUE(q.queue->get(dead));
  EXPECT_TRUE(q.queue->get(fresh));
}
