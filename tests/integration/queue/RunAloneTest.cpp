// A worker that runs out of memory cannot say which of its jobs used it (issue 12, item 7): none
// of them pays an attempt, each runs again alone, and only a job that runs out of memory again
// while alone pays. A run_alone job goes only to a worker that runs nothing else, which claims
// nothing else while it runs; a busy worker drains for one, so that it cannot starve.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "QueueTestSupport.h"
#include "queue/JobHandler.h"
#include "queue/Worker.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

namespace run_alone_test {

const std::string kOomKill =
    "worker lost: worker process 4242 killed by signal 9 (SIGKILL) by the kernel's OOM killer: over its memory "
    "cap of 256 MiB (workers.memory_limit_mb)";
const std::string kReleased =
    "; it runs again alone, on a worker that runs nothing else, without using an attempt: which of the worker's "
    "jobs used the memory is unknown";

EnqueueRequest req(std::string kind, Json payload = Json::object()) {
  EnqueueRequest r;
  r.kind = std::move(kind);
  r.payload = std::move(payload);
  return r;
}

// A job already marked run_alone (as an earlier out-of-memory rescue leaves it), due now.
std::string enqueueRunAlone(test::QueueDatabase& q, EnqueueRequest r) {
  r.runAt = Clock::now() + std::chrono::hours(1);  // not claimable before it is marked
  auto id = q.queue->enqueue(r).jobId;
  auto c = q.pool->acquire();
  c->exec("UPDATE jobs SET run_alone = true, run_at = now() WHERE id = $1::uuid", id);
  c->exec("SELECT pg_notify($1, '')", JobQueue::kNotifyChannel);
  return id;
}

std::vector<std::string> idsOf(const std::vector<Job>& jobs) {
  std::vector<std::string> out;
  for (const auto& j : jobs) out.push_back(j.id);
  return out;
}

// rescue() ends a job out of attempts as discarded (the dead letter).
bool outOfAttempts(JobStatus s) { return s == JobStatus::Discarded; }

struct RecordingListener : AttemptListener {
  std::vector<EndedAttempt> seen;
  std::vector<FinishedWork> attemptsEnded(db::Connection& conn, const std::vector<EndedAttempt>& attempts) override {
    EXPECT_TRUE(conn.inTransaction()) << "told inside the rescue's transaction";
    seen.insert(seen.end(), attempts.begin(), attempts.end());
    return {};
  }
};

// Which job ran where and when, from a handler of kind "t.sleep" {ms}.
struct Timeline {
  struct Run {
    std::string job, worker;
    SteadyClock::time_point start, end;
  };
  std::mutex mu;
  std::vector<Run> runs;

  std::shared_ptr<HandlerRegistry> registry() {
    auto r = std::make_shared<HandlerRegistry>();
    r->add("t.sleep", std::make_shared<FunctionHandler>([this](JobContext& ctx) {
             const auto start = SteadyClock::now();
             std::this_thread::sleep_for(milliseconds(ctx.job().payload.value("ms", 100)));
             std::lock_guard lock(mu);
             runs.push_back({ctx.job().id, ctx.workerId(), start, SteadyClock::now()});
             return Outcome{};
           }));
    return r;
  }
  std::optional<Run> find(const std::string& id) {
    std::lock_guard lock(mu);
    for (const auto& r : runs) {
      if (r.job == id) return r;
    }
    return std::nullopt;
  }
  std::vector<Run> all() {
    std::lock_guard lock(mu);
    return runs;
  }
};

std::unique_ptr<Worker> startWorker(test::QueueDatabase& q, const std::shared_ptr<HandlerRegistry>& registry,
                                    const std::string& id, int concurrency, int prefetch = 0) {
  Worker::Options o;
  o.workerId = id;
  o.concurrency = concurrency;
  o.prefetch = prefetch;
  o.onUnstoppableJob = [](const std::string&) {};
  auto w = std::make_unique<Worker>(q.queue, registry, q.db.conninfo(), o);
  w->start();
  return w;
}

TEST(OutOfMemory, ARescueChargesNoneOfTheWorkersJobsAndMarksThemToRunAlone) {
  test::QueueDatabase q;
  auto listener = std::make_shared<RecordingListener>();
  q.queue->setAttemptListener(listener);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    EnqueueRequest r = req("noop");
    r.maxAttempts = 1;  // a charged attempt would end it
    ids.push_back(q.queue->enqueue(r).jobId);
  }
  ASSERT_EQ(q.queue->claim("w1", 3).size(), 3u);
  EXPECT_EQ(q.queue->rescueOutOfMemory("w1", kOomKill), 3);
  for (const auto& id : ids) {
    auto j = q.job(id);
    EXPECT_EQ(j.status, JobStatus::Pending) << id;
    EXPECT_EQ(j.attempts, 0) << "no attempt used";
    EXPECT_TRUE(j.runAlone);
    EXPECT_FALSE(j.workerId);
    ASSERT_EQ(j.errors.size(), 1u);
    EXPECT_EQ(j.errors[0]["kind"], "oom_released");
    EXPECT_EQ(j.errors[0]["error"], kOomKill + kReleased);
  }
  ASSERT_EQ(listener->seen.size(), 3u) << "the runner closes each released attempt";
  for (const auto& e : listener->seen) {
    EXPECT_EQ(e.status, JobStatus::Pending);
    EXPECT_EQ(e.error, kOomKill + kReleased);
  }
}

TEST(OutOfMemory, AJobThatRanAloneAndRunsOutOfMemoryAgainPaysTheAttempt) {
  test::QueueDatabase q;
  auto listener = std::make_shared<RecordingListener>();
  q.queue->setAttemptListener(listener);
  EnqueueRequest r = req("noop");
  r.maxAttempts = 2;
  auto hog = q.queue->enqueue(r).jobId;
  auto neighbour = q.queue->enqueue(req("noop")).jobId;
  ASSERT_EQ(q.queue->claim("w1", 2).size(), 2u);
  ASSERT_EQ(q.queue->rescueOutOfMemory("w1", kOomKill), 2);

  // Alone on the next worker, out of memory again: it pays, as any rescued job does.
  auto alone = q.queue->claim("w2", 10, {}, /*workerIdle=*/true);
  ASSERT_EQ(idsOf(alone), std::vector<std::string>{hog});
  EXPECT_TRUE(alone[0].runAlone);
  listener->seen.clear();
  EXPECT_EQ(q.queue->rescueOutOfMemory("w2", kOomKill), 1);
  auto j = q.job(hog);
  EXPECT_EQ(j.status, JobStatus::Pending) << "retried: one attempt left";
  EXPECT_EQ(j.attempts, 1);
  EXPECT_TRUE(j.runAlone) << "it still runs alone";
  ASSERT_EQ(j.errors.size(), 2u);
  EXPECT_EQ(j.errors[1]["kind"], "worker_lost");
  EXPECT_EQ(j.lastError, kOomKill);
  ASSERT_EQ(listener->seen.size(), 1u);
  EXPECT_EQ(listener->seen[0].jobId, hog);
  EXPECT_EQ(listener->seen[0].status, JobStatus::Pending);

  auto n = q.job(neighbour);
  EXPECT_EQ(n.status, JobStatus::Pending);
  EXPECT_EQ(n.attempts, 0) << "the job beside the hog never paid";
  // It runs (alone too) and completes; the hog, retried later, comes next.
  ASSERT_EQ(idsOf(q.queue->claim("w3", 10, {}, true)), std::vector<std::string>{neighbour});
  ASSERT_TRUE(q.queue->finish(neighbour, "w3", Outcome{}));

  // On its last attempt it ends like any rescued job out of attempts.
  ASSERT_EQ(idsOf(q.queue->claim("w4", 10, {}, true)), std::vector<std::string>{hog});
  EXPECT_EQ(q.queue->rescueOutOfMemory("w4", kOomKill), 1);
  EXPECT_TRUE(outOfAttempts(q.job(hog).status)) << toString(q.job(hog).status);
  EXPECT_EQ(q.job(hog).attempts, 2);
  EXPECT_TRUE(outOfAttempts(listener->seen.back().status));
  EXPECT_EQ(q.job(neighbour).attempts, 1);
}

TEST(OutOfMemory, ARunAloneJobThatSharedItsWorkerIsReleasedAgain) {
  test::QueueDatabase q;
  auto hog = enqueueRunAlone(q, req("noop"));
  auto other = q.queue->enqueue(req("noop")).jobId;
  ASSERT_EQ(idsOf(q.queue->claim("w1", 1, {}, true)), std::vector<std::string>{hog});
  // A worker that claimed beside it anyway (one of an older version, say): it was not alone.
  ASSERT_EQ(idsOf(q.queue->claim("w1", 1)), std::vector<std::string>{other});
  EXPECT_EQ(q.queue->rescueOutOfMemory("w1", kOomKill), 2);
  for (const auto& id : {hog, other}) {
    auto j = q.job(id);
    EXPECT_EQ(j.status, JobStatus::Pending);
    EXPECT_EQ(j.attempts, 0) << id;
    EXPECT_TRUE(j.runAlone);
  }
}

TEST(OutOfMemory, AFailedAllocationInALiveWorkerReleasesThatJobUnlessItRanAlone) {
  test::QueueDatabase q;
  auto a = q.queue->enqueue(req("noop")).jobId;
  auto b = q.queue->enqueue(req("noop")).jobId;
  ASSERT_EQ(q.queue->claim("w1", 2).size(), 2u);
  const std::string error = "out of memory: std::bad_alloc";
  EXPECT_TRUE(q.queue->releaseOutOfMemory(a, "w1", error));
  auto j = q.job(a);
  EXPECT_EQ(j.status, JobStatus::Pending);
  EXPECT_EQ(j.attempts, 0);
  EXPECT_TRUE(j.runAlone);
  EXPECT_EQ(j.errors[0]["kind"], "oom_released");
  EXPECT_EQ(j.errors[0]["error"], error + kReleased);
  EXPECT_EQ(q.job(b).status, JobStatus::Running) << "the job beside it runs on";
  EXPECT_FALSE(q.queue->releaseOutOfMemory(b, "w2", error)) << "another worker's job";

  ASSERT_EQ(idsOf(q.queue->claim("w2", 10, {}, true)), std::vector<std::string>{a});
  EXPECT_FALSE(q.queue->releaseOutOfMemory(a, "w2", error)) << "alone: the worker charges it as any failure";
  EXPECT_EQ(q.job(a).status, JobStatus::Running);
  EXPECT_EQ(q.job(a).attempts, 1);
}

TEST(RunAloneClaim, ARunAloneJobGoesOnlyToAnIdleWorkerAndNothingBesideIt) {
  test::QueueDatabase q;
  EnqueueRequest first = req("noop");
  first.priority = kPriorityManual;  // first in claim order
  auto alone = enqueueRunAlone(q, first);
  std::vector<std::string> others;
  for (int i = 0; i < 5; ++i) others.push_back(q.queue->enqueue(req("noop")).jobId);

  auto busy = q.queue->claim("busy", 3);
  EXPECT_EQ(idsOf(busy), std::vector<std::string>(others.begin(), others.begin() + 3))
      << "a worker that runs something never takes it";
  auto idle = q.queue->claim("idle", 10, {}, /*workerIdle=*/true);
  ASSERT_EQ(idsOf(idle), std::vector<std::string>{alone}) << "an idle worker takes it, and nothing beside it";
  EXPECT_TRUE(idle[0].runAlone);
  EXPECT_EQ(idsOf(q.queue->claim("idle2", 10, {}, true)), std::vector<std::string>(others.begin() + 3, others.end()))
      << "with no run_alone job due, an idle worker claims as any other";
  EXPECT_TRUE(q.queue->claim("idle3", 10, {"other.kind"}, true).empty()) << "kinds still apply";
}

TEST(RunAloneClaim, OneBusyWorkerAtATimeReservesADueRunAloneJob) {
  test::QueueDatabase q;
  auto alone = enqueueRunAlone(q, req("noop"));
  auto s1 = std::make_unique<db::Connection>(q.db.conninfo());
  auto s2 = std::make_unique<db::Connection>(q.db.conninfo());
  EXPECT_EQ(q.queue->reserveRunAlone(*s1), alone);
  EXPECT_FALSE(q.queue->reserveRunAlone(*s2)) << "held by the first";
  q.queue->unreserveRunAlone(*s1, alone);
  EXPECT_FALSE(q.queue->reserveRunAlone(*s2, {"other.kind"})) << "kinds apply";
  EXPECT_EQ(q.queue->reserveRunAlone(*s2), alone);
  // A reservation ends with its worker's session.
  s2.reset();
  EXPECT_TRUE(test::eventually([&] { return q.queue->reserveRunAlone(*s1) == alone; }, seconds(5)));
  q.queue->unreserveRunAlone(*s1, alone);
  ASSERT_EQ(q.queue->claim("w", 1, {}, true).size(), 1u);
  EXPECT_FALSE(q.queue->reserveRunAlone(*s1)) << "no longer due once claimed";
}

TEST(RunAloneWorker, AWorkerRunningARunAloneJobClaimsNothingElseUntilItEnds) {
  test::QueueDatabase q;
  Timeline timeline;
  auto alone = enqueueRunAlone(q, req("t.sleep", {{"ms", 1200}}));
  auto w = startWorker(q, timeline.registry(), "w1", 4);
  ASSERT_TRUE(test::eventually([&] { return q.job(alone).status == JobStatus::Running; }, seconds(10)));
  std::vector<std::string> others;
  for (int i = 0; i < 3; ++i) others.push_back(q.queue->enqueue(req("t.sleep", {{"ms", 50}})).jobId);
  std::this_thread::sleep_for(milliseconds(600));  // several claim rounds (notify, then 200 ms polls)
  for (const auto& id : others) EXPECT_EQ(q.job(id).status, JobStatus::Pending) << "claimed beside a run_alone job";
  ASSERT_TRUE(test::eventually([&] {
    for (const auto& id : others) {
      if (q.job(id).status != JobStatus::Completed) return false;
    }
    return true;
  }));
  w->stop();
  auto a = timeline.find(alone);
  ASSERT_TRUE(a);
  for (const auto& r : timeline.all()) {
    if (r.job != alone) {
      EXPECT_GE(r.start, a->end) << r.job << " overlapped the run_alone job";
    }
  }
}

TEST(RunAloneWorker, ABusyWorkerDrainsForADueRunAloneJobWhileTheOthersGoOnClaiming) {
  test::QueueDatabase q;
  Timeline timeline;
  auto registry = timeline.registry();
  // More work than the workers can finish for seconds. With a prefetch, neither is ever idle
  // while jobs are pending: it refills before its last job ends.
  std::vector<EnqueueRequest> batch;
  for (int i = 0; i < 48; ++i) batch.push_back(req("t.sleep", {{"ms", 250 + (i % 4) * 30}}));
  {
    auto c = q.pool->acquire();
    q.queue->enqueueMany(*c, batch);
  }
  auto w1 = startWorker(q, registry, "w1", 2, 2);
  auto w2 = startWorker(q, registry, "w2", 2, 2);
  ASSERT_TRUE(test::eventually([&] { return w1->running() > 0 && w2->running() > 0; }, seconds(10)));
  auto alone = enqueueRunAlone(q, req("t.sleep", {{"ms", 800}}));
  ASSERT_TRUE(test::eventually([&] { return q.job(alone).status == JobStatus::Completed; }, seconds(30)));
  ASSERT_TRUE(test::eventually([&] { return timeline.all().size() == 49; }, seconds(30)));
  w1->stop();
  w2->stop();

  auto a = *timeline.find(alone);
  auto runs = timeline.all();
  int startedAfter = 0;
  for (const auto& r : runs) {
    if (r.job != alone && r.start >= a.end) ++startedAfter;
  }
  EXPECT_GE(startedAfter, 8) << "it waited until the queue ran (nearly) dry";
  int besideOnOtherWorker = 0;
  for (const auto& r : runs) {
    if (r.job == alone) continue;
    if (r.worker == a.worker) {
      EXPECT_TRUE(r.end <= a.start || r.start >= a.end) << r.job << " ran beside the run_alone job on " << r.worker;
    } else if (r.start >= a.start && r.start < a.end) {
      ++besideOnOtherWorker;
    }
  }
  EXPECT_GT(besideOnOtherWorker, 0) << "the other worker stopped claiming too: only the one that takes it drains";
}

}  // namespace run_alone_test
