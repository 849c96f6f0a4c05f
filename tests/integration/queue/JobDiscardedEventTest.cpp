// job.discarded (migrations/020): a workspace's job that runs out of attempts, by a worker's
// report or by the queue's rescue of a lost one, puts the event in the outbox in the same
// transaction, under the outbox's order lock.

#include <gtest/gtest.h>

#include "QueueTestSupport.h"
#include "common/Files.h"
#include "db/AdvisoryLocks.h"
#include "queue/Worker.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::seconds;

namespace job_discarded_event_test {

struct Discarded {
  std::string type, jobId, workspaceId;
  Json payload;
};

std::vector<Discarded> discardedEvents(test::QueueDatabase& q) {
  auto c = q.pool->acquire();
  auto r = c->exec(
      "SELECT type, job_id::text, workspace_id::text, payload::text FROM events WHERE type = 'job.discarded'"
      " ORDER BY id");
  std::vector<Discarded> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), Json::parse(r.view(i, 3))});
  return out;
}

TEST(JobDiscardedEvent, AJobOutOfAttemptsByItsWorkersReportIsAnEventOfItsWorkspace) {
  test::QueueDatabase q;
  const std::string ws = q.workspace();
  auto registry = std::make_shared<HandlerRegistry>();
  registry->add("t.flaky", std::make_shared<FunctionHandler>([](JobContext&) {
                  Outcome o;
                  o.kind = Outcome::Kind::Retry;
                  o.error = "the vendor answered 502";
                  return o;
                }));
  EnqueueRequest r;
  r.kind = "t.flaky";
  r.workspaceId = ws;
  r.maxAttempts = 2;
  const std::string id = q.queue->enqueue(r).jobId;
  EnqueueRequest noWorkspace;  // discarded too, but of no workspace: no event
  noWorkspace.kind = "t.flaky";
  noWorkspace.maxAttempts = 1;
  const std::string other = q.queue->enqueue(noWorkspace).jobId;
  Worker::Options o;
  o.workerId = "w1";
  Worker w(q.queue, registry, q.db.conninfo(), o);
  w.start();
  ASSERT_TRUE(test::eventually(
      [&] { return q.job(id).status == JobStatus::Discarded && q.job(other).status == JobStatus::Discarded; },
      seconds(30)));
  w.stop();
  const auto events = discardedEvents(q);
  ASSERT_EQ(events.size(), 1u) << "one discard of a workspace's job, one event";
  EXPECT_EQ(events[0].jobId, id);
  EXPECT_EQ(events[0].workspaceId, ws);
  EXPECT_EQ(events[0].payload["kind"], "t.flaky");
  EXPECT_EQ(events[0].payload["attempts"], 2);
  EXPECT_EQ(events[0].payload["max_attempts"], 2);
  EXPECT_NE(events[0].payload["error"].get<std::string>().find("the vendor answered 502"), std::string::npos)
      << events[0].payload.dump();
}

TEST(JobDiscardedEvent, AJobLostOnItsLastAttemptIsAnEventToo) {
  test::QueueDatabase q;
  const std::string ws = q.workspace();
  EnqueueRequest r;
  r.kind = "t.lost";
  r.workspaceId = ws;
  r.maxAttempts = 1;
  const std::string id = q.queue->enqueue(r).jobId;
  {
    auto c = q.pool->acquire();  // claimed by a worker that then vanished: its lease expired
    c->exec(
        "UPDATE jobs SET status = 'running', attempts = 1, worker_id = 'gone', started_at = now(),"
        " lease_expires_at = now() - interval '1 second' WHERE id = $1::uuid",
        id);
  }
  EXPECT_EQ(q.queue->rescueExpired(), 1);
  EXPECT_EQ(q.job(id).status, JobStatus::Discarded);
  const auto events = discardedEvents(q);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].jobId, id);
  EXPECT_NE(events[0].payload["error"].get<std::string>().find("worker lost"), std::string::npos);
}

// The migration takes the lock engine::outbox::emit takes, by its numbers.
TEST(JobDiscardedEvent, TheTriggerTakesTheOutboxsOrderLock) {
  const std::string sql = files::readFile(test::migrationsDir() / "020_job_discarded_event.sql");
  const std::string lock = "pg_advisory_xact_lock(" + std::to_string(db::advisory::kClass) + ", " +
                           std::to_string(db::advisory::kOutboxOrder) + ")";
  EXPECT_NE(sql.find(lock), std::string::npos) << "020 does not take " << lock;
}

}  // namespace job_discarded_event_test
