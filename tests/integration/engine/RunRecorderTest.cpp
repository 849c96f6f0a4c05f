#include "engine/RunRecorder.h"

#include <gtest/gtest.h>

#include "EngineRoom.h"
#include "engine/Outbox.h"

using namespace tributary;
using namespace tributary::engine;
using sync::Mode;

namespace {

struct RunRecorderTest : test::EngineRoom {
  std::unique_ptr<RunFence> f;
  std::unique_ptr<RunRecorder> recorder;
  RunStats stats;

  void SetUp() override {
    EngineRoom::SetUp();
    f = fence();
    recorder = make(job);
    stats.streams = Json{{"deals", {{"mode", "initial"}, {"status", "pending"}}}};
  }
  std::unique_ptr<RunRecorder> make(const queue::Job& j) {
    return std::make_unique<RunRecorder>(
        *q.pool, RunSubject{ws, "acme", conn, "example", "tributary.example", j.id, j.attempts, j.maxAttempts, "w1"},
        *f);
  }
  std::vector<std::string> eventTypes() {
    auto c = q.pool->acquire();
    std::vector<std::string> out;
    for (const auto& e : outbox::read(*c, 0, 100).events) out.push_back(e.type);
    return out;
  }
  std::string runStatus() {
    return sql("SELECT status FROM sync_runs WHERE id = $1::uuid", recorder->runId()).text(0, 0);
  }
  std::string connectionStatus() { return sql("SELECT status FROM connections WHERE id = $1::uuid", conn).text(0, 0); }
};

}  // namespace

TEST_F(RunRecorderTest, OpeningARunRecordsItTheConnectionsSyncingAndSyncStarted) {
  recorder->open(Mode::Initial, "scheduled", Json{"deals"}, stats);
  ASSERT_TRUE(recorder->opened());
  auto r = sql("SELECT status, mode, sync_type, job_id::text, metadata FROM sync_runs WHERE id = $1::uuid",
               recorder->runId());
  EXPECT_EQ(r.text(0, 0), "running");
  EXPECT_EQ(r.text(0, 1), "initial");
  EXPECT_EQ(r.text(0, 2), "scheduled");
  EXPECT_EQ(r.text(0, 3), job.id);
  EXPECT_EQ(Json::parse(r.text(0, 4))["streams"]["deals"]["status"], "pending");
  EXPECT_EQ(connectionStatus(), "syncing");
  auto c = q.pool->acquire();
  auto events = outbox::read(*c, 0, 10).events;
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "sync.started");
  EXPECT_EQ(events[0].scope.runId, recorder->runId());
  EXPECT_EQ(events[0].payload["mode"], "initial");
  EXPECT_EQ(events[0].payload["streams"], Json{"deals"});
}

TEST_F(RunRecorderTest, ALaterAttemptOfTheSameJobReopensItsRun) {
  recorder->open(Mode::Initial, "manual", Json{"deals"}, stats);
  const std::string first = recorder->runId();
  recorder->failed("failed", "stream deals: boom", false, 10, stats);
  EXPECT_EQ(runStatus(), "failed");
  auto again = make(job);
  again->open(Mode::Initial, "manual", Json{"deals"}, stats);
  EXPECT_EQ(again->runId(), first);
  EXPECT_EQ(sql("SELECT status, completed_at IS NULL FROM sync_runs WHERE id = $1::uuid", first).text(0, 0), "running");
  EXPECT_EQ(sql("SELECT count(*) FROM sync_runs").int64(0, 0), 1);
}

TEST_F(RunRecorderTest, ProgressAndTheEndAreRecordedWithTheirEvents) {
  recorder->open(Mode::Incremental, "manual", Json{"deals"}, stats);
  stats.progress = Json{{"current", 5}, {"total", 10}, {"message", "page 1"}};
  stats.http.calls = 3;
  recorder->progress(stats);
  auto meta = Json::parse(sql("SELECT metadata FROM sync_runs").text(0, 0));
  EXPECT_EQ(meta["progress"]["current"], 5);
  EXPECT_EQ(meta["http_calls"], 3);
  {
    auto c = q.pool->acquire();
    db::Transaction tx(*c);
    WriteCounts batch;
    batch.records = 10;
    batch.inserted = 5;
    batch.updated = 2;
    batch.unchanged = 3;
    recorder->recordBatch(*c, batch);
    tx.commit();
  }
  RunOutcome o;
  o.status = "completed";
  o.durationMs = 42;
  o.mode = Mode::Incremental;
  auto summary = recorder->finished(o, stats, Json{{"status", "completed"}});
  EXPECT_EQ(summary["records"], 10);
  EXPECT_EQ(summary["inserted"], 5);
  EXPECT_EQ(summary["attempts"], 1);
  auto r = sql("SELECT status, records_synced, duration_ms FROM sync_runs");
  EXPECT_EQ(r.text(0, 0), "completed");
  EXPECT_EQ(r.int64(0, 1), 7);
  EXPECT_EQ(connectionStatus(), "synced");
  auto cursor = Json::parse(sql("SELECT sync_cursor FROM connections WHERE id = $1::uuid", conn).text(0, 0));
  EXPECT_EQ(cursor["lastSyncMode"], "incremental");
  EXPECT_EQ(eventTypes(), (std::vector<std::string>{"sync.started", "sync.progress", "sync.completed"}));
}

TEST_F(RunRecorderTest, APermanentFailurePutsTheConnectionInErrorAndSaysWhetherItWillBeRetried) {
  recorder->open(Mode::Initial, "manual", Json{"deals"}, stats);
  recorder->failed("failed", "check failed: bad key", true, 5, stats);
  EXPECT_EQ(runStatus(), "failed");
  EXPECT_EQ(connectionStatus(), "error");
  auto c = q.pool->acquire();
  auto events = outbox::read(*c, 0, 10).events;
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].type, "sync.failed");
  EXPECT_EQ(events[1].payload["will_retry"], false);
  EXPECT_EQ(events[1].payload["error"], "check failed: bad key");
}

TEST_F(RunRecorderTest, ARunThatLostItsJobRecordsNothingMore) {
  recorder->open(Mode::Initial, "manual", Json{"deals"}, stats);
  loseTheJob();
  RunOutcome o;
  o.status = "completed";
  EXPECT_THROW(recorder->finished(o, stats, Json::object()), queue::ClaimLost);
  EXPECT_TRUE(f->lost());
  recorder->progress(stats);
  recorder->failed("failed", "late", false, 1, stats);
  EXPECT_EQ(runStatus(), "failed") << "closed by the rescue, never overwritten by the lost run";
  EXPECT_EQ(eventTypes(), (std::vector<std::string>{"sync.started", "sync.failed"}))
      << "the rescue's sync.failed, and nothing from the lost run";
  auto c = q.pool->acquire();
  auto failed = outbox::read(*c, 0, 10).events.back();
  EXPECT_EQ(failed.payload["error"], "worker lost: test");
  EXPECT_EQ(failed.payload["will_retry"], true);
}

TEST_F(RunRecorderTest, TheRescueOfAJobClosesItsOpenRunWithTheReason) {
  recorder->open(Mode::Initial, "manual", Json{"deals"}, stats);
  loseTheJob();  // the queue of EngineRoom is app::makeJobQueue's, with the engine's RunCloser
  auto r =
      sql("SELECT status, completed_at IS NOT NULL, errors->>0 FROM sync_runs WHERE id = $1::uuid", recorder->runId());
  EXPECT_EQ(r.text(0, 0), "failed");
  EXPECT_TRUE(r.boolean(0, 1));
  EXPECT_EQ(r.text(0, 2), "worker lost: test");
}

TEST_F(RunRecorderTest, RunCloserClosesOnlyTheOpenRunsOfTheJobsItIsToldOf) {
  recorder->open(Mode::Initial, "manual", Json{"deals"}, stats);
  auto other = claimSync("backfill");
  auto otherRecorder = make(other);
  otherRecorder->open(Mode::Backfill, "backfill", Json{"deals"}, stats);
  RunCloser closer;
  auto c = q.pool->acquire();
  db::Transaction tx(*c);
  EXPECT_TRUE(
      closer.attemptsEnded(*c, {{job.id, "sync", conn, queue::JobStatus::Pending, "worker lost: gone"}}).empty());
  tx.commit();
  EXPECT_EQ(runStatus(), "failed");
  EXPECT_EQ(sql("SELECT status FROM sync_runs WHERE id = $1::uuid", otherRecorder->runId()).text(0, 0), "running");
}

TEST_F(RunRecorderTest, CountsAddUpOverEveryAttemptAndEachAttemptKeepsItsOwn) {
  auto batch = [&](RunRecorder& r, int64_t inserted, int64_t updated) {
    auto c = q.pool->acquire();
    db::Transaction tx(*c);
    WriteCounts w;
    w.records = inserted + updated;
    w.inserted = inserted;
    w.updated = updated;
    r.recordBatch(*c, w);
    tx.commit();
  };
  recorder->open(Mode::Initial, "manual", Json{"deals"}, stats);
  batch(*recorder, 400, 0);
  batch(*recorder, 300, 0);
  loseTheJob();  // the worker dies; the job is retried
  job = q.queue->claim("w1", 1).at(0);
  f = fence();
  auto second = make(job);
  second->open(Mode::Initial, "manual", Json{"deals"}, stats);
  EXPECT_EQ(second->runId(), recorder->runId());
  batch(*second, 300, 0);
  RunOutcome o;
  o.status = "completed";
  auto summary = second->finished(o, stats, Json::object());
  EXPECT_EQ(summary["inserted"], 1000) << "the job's result covers every attempt";
  EXPECT_EQ(summary["attempts"], 2);
  auto r = sql("SELECT records_synced, attempts FROM sync_runs");
  EXPECT_EQ(r.int64(0, 0), 1000) << "records_synced was this attempt's alone";
  const Json attempts = Json::parse(r.text(0, 1));
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0]["attempt"], 1);
  EXPECT_EQ(attempts[0]["inserted"], 700);
  EXPECT_EQ(attempts[0]["status"], "lost");
  EXPECT_EQ(attempts[0]["error"], "worker lost: test");
  EXPECT_FALSE(attempts[0]["ended_at"].is_null());
  EXPECT_EQ(attempts[1]["attempt"], 2);
  EXPECT_EQ(attempts[1]["inserted"], 300);
  EXPECT_EQ(attempts[1]["status"], "completed");
  EXPECT_EQ(attempts[1]["worker"], "w1");
}

TEST_F(RunRecorderTest, AJobWhoseRunHadFinishedIsCompletedNotRunAgain) {
  // The run completed; the worker's report of it to the queue was lost, and the job rescued.
  EXPECT_FALSE(recorder->open(Mode::Incremental, "manual", Json{"deals"}, stats));
  RunOutcome o;
  o.status = "completed";
  auto summary = recorder->finished(o, stats, Json{{"status", "completed"}, {"run_id", recorder->runId()}});
  loseTheJob();
  auto j = q.job(job.id);
  EXPECT_EQ(j.status, queue::JobStatus::Completed) << "the rescue completed the finished job" << j.toJson().dump(2);
  EXPECT_EQ(j.result["run_id"], recorder->runId());
  EXPECT_EQ(sql("SELECT status FROM sync_runs").text(0, 0), "completed");
  EXPECT_EQ(eventTypes(), (std::vector<std::string>{"sync.started", "sync.completed"})) << "no sync.failed";

  // And an attempt that gets to run anyway (its job put back by hand, say) does no work.
  sql("UPDATE jobs SET status = 'pending' WHERE id = $1::uuid", job.id);
  job = q.queue->claim("w1", 1).at(0);
  f = fence();
  auto again = make(job);
  auto before = again->open(Mode::Incremental, "manual", Json{"deals"}, stats);
  ASSERT_TRUE(before);
  EXPECT_EQ((*before)["run_id"], summary["run_id"]) << "the earlier attempt's result";
  EXPECT_EQ((*before)["status"], "completed");
  EXPECT_EQ(eventTypes().size(), 2u) << "no second sync.started";
  EXPECT_EQ(Json::parse(sql("SELECT attempts FROM sync_runs").text(0, 0)).size(), 1u);
}

TEST_F(RunRecorderTest, ARateLimitWaitLeavesTheRunWaitingWithNoFailure) {
  recorder->open(Mode::Initial, "manual", Json{"deals"}, stats);
  recorder->waiting(1'900'000'000'000, "stream deals: simulated rate limit", 10, stats);
  EXPECT_EQ(runStatus(), "waiting");
  EXPECT_EQ(connectionStatus(), "syncing");
  EXPECT_EQ(eventTypes(), (std::vector<std::string>{"sync.started", "sync.waiting"}));
  auto attempts = Json::parse(sql("SELECT attempts FROM sync_runs").text(0, 0));
  EXPECT_EQ(attempts[0]["status"], "waiting");
  EXPECT_EQ(attempts[0]["until"], "2030-03-17T17:46:40.000Z");
}
