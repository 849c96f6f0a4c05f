// The queue with real worker processes: `tributary serve --role worker` supervising
// `tributary worker` children on the fixture's PostgreSQL.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <thread>

#include "QueueTestSupport.h"
#include "common/Strings.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

struct WorkerHost {
  test::QueueDatabase& q;
  test::TempDir dir;
  std::unique_ptr<test::ServerProcess> serve;
  Json ready;

  WorkerHost(test::QueueDatabase& qdb, int processes, int concurrency, const std::string& extraYaml = "") : q(qdb) {
    auto cfg = dir.write("tributary.yaml", "database:\n  url: \"" + q.db.conninfo() + "\"\n" +
                                               "workers:\n  processes: " + std::to_string(processes) +
                                               "\n  concurrency: " + std::to_string(concurrency) +
                                               "\n  test_job_kinds: true\n" +
                                               "queue:\n  poll_interval: 500ms\n  lease: 2s\n"
                                               "  heartbeat_interval: 300ms\n  rescue_interval: 200ms\n"
                                               "  timeout_grace: 1s\n  shutdown_grace: 2s\n"
                                               "  retry:\n    default: {base: 20ms, cap: 100ms}\n" +
                                               extraYaml);
    serve = std::make_unique<test::ServerProcess>(
        std::vector<std::string>{test::tributaryBinary().string(), "serve", "--role", "worker", "--config",
                                 cfg.string(), "--ready-file", (dir / "ready.json").string()},
        dir / "serve.log");
    auto r = serve->waitForReadyFile(dir / "ready.json");
    if (!r) throw std::runtime_error("serve --role worker did not start:\n" + serve->log());
    ready = *r;
  }

  std::string log() const { return serve->log(); }
};

EnqueueRequest req(std::string kind, Json payload = Json::object()) {
  EnqueueRequest r;
  r.kind = std::move(kind);
  r.payload = std::move(payload);
  return r;
}

bool waitForStatus(test::QueueDatabase& q, const std::string& id, JobStatus status, seconds timeout = seconds(30)) {
  return test::eventually([&] { return q.job(id).status == status; }, timeout);
}

pid_t workerPidOf(const Job& j) {
  auto parts = strings::split(j.workerId.value_or(""), ':');
  return parts.size() >= 2 ? std::stoi(parts[1]) : 0;  // hostname:pid:bootid
}

}  // namespace

// 10,000 jobs across 4 worker processes: every job runs exactly once.
TEST(WorkerProcesses, TenThousandJobsAcrossFourProcessesRunExactlyOnce) {
  test::QueueDatabase q;
  {
    auto c = q.pool->acquire();
    c->execScript("CREATE TABLE test_job_runs (job_id uuid NOT NULL, worker_id text NOT NULL)");
    std::vector<EnqueueRequest> batch(1000, req("test.record"));
    for (int i = 0; i < 10; ++i) q.queue->enqueueMany(*c, batch);
  }
  WorkerHost host(q, 4, 8);
  auto c = q.pool->acquire();
  ASSERT_TRUE(test::eventually(
      [&] { return c->exec("SELECT count(*) FROM jobs WHERE status = 'completed'").int64(0, 0) == 10000; },
      seconds(240)))
      << c->exec("SELECT status, count(*) FROM jobs GROUP BY 1").text(0, 0) << host.log();
  auto r = c->exec("SELECT count(*), count(DISTINCT job_id), count(DISTINCT worker_id) FROM test_job_runs");
  EXPECT_EQ(r.int64(0, 0), 10000) << "some job ran twice or not at all";
  EXPECT_EQ(r.int64(0, 1), 10000);
  EXPECT_EQ(r.int64(0, 2), 4) << "all four processes took work";
  EXPECT_EQ(c->exec("SELECT count(*) FROM jobs WHERE attempts <> 1").int64(0, 0), 0);
}

// kill -9 of a worker process mid-job: the supervisor restarts it and the job is rescued, with
// the crash recorded and its sync run closed.
TEST(WorkerProcesses, KilledWorkerProcessIsRestartedAndItsJobRescued) {
  test::QueueDatabase q;
  auto ws = q.workspace();
  WorkerHost host(q, 1, 2);
  auto id = q.queue->enqueue(req("test.sleep", {{"ms", 60000}})).jobId;
  ASSERT_TRUE(waitForStatus(q, id, JobStatus::Running)) << host.log();
  {
    auto c = q.pool->acquire();
    c->exec(
        "INSERT INTO sync_runs (workspace_id, connector, job_id, status) VALUES ($1::uuid, 'test', $2::uuid, 'running')",
        ws, id);
  }
  const pid_t victim = workerPidOf(q.job(id));
  ASSERT_GT(victim, 0);
  ::kill(victim, SIGKILL);
  ASSERT_TRUE(test::eventually(
      [&] {
        auto j = q.job(id);
        return j.attempts == 2 && j.status == JobStatus::Running;
      },
      seconds(30)))
      << q.job(id).toJson().dump(2) << host.log();
  auto j = q.job(id);
  EXPECT_NE(workerPidOf(j), victim) << "the restarted worker took it";
  ASSERT_EQ(j.errors.size(), 1u);
  EXPECT_EQ(j.errors[0]["kind"], "worker_lost");
  EXPECT_EQ(j.errors[0]["error"],
            "worker lost: worker process " + std::to_string(victim) + " killed by signal 9 (SIGKILL)");
  auto c = q.pool->acquire();
  auto run = c->exec("SELECT status, completed_at IS NOT NULL, errors->>0 FROM sync_runs WHERE job_id = $1::uuid", id);
  EXPECT_EQ(run.text(0, 0), "failed");
  EXPECT_TRUE(run.boolean(0, 1));
  EXPECT_EQ(run.text(0, 2), j.errors[0]["error"].get<std::string>());
  EXPECT_NE(host.log().find("worker 0: worker process " + std::to_string(victim) +
                            " killed by signal 9 (SIGKILL); restarting in"),
            std::string::npos)
      << host.log();
}

// A worker whose process vanished without its supervisor (another machine lost, say) is noticed
// only through its lease: every expired job is rescued as "worker lost".
TEST(WorkerProcesses, LeaseExpiryRescuesTheJobsOfAWorkerThatVanished) {
  test::QueueDatabase q;
  auto id = q.queue->enqueue(req("test.sleep", {{"ms", 60000}})).jobId;
  test::TempDir dir;
  auto cfg = dir.write(
      "t.yaml",
      "database:\n  url: \"" + q.db.conninfo() +
          "\"\nworkers: {test_job_kinds: true}\nqueue: {lease: 1s, heartbeat_interval: 200ms, rescue_interval: 200ms}\n");
  pid_t lone;
  {
    test::ServerProcess worker({test::tributaryBinary().string(), "worker", "--config", cfg.string()}, dir / "w1.log");
    ASSERT_TRUE(waitForStatus(q, id, JobStatus::Running)) << worker.log();
    lone = worker.pid();
    worker.signal(SIGKILL);
    worker.waitForExit(seconds(10));
  }
  EXPECT_EQ(workerPidOf(q.job(id)), lone);
  test::ServerProcess other({test::tributaryBinary().string(), "worker", "--config", cfg.string()}, dir / "w2.log");
  ASSERT_TRUE(test::eventually([&] { return q.job(id).attempts == 2; }, seconds(20))) << other.log();
  auto j = q.job(id);
  EXPECT_EQ(j.errors[0]["error"], "worker lost");
  EXPECT_EQ(j.status, JobStatus::Running);
}

TEST(WorkerProcesses, ATimeoutCancelsTheJobAndFailsItWithItsExactMessage) {
  test::QueueDatabase q;
  WorkerHost host(q, 1, 2);
  EnqueueRequest r = req("test.sleep", {{"ms", 30000}});
  r.timeoutMs = 700;
  r.maxAttempts = 1;
  auto id = q.queue->enqueue(r).jobId;
  ASSERT_TRUE(waitForStatus(q, id, JobStatus::Discarded)) << q.job(id).toJson().dump(2) << host.log();
  auto j = q.job(id);
  EXPECT_EQ(j.lastError, "Job " + id + " exceeded timeout of 700ms");
  EXPECT_EQ(j.attempts, 1) << "a timeout uses an attempt";
}

TEST(WorkerProcesses, AJobThatIgnoresItsTimeoutHasItsWorkerKilledAndOthersGoOn) {
  test::QueueDatabase q;
  WorkerHost host(q, 1, 4);
  EnqueueRequest stubborn = req("test.sleep", {{"ms", 60000}, {"ignore_stop", true}});
  stubborn.timeoutMs = 500;
  stubborn.maxAttempts = 1;
  auto other = q.queue->enqueue(req("test.sleep", {{"ms", 60000}})).jobId;
  ASSERT_TRUE(waitForStatus(q, other, JobStatus::Running)) << host.log();
  const auto firstWorker = q.job(other).workerId;
  auto id = q.queue->enqueue(stubborn).jobId;
  ASSERT_TRUE(waitForStatus(q, id, JobStatus::Discarded, seconds(30))) << host.log();
  EXPECT_EQ(q.job(id).lastError, "Job " + id + " exceeded timeout of 500ms");
  EXPECT_NE(host.log().find("job " + id + " did not stop within 1000 ms of its timeout; ending worker process"),
            std::string::npos)
      << host.log();
  // The bystander was released without losing an attempt and runs again on the new process
  // (a new worker id: until the old process is gone it may still show Running there).
  ASSERT_TRUE(test::eventually(
      [&] {
        auto j = q.job(other);
        return j.status == JobStatus::Running && j.workerId != std::nullopt && j.workerId != firstWorker;
      },
      seconds(30)))
      << host.log();
  EXPECT_EQ(q.job(other).attempts, 1) << q.job(other).toJson().dump(2) << host.log();
}

TEST(WorkerProcesses, CancellingARunningJobStopsItPromptly) {
  test::QueueDatabase q;
  WorkerHost host(q, 1, 2);
  auto id = q.queue->enqueue(req("test.sleep", {{"ms", 60000}})).jobId;
  ASSERT_TRUE(waitForStatus(q, id, JobStatus::Running)) << host.log();
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(q.queue->cancel(id), CancelOutcome::Requested);
  ASSERT_TRUE(waitForStatus(q, id, JobStatus::Cancelled, seconds(10))) << host.log();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, seconds(3)) << "cancellation waited for a heartbeat or poll";
  EXPECT_EQ(q.job(id).lastError, "cancelled on request");
}

TEST(WorkerProcesses, AJobClaimedAgainWhileItsOldRunStillStopsWaitsForIt) {
  test::QueueDatabase q;
  WorkerHost host(q, 1, 2);
  // A run that takes 3 s whatever it is told.
  auto id = q.queue->enqueue(req("test.sleep", {{"ms", 3000}, {"ignore_stop", true}})).jobId;
  ASSERT_TRUE(waitForStatus(q, id, JobStatus::Running)) << host.log();
  // As a rescue does when the worker could not renew the lease: pending again, at once.
  {
    auto c = q.pool->acquire();
    c->exec(
        "UPDATE jobs SET status = 'pending', worker_id = NULL, lease_expires_at = NULL, run_at = now()"
        " WHERE id = $1::uuid",
        id);
    c->exec("SELECT pg_notify($1, '')", JobQueue::kNotifyChannel);
  }
  ASSERT_TRUE(test::eventually(
      [&] {
        return host.log().find("job " + id + " was claimed again while its previous run here is still stopping") !=
               std::string::npos;
      },
      seconds(10)))
      << host.log();
  // It runs once more after the old run ends, and the old run's end is not taken for the new one's.
  ASSERT_TRUE(waitForStatus(q, id, JobStatus::Completed, seconds(30))) << host.log();
  auto j = q.job(id);
  EXPECT_TRUE(j.errors.empty()) << j.errors.dump();
  EXPECT_EQ(j.attempts, 2) << "the waits while the old run stopped used an attempt";
}

TEST(WorkerProcesses, RetriesDeadLettersAndRevivesThroughTheCli) {
  test::QueueDatabase q;
  WorkerHost host(q, 1, 2);
  EnqueueRequest r = req("test.fail", {{"mode", "retry"}, {"message", "HTTP 503 from vendor"}});
  r.maxAttempts = 3;
  auto id = q.queue->enqueue(r).jobId;
  ASSERT_TRUE(waitForStatus(q, id, JobStatus::Discarded)) << host.log();
  auto j = q.job(id);
  EXPECT_EQ(j.attempts, 3);
  EXPECT_EQ(j.errors.size(), 3u);
  // One log line per retry with the attempt, the delay and the error.
  EXPECT_NE(host.log().find("job " + id + " (test.fail) failed attempt 1/3: HTTP 503 from vendor; retrying in"),
            std::string::npos)
      << host.log();
  EXPECT_NE(host.log().find("job " + id +
                            " (test.fail) failed attempt 3/3: HTTP 503 from vendor; no attempts left, discarded"),
            std::string::npos);

  auto cfgFile = host.dir / "tributary.yaml";
  auto list = test::runProgram(
      {test::tributaryBinary().string(), "jobs", "list", "--status", "discarded", "--config", cfgFile.string()});
  EXPECT_TRUE(list.ok()) << list.output;
  EXPECT_NE(list.output.find(id + "  test.fail     discarded       3/3"), std::string::npos) << list.output;
  auto retry = test::runProgram({test::tributaryBinary().string(), "jobs", "retry", id, "--config", cfgFile.string()});
  EXPECT_TRUE(retry.ok()) << retry.output;
  EXPECT_EQ(retry.output, "job " + id + " is pending again\n");
  ASSERT_TRUE(test::eventually([&] { return q.job(id).errors.size() == 6; }, seconds(30)));
  EXPECT_EQ(q.job(id).status, JobStatus::Discarded);
}

TEST(WorkerProcesses, AQuotaWaitParksTheJobWithoutUsingAnAttempt) {
  test::QueueDatabase q;
  WorkerHost host(q, 1, 2);
  EnqueueRequest r = req("test.fail", {{"mode", "wait"}, {"wait_ms", 60000}, {"reason", "quota"}});
  r.maxAttempts = 1;
  auto id = q.queue->enqueue(r).jobId;
  ASSERT_TRUE(test::eventually([&] {
    auto j = q.job(id);
    return j.status == JobStatus::Pending && j.waitReason == "quota";
  })) << host.log();
  EXPECT_EQ(q.job(id).attempts, 0);
}

TEST(WorkerProcesses, ACrashIsRecordedWithItsSignalAndPluginAndOtherJobsGoOn) {
  test::QueueDatabase q;
  WorkerHost host(q, 2, 4);
  EnqueueRequest crash = req("test.crash", {{"signal", SIGSEGV}});
  crash.maxAttempts = 1;
  std::vector<std::string> others;
  auto c = q.pool->acquire();
  c->execScript("CREATE TABLE test_job_runs (job_id uuid NOT NULL, worker_id text NOT NULL)");
  for (int i = 0; i < 50; ++i) others.push_back(q.queue->enqueue(req("test.record")).jobId);
  auto id = q.queue->enqueue(crash).jobId;
  for (int i = 0; i < 50; ++i) others.push_back(q.queue->enqueue(req("test.record")).jobId);
  ASSERT_TRUE(waitForStatus(q, id, JobStatus::Discarded)) << "its only attempt used: a dead letter" << host.log();
  auto j = q.job(id);
  const std::string err = j.lastError.value_or("");
  EXPECT_NE(err.find("killed by signal 11 (SIGSEGV) while running plugin test.crash 1"), std::string::npos) << err;
  // Every other job completes. (A job that was mid-flight on the crashed process runs again:
  // the queue is at-least-once; the sync engine's checkpoints make that harmless.)
  ASSERT_TRUE(test::eventually(
      [&] {
        return c->exec("SELECT count(*) FROM jobs WHERE kind = 'test.record' AND status = 'completed'").int64(0, 0) ==
               100;
      },
      seconds(60)))
      << host.log();
  EXPECT_EQ(c->exec("SELECT count(DISTINCT job_id) FROM test_job_runs").int64(0, 0), 100);
}

TEST(WorkerProcesses, MemoryCapFailsAnOversizedJobAndSparesTheRest) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "RLIMIT_AS cannot work under AddressSanitizer";
#endif
  test::QueueDatabase q;
  WorkerHost host(q, 1, 2, "");
  // Restart with a cap: the test's config has no memory limit key, so write a second host.
  host.serve->stop();
  test::TempDir dir;
  auto cfg = dir.write(
      "t.yaml", "database:\n  url: \"" + q.db.conninfo() +
                    "\"\nworkers: {processes: 1, test_job_kinds: true, memory_limit_mb: 1024, memory_cap: rlimit}\n"
                    "queue: {retry: {default: {base: 10ms, cap: 10ms}}}\n");
  test::ServerProcess capped({test::tributaryBinary().string(), "serve", "--role", "worker", "--config", cfg.string(),
                              "--ready-file", (dir / "ready.json").string()},
                             dir / "capped.log");
  ASSERT_TRUE(capped.waitForReadyFile(dir / "ready.json")) << capped.log();
  EnqueueRequest big = req("test.alloc", {{"mb", 4096}});
  big.maxAttempts = 1;
  auto bigId = q.queue->enqueue(big).jobId;
  auto smallId = q.queue->enqueue(req("test.alloc", {{"mb", 64}})).jobId;
  ASSERT_TRUE(waitForStatus(q, bigId, JobStatus::Discarded)) << capped.log();
  EXPECT_NE(q.job(bigId).lastError.value_or("").find("bad_alloc"), std::string::npos)
      << q.job(bigId).lastError.value_or("");
  ASSERT_TRUE(waitForStatus(q, smallId, JobStatus::Completed)) << capped.log();
}

namespace {

// A host whose one worker process is capped with RLIMIT_AS at 1 GiB.
struct CappedWorkerHost {
  test::TempDir dir;
  std::unique_ptr<test::ServerProcess> serve;

  explicit CappedWorkerHost(test::QueueDatabase& q) {
    auto cfg = dir.write("t.yaml", "database:\n  url: \"" + q.db.conninfo() +
                                       "\"\nworkers: {processes: 1, concurrency: 2, test_job_kinds: true,"
                                       " memory_limit_mb: 1024, memory_cap: rlimit}\n"
                                       "queue: {poll_interval: 500ms, lease: 2s, heartbeat_interval: 300ms,"
                                       " rescue_interval: 200ms, retry: {default: {base: 10ms, cap: 10ms}}}\n");
    serve = std::make_unique<test::ServerProcess>(
        std::vector<std::string>{test::tributaryBinary().string(), "serve", "--role", "worker", "--config",
                                 cfg.string(), "--ready-file", (dir / "ready.json").string()},
        dir / "capped.log");
    if (!serve->waitForReadyFile(dir / "ready.json")) throw std::runtime_error("serve did not start:\n" + log());
  }
  std::string log() const { return serve->log(); }
};

// rescue() ends a job out of attempts as failed, or discarded (the dead letter).
bool outOfAttempts(JobStatus s) { return s == JobStatus::Discarded; }

}  // namespace

// Under RLIMIT_AS, an allocation refused where nothing can catch it (here on a thread the job
// started) ends the worker. Which job used the memory is unknown: the job beside it runs again
// with no attempt used and completes; the hog, run again alone, runs out of memory again and pays.
TEST(WorkerProcesses, AnOutOfMemoryAbortChargesNoJobBesideItAndTheHogOnlyWhenItRanAlone) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "RLIMIT_AS cannot work under AddressSanitizer";
#endif
  test::QueueDatabase q;
  CappedWorkerHost host(q);
  auto sleeper = q.queue->enqueue(req("test.sleep", {{"ms", 1500}})).jobId;
  ASSERT_TRUE(waitForStatus(q, sleeper, JobStatus::Running)) << host.log();
  const pid_t first = workerPidOf(q.job(sleeper));
  EnqueueRequest hog = req("test.alloc", {{"mb", 4096}, {"uncaught", true}});
  hog.maxAttempts = 1;
  auto hogId = q.queue->enqueue(hog).jobId;
  ASSERT_TRUE(test::eventually([&] { return outOfAttempts(q.job(hogId).status); }, seconds(60)))
      << q.job(hogId).toJson().dump(2) << host.log();
  ASSERT_TRUE(waitForStatus(q, sleeper, JobStatus::Completed)) << q.job(sleeper).toJson().dump(2) << host.log();

  const std::string cause = "worker lost: worker process " + std::to_string(first) +
                            " killed by signal 6 (SIGABRT) after an allocation failed (std::bad_alloc) under its "
                            "memory cap of 1024 MiB (workers.memory_limit_mb)";
  auto s = q.job(sleeper);
  EXPECT_EQ(s.attempts, 1) << "the run the abort ended gave its attempt back";
  ASSERT_EQ(s.errors.size(), 1u) << s.errors.dump(2);
  EXPECT_EQ(s.errors[0]["kind"], "oom_released");
  EXPECT_EQ(s.errors[0]["error"].get<std::string>().rfind(cause + "; it runs again alone", 0), 0u) << s.errors[0];
  auto h = q.job(hogId);
  EXPECT_EQ(h.attempts, 1) << "only the run alone was charged";
  EXPECT_TRUE(h.runAlone);
  ASSERT_EQ(h.errors.size(), 2u) << h.errors.dump(2);
  EXPECT_EQ(h.errors[0]["kind"], "oom_released");
  EXPECT_EQ(h.errors[0]["error"].get<std::string>().rfind(cause + "; it runs again alone", 0), 0u) << h.errors[0];
  EXPECT_EQ(h.errors[1]["kind"], "worker_lost");
  EXPECT_NE(h.lastError.value_or("").find(" after an allocation failed (std::bad_alloc) under its memory cap"),
            std::string::npos)
      << h.lastError.value_or("");
  EXPECT_NE(workerPidOf(h), first) << "it ran again on another worker process";
}

// An allocation that fails in a job's own thread is caught, and the worker lives on: the job is
// released to run alone first (it may only have been unlucky beside the job that used the
// memory), and charged only when it fails again there.
TEST(WorkerProcesses, AnAllocationThatFailsInAJobReleasesItToRunAloneAndChargesItThere) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "RLIMIT_AS cannot work under AddressSanitizer";
#endif
  test::QueueDatabase q;
  CappedWorkerHost host(q);
  EnqueueRequest big = req("test.alloc", {{"mb", 4096}});
  big.maxAttempts = 1;
  auto bigId = q.queue->enqueue(big).jobId;
  ASSERT_TRUE(waitForStatus(q, bigId, JobStatus::Discarded)) << q.job(bigId).toJson().dump(2) << host.log();
  const std::string error =
      "out of memory: std::bad_alloc under the worker's address-space cap of 1024 MiB (RLIMIT_AS, "
      "workers.memory_limit_mb)";
  auto j = q.job(bigId);
  EXPECT_EQ(j.attempts, 1);
  EXPECT_TRUE(j.runAlone);
  ASSERT_EQ(j.errors.size(), 2u) << j.errors.dump(2);
  EXPECT_EQ(j.errors[0]["kind"], "oom_released");
  EXPECT_EQ(j.errors[0]["error"].get<std::string>().rfind(error + "; it runs again alone", 0), 0u) << j.errors[0];
  EXPECT_EQ(j.errors[1]["kind"], "retry");
  EXPECT_EQ(j.lastError, error);
  EXPECT_EQ(host.log().find("restarting in"), std::string::npos) << "the worker process lived on" << host.log();
}

TEST(WorkerProcesses, GracefulShutdownReleasesRunningJobsWithoutUsingAnAttempt) {
  test::QueueDatabase q;
  WorkerHost host(q, 1, 2);
  auto id = q.queue->enqueue(req("test.sleep", {{"ms", 60000}})).jobId;
  ASSERT_TRUE(waitForStatus(q, id, JobStatus::Running)) << host.log();
  int st = host.serve->stop();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << host.log();
  auto j = q.job(id);
  EXPECT_EQ(j.status, JobStatus::Pending) << host.log();
  EXPECT_EQ(j.attempts, 0);
  EXPECT_EQ(j.waitReason, "shutdown");
}
