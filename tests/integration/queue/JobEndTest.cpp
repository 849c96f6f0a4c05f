// How a job's end is recorded when things go wrong: the end-of-job write failing for a while,
// a job killed over its timeout, a plugin's waits with a time already past.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "QueueTestSupport.h"
#include "queue/Worker.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::unique_ptr<Worker> startWorker(
    test::QueueDatabase& q, const std::shared_ptr<HandlerRegistry>& registry,
    std::function<void(const std::string&)> onUnstoppable = [](const std::string&) {}) {
  Worker::Options o;
  o.workerId = "w1";
  o.concurrency = 2;
  o.onUnstoppableJob = std::move(onUnstoppable);
  auto w = std::make_unique<Worker>(q.queue, registry, q.db.conninfo(), o);
  w->start();
  return w;
}

// Makes the first `failures` writes that complete job `id` fail, as a failover at that moment
// would: a trigger refuses the job row's move from running to completed.
void failTheEndOfJobWrite(test::QueueDatabase& q, const std::string& id, int failures) {
  auto c = q.pool->acquire();
  // The count of tries lives in a sequence, which the failed statement's rollback leaves alone.
  c->execScript(
      "CREATE SEQUENCE end_tries;"
      "CREATE TABLE end_failures (job_id uuid PRIMARY KEY, failures int NOT NULL);"
      "CREATE FUNCTION fail_end() RETURNS trigger LANGUAGE plpgsql AS $$"
      " BEGIN"
      "  IF OLD.status = 'running' AND NEW.status = 'completed'"
      "     AND EXISTS (SELECT 1 FROM end_failures WHERE job_id = NEW.id)"
      "     AND nextval('end_tries') <= (SELECT failures FROM end_failures WHERE job_id = NEW.id) THEN"
      "   RAISE EXCEPTION 'the database went away (simulated)' USING ERRCODE = '57P01';"
      "  END IF;"
      "  RETURN NEW;"
      " END $$;"
      "CREATE TRIGGER fail_end BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION fail_end();");
  c->exec("INSERT INTO end_failures VALUES ($1::uuid, $2)", id, failures);
}

// How many times the job's completion was tried.
int64_t tries(test::QueueDatabase& q) {
  auto c = q.pool->acquire();
  return c->exec("SELECT last_value FROM end_tries").int64(0, 0);
}

}  // namespace

TEST(JobEnd, ALostEndOfJobWriteIsRetriedAndTheJobIsNotRunAgain) {
  for (bool withResult : {false, true}) {  // the batched completion, and finish() with a result
    SCOPED_TRACE(withResult ? "a result" : "no result");
    test::QueueDatabase q(test::QueueDatabase::fastQueueConfig(), withResult ? "r" : "n");
    std::atomic<int> runs{0};
    auto registry = std::make_shared<HandlerRegistry>();
    registry->add("t.once", std::make_shared<FunctionHandler>([&](JobContext&) {
                    ++runs;
                    Outcome o;
                    if (withResult) o.result = Json{{"records", 42}};
                    return o;
                  }));
    EnqueueRequest r;
    r.kind = "t.once";
    const std::string id = q.queue->enqueue(r).jobId;
    // Five failures in a row take the retries (0.1, 0.2, 0.4, 0.8, 1.6 s) past the lease (2 s):
    // without the retry, and the lease kept meanwhile, the job would be rescued and run again.
    failTheEndOfJobWrite(q, id, 5);
    auto w = startWorker(q, registry);
    ASSERT_TRUE(test::eventually([&] { return q.job(id).status == JobStatus::Completed; }, seconds(30)))
        << q.job(id).toJson().dump(2);
    w->stop();
    auto j = q.job(id);
    EXPECT_EQ(runs.load(), 1) << "the job ran again";
    EXPECT_EQ(j.attempts, 1);
    EXPECT_TRUE(j.errors.empty()) << j.errors.dump();
    EXPECT_EQ(tries(q), 6) << "five failed tries, then the one that landed";
    if (withResult) {
      EXPECT_EQ(j.result["records"], 42);
    }
  }
}

TEST(JobEnd, AJobKilledOverItsTimeoutHasItsRunClosedAndItsConnectionInError) {
  auto cfg = test::QueueDatabase::fastQueueConfig();
  cfg.timeoutGrace = milliseconds(300);
  test::QueueDatabase q(cfg);
  auto ws = q.workspace();
  auto conn = q.connection(ws);
  std::atomic<bool> release{false};
  auto registry = std::make_shared<HandlerRegistry>();
  registry->add("sync", std::make_shared<FunctionHandler>([&](JobContext&) {
                  // A plugin that ignores the request to stop.
                  while (!release) std::this_thread::sleep_for(milliseconds(20));
                  return Outcome{};
                }));
  EnqueueRequest r;
  r.kind = "sync";
  r.workspaceId = ws;
  r.connectionId = conn;
  r.timeoutMs = 300;
  const std::string id = q.queue->enqueue(r).jobId;
  {
    // What the engine would have opened as the job began.
    auto c = q.pool->acquire();
    c->exec(
        "INSERT INTO sync_runs (workspace_id, connection_id, connector, job_id, status, attempts)"
        " VALUES ($1::uuid, $2::uuid, 'tributary.example', $3::uuid, 'running',"
        " '[{\"attempt\": 1, \"status\": \"running\", \"records\": 0}]')",
        ws, conn, id);
    c->exec("UPDATE connections SET status = 'syncing' WHERE id = $1::uuid", conn);
  }
  std::atomic<int> killed{0};
  auto w = startWorker(q, registry, [&](const std::string&) { ++killed; });
  ASSERT_TRUE(test::eventually([&] { return killed.load() > 0; }, seconds(20)));
  auto c = q.pool->acquire();
  auto run = c->exec("SELECT status, errors->>0, attempts->0->>'status' FROM sync_runs WHERE job_id = $1::uuid", id);
  const std::string error = "Job " + id + " exceeded timeout of 300ms";
  EXPECT_EQ(run.text(0, 0), "failed");
  EXPECT_EQ(run.text(0, 1), error);
  EXPECT_EQ(run.text(0, 2), "timed_out");
  auto connection = c->exec("SELECT status, error_message FROM connections WHERE id = $1::uuid", conn);
  EXPECT_EQ(connection.text(0, 0), "error");
  EXPECT_EQ(connection.text(0, 1), error);
  auto j = q.job(id);
  EXPECT_EQ(j.status, JobStatus::Pending) << "retried";
  EXPECT_EQ(j.lastError, error);
  EXPECT_EQ(c->exec("SELECT count(*) FROM events WHERE type = 'sync.failed' AND job_id = $1::uuid", id).int64(0, 0), 1);
  release = true;
  w->stop();
}

TEST(JobEnd, WaitsWithATimeAlreadyPastBackOffAndInTheEndCountAsAFailedAttempt) {
  test::QueueDatabase q;
  EnqueueRequest r;
  r.kind = "noop";
  r.maxAttempts = 1;
  const std::string id = q.queue->enqueue(r).jobId;
  auto c = q.pool->acquire();
  int64_t lastDelayMs = 0;
  for (int i = 1; i <= JobQueue::kMaxPastWaits; ++i) {
    // Due again at once: claim it, as a worker would.
    c->exec("UPDATE jobs SET run_at = now() WHERE id = $1::uuid", id);
    ASSERT_EQ(q.queue->claim("w1", 1).size(), 1u) << "wait " << i;
    Outcome wait{Outcome::Kind::Wait, "rate limited", {}, Clock::now() - seconds(30), "rate_limit"};
    ASSERT_TRUE(q.queue->finish(id, "w1", wait));
    auto j = q.job(id);
    EXPECT_EQ(j.status, JobStatus::Pending);
    EXPECT_EQ(j.attempts, 0) << "a wait uses no attempt";
    const int64_t delayMs =
        c->exec("SELECT (extract(epoch from run_at - now()) * 1000)::bigint FROM jobs WHERE id = $1::uuid", id)
            .int64(0, 0);
    EXPECT_GT(delayMs, 500) << "wait " << i << " would come straight back to a claim";
    EXPECT_GE(delayMs, lastDelayMs - 200) << "waits grow";
    lastDelayMs = delayMs;
  }
  c->exec("UPDATE jobs SET run_at = now() WHERE id = $1::uuid", id);
  ASSERT_EQ(q.queue->claim("w1", 1).size(), 1u);
  ASSERT_TRUE(q.queue->finish(id, "w1", Outcome{Outcome::Kind::Wait, "rate limited", {}, Clock::now(), "rate_limit"}));
  auto j = q.job(id);
  EXPECT_EQ(j.status, JobStatus::Discarded) << "its only attempt was charged";
  EXPECT_NE(j.lastError.value_or("").find("times in a row to wait until a time already past (rate limited)"),
            std::string::npos)
      << j.lastError.value_or("");
}

TEST(JobEnd, AWaitWithATimeAheadResetsTheCountOfPastOnes) {
  test::QueueDatabase q;
  EnqueueRequest r;
  r.kind = "noop";
  const std::string id = q.queue->enqueue(r).jobId;
  auto c = q.pool->acquire();
  for (int i = 0; i < 3 * JobQueue::kMaxPastWaits; ++i) {
    c->exec("UPDATE jobs SET run_at = now() WHERE id = $1::uuid", id);
    ASSERT_EQ(q.queue->claim("w1", 1).size(), 1u);
    const bool ahead = i % 2 == 1;
    Outcome wait{Outcome::Kind::Wait, "", {}, Clock::now() + (ahead ? seconds(60) : -seconds(1)), "rate_limit"};
    ASSERT_TRUE(q.queue->finish(id, "w1", wait));
  }
  EXPECT_EQ(q.job(id).status, JobStatus::Pending) << "legitimate waits in between: never a failure";
  EXPECT_EQ(q.job(id).attempts, 0);
}

TEST(JobEnd, AnEndOfJobWriteThatNoRetryCuresIsLeftToTheLeaseAndTheJobRunsAgain) {
  test::QueueDatabase q;
  std::atomic<int> runs{0};
  auto registry = std::make_shared<HandlerRegistry>();
  registry->add("t.once", std::make_shared<FunctionHandler>([&](JobContext&) {
                  ++runs;
                  return Outcome{};
                }));
  EnqueueRequest r;
  r.kind = "t.once";
  const std::string id = q.queue->enqueue(r).jobId;
  {
    // The first attempt's completion is refused for good (not a connection or server condition).
    auto c = q.pool->acquire();
    c->execScript(
        "CREATE FUNCTION refuse_end() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN"
        "  IF OLD.status = 'running' AND NEW.status = 'completed' AND OLD.attempts = 1 THEN"
        "   RAISE EXCEPTION 'this write can never land' USING ERRCODE = 'P0001';"
        "  END IF;"
        "  RETURN NEW;"
        " END $$;"
        "CREATE TRIGGER refuse_end BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION refuse_end();");
  }
  auto w = startWorker(q, registry);
  ASSERT_TRUE(test::eventually([&] { return q.job(id).status == JobStatus::Completed; }, seconds(30)))
      << "the job was held for ever" << q.job(id).toJson().dump(2);
  w->stop();
  EXPECT_EQ(runs.load(), 2) << "rescued once its lease ran out, and run again";
  EXPECT_EQ(q.job(id).attempts, 2);
}

TEST(JobEnd, TheEndOfAnOlderClaimNeverLandsOnANewerOne) {
  test::QueueDatabase q;
  EnqueueRequest r;
  r.kind = "noop";
  const std::string id = q.queue->enqueue(r).jobId;
  auto first = q.queue->claim("w1", 1).at(0);
  ASSERT_EQ(q.queue->rescueWorker("w1", "worker lost: test"), 1);
  auto second = q.queue->claim("w1", 1).at(0);
  ASSERT_NE(first.claimUs, second.claimUs);
  EXPECT_FALSE(
      q.queue->finish(id, "w1", Outcome{Outcome::Kind::Retry, "the old run's late end", {}, {}, {}}, first.claimUs));
  q.queue->completeMany({id}, "w1", {*first.claimUs});
  auto j = q.job(id);
  EXPECT_EQ(j.status, JobStatus::Running) << "the older claim's end landed";
  EXPECT_EQ(j.attempts, 2);
  q.queue->completeMany({id}, "w1", {*second.claimUs});
  EXPECT_EQ(q.job(id).status, JobStatus::Completed);
}

TEST(JobEnd, ARunLeftWaitingIsClosedWhenItsJobFailsIsCancelledOrIsReleased) {
  test::QueueDatabase q;
  auto ws = q.workspace();
  auto conn = q.connection(ws);
  auto openRun = [&](const std::string& jobId, const std::string& status) {
    auto c = q.pool->acquire();
    c->exec(
        "INSERT INTO sync_runs (workspace_id, connection_id, connector, job_id, status, attempts)"
        " VALUES ($1::uuid, $2::uuid, 'tributary.example', $3::uuid, $4,"
        " '[{\"attempt\": 1, \"status\": \"waiting\", \"records\": 0}]')",
        ws, conn, jobId, status);
  };
  auto run = [&](const std::string& jobId) {
    auto c = q.pool->acquire();
    auto r = c->exec("SELECT status, attempts->-1->>'status' FROM sync_runs WHERE job_id = $1::uuid", jobId);
    return r.text(0, 0) + "/" + r.text(0, 1);
  };
  auto syncJob = [&](int maxAttempts) {
    EnqueueRequest r;
    r.kind = "sync";
    r.workspaceId = ws;
    r.connectionId = conn;
    r.maxAttempts = maxAttempts;
    return q.queue->enqueue(r).jobId;
  };
  auto c = q.pool->acquire();
  // Waits with a time already past until the attempt counts as failed.
  const std::string waited = syncJob(1);
  openRun(waited, "waiting");
  for (int i = 0; i <= JobQueue::kMaxPastWaits; ++i) {
    c->exec("UPDATE jobs SET run_at = now() WHERE id = $1::uuid", waited);
    ASSERT_EQ(q.queue->claim("w1", 1).size(), 1u);
    ASSERT_TRUE(q.queue->finish(waited, "w1", Outcome{Outcome::Kind::Wait, "", {}, Clock::now(), "rate_limit"}));
  }
  EXPECT_EQ(q.job(waited).status, JobStatus::Discarded);
  EXPECT_EQ(run(waited), "failed/failed");
  // Cancelled while it waits.
  const std::string cancelled = syncJob(3);
  openRun(cancelled, "waiting");
  EXPECT_EQ(q.queue->cancel(cancelled), CancelOutcome::Cancelled);
  EXPECT_EQ(run(cancelled), "cancelled/cancelled");
  // Released by a worker that stops past its grace.
  const std::string released = syncJob(3);
  auto claimed = q.queue->claim("w1", 1).at(0);
  openRun(released, "running");
  ASSERT_TRUE(q.queue->finish(released, "w1", Outcome{Outcome::Kind::Released, "", {}, {}, {}}, claimed.claimUs));
  EXPECT_EQ(run(released), "pending/released") << "its run waits for the rerun";
  EXPECT_EQ(c->exec("SELECT count(*) FROM events WHERE type = 'sync.failed' AND job_id = $1::uuid", waited).int64(0, 0),
            1);
  EXPECT_EQ(
      c->exec("SELECT count(*) FROM events WHERE type = 'sync.cancelled' AND job_id = $1::uuid", cancelled).int64(0, 0),
      1);
}
