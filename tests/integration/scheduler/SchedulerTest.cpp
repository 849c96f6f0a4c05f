#include "scheduler/Scheduler.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "SchedulerTestSupport.h"
#include "common/Log.h"
#include "db/Pool.h"

using namespace tributary;
using scheduler::Scheduler;
using scheduler::TickReport;
using TimePoint = Scheduler::TimePoint;

namespace {

TimePoint at(const std::string& iso) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &s, &ms) < 6) {
    throw std::runtime_error("bad test time " + iso);
  }
  auto day =
      date::sys_days{date::year{y} / date::month{static_cast<unsigned>(mo)} / date::day{static_cast<unsigned>(d)}};
  return TimePoint(day) + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(s) +
         std::chrono::milliseconds(ms);
}

// The scheduler on a migrated database of the test's own, with a clock the test moves.
class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::configure(log::Level::Info, log::Format::Text);
    pool_ = std::make_shared<db::Pool>(db.conninfo(), config::PoolConfig{});
    queue_ = std::make_shared<queue::JobQueue>(pool_, config::QueueConfig{});
    workspace = db.addWorkspace("acme");
  }

  std::unique_ptr<Scheduler> makeScheduler(config::SchedulerConfig cfg = {}, const std::string& hostId = "test-host") {
    Scheduler::Options options;
    options.hostId = hostId;
    options.clock = [this] { return now; };
    return std::make_unique<Scheduler>(db.conninfo(), queue_, cfg, options);
  }

  // One tick at `time`, with what it logged.
  TickReport tickAt(Scheduler& s, const std::string& time, std::string* logged = nullptr) {
    now = at(time);
    if (logged) ::testing::internal::CaptureStderr();
    TickReport r = s.tickOnce();
    if (logged) *logged = ::testing::internal::GetCapturedStderr();
    return r;
  }

  std::string stateText(const std::string& connectionId, const std::string& column) {
    auto r = db.sql().exec("SELECT to_char(" + column +
                               " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                               "FROM schedule_state WHERE connection_id = $1",
                           connectionId);
    return r.empty() || r.isNull(0, 0) ? "(none)" : r.text(0, 0);
  }

  std::string outcome(const std::string& connectionId) {
    auto r = db.sql().exec("SELECT last_outcome FROM schedule_state WHERE connection_id = $1", connectionId);
    return r.empty() || r.isNull(0, 0) ? "(none)" : r.text(0, 0);
  }

  test::SchedulerDatabase db;
  std::string workspace;
  TimePoint now{};

 private:
  std::shared_ptr<db::Pool> pool_;
  std::shared_ptr<queue::JobQueue> queue_;
};

}  // namespace

TEST_F(SchedulerTest, NewScheduleIsArmedForItsNextSlotWithoutFiring) {
  auto conn = db.addConnection(workspace, "hubspot", "0 2 * * *");
  auto s = makeScheduler();
  auto r = tickAt(*s, "2024-01-15T10:30:00Z");
  EXPECT_TRUE(r.leader);
  EXPECT_EQ(r.armed, 1);
  EXPECT_EQ(r.queued, 0);
  EXPECT_EQ(stateText(conn, "next_slot"), "2024-01-16T02:00:00Z");
  EXPECT_EQ(db.count("SELECT count(*) FROM jobs"), 0);
}

TEST_F(SchedulerTest, DueSlotFiresOneSyncJobWithItsShape) {
  auto conn = db.addConnection(workspace, "hubspot", "0 2 * * *");
  auto s = makeScheduler();
  tickAt(*s, "2024-01-15T10:30:00Z");
  EXPECT_EQ(tickAt(*s, "2024-01-16T01:59:59.900Z").queued, 0);

  std::string logged;
  auto r = tickAt(*s, "2024-01-16T02:00:00.050Z", &logged);
  EXPECT_EQ(r.due, 1);
  EXPECT_EQ(r.queued, 1);
  EXPECT_NE(logged.find("queueing 1 scheduled sync\n"), std::string::npos) << logged;
  EXPECT_NE(logged.find("queued 1/1\n"), std::string::npos) << logged;

  auto job = db.sql().exec(
      "SELECT kind, workspace_id::text, connection_id::text, priority, payload::text, unique_key, "
      "status FROM jobs");
  ASSERT_EQ(job.rows(), 1);
  EXPECT_EQ(job.text(0, 0), "sync");
  EXPECT_EQ(job.text(0, 1), workspace);
  EXPECT_EQ(job.text(0, 2), conn);
  EXPECT_EQ(job.int64(0, 3), queue::kPriorityScheduled);
  EXPECT_EQ(nlohmann::json::parse(job.text(0, 4)),
            nlohmann::json::parse(R"({"sync_type":"scheduled","mode":"auto","slot":"2024-01-16T02:00:00Z"})"));
  EXPECT_EQ(job.text(0, 5), "sync:" + conn + ":2024-01-16T02:00:00Z");
  EXPECT_EQ(job.text(0, 6), "pending");
  EXPECT_EQ(stateText(conn, "next_slot"), "2024-01-17T02:00:00Z");
  EXPECT_EQ(stateText(conn, "last_slot"), "2024-01-16T02:00:00Z");
  EXPECT_EQ(outcome(conn), "queued");

  // The slot is recorded: later ticks do not fire it again, even with the job gone.
  db.completeSyncJobs();
  EXPECT_EQ(tickAt(*s, "2024-01-16T02:00:00.600Z").queued, 0);
  EXPECT_EQ(tickAt(*s, "2024-01-16T12:00:00Z").queued, 0);
  EXPECT_EQ(db.scheduledJobs(conn), 1);
  EXPECT_EQ(tickAt(*s, "2024-01-17T02:00:00Z").queued, 1);
  EXPECT_EQ(db.scheduledJobs(conn), 2);
}

// A scheduled sync asks for `auto`, so that an initial sync an earlier job left unfinished (out
// of attempts, say) resumes from its checkpoint instead of starting over; what it is expected to
// run only chooses its timeout.
TEST_F(SchedulerTest, ScheduledSyncsAskForAutoWithTheTimeoutOfWhatTheyWillRun) {
  auto fresh = db.addConnection(workspace, "fresh", "0 2 * * *");
  auto synced = db.addConnection(workspace, "synced", "0 2 * * *");
  auto cursor = db.addConnection(workspace, "cursor", "0 2 * * *");
  auto streams = db.addConnection(workspace, "streams", "0 2 * * *");
  auto started = db.addConnection(workspace, "started", "0 2 * * *");
  db.sql().exec("UPDATE connections SET last_sync_at = now() WHERE id = $1", synced);
  db.sql().exec("UPDATE connections SET sync_cursor = '{\"lastSyncMode\":\"initial\"}' WHERE id = $1", cursor);
  // A stream whose initial sync completed counts; an initial sync's checkpoint alone does not.
  db.sql().exec("INSERT INTO stream_state (connection_id, stream, initialized_at) VALUES ($1, 'deals', now())",
                streams);
  db.sql().exec(
      "INSERT INTO stream_state (connection_id, stream, cursor, cursor_mode) VALUES ($1, "
      "'deals', '{\"page\": 3}', 'initial')",
      started);
  auto s = makeScheduler();
  tickAt(*s, "2024-01-15T10:30:00Z");
  EXPECT_EQ(tickAt(*s, "2024-01-16T02:00:00Z").queued, 5);
  auto mode = [&](const std::string& id) {
    return db.sql().exec("SELECT payload->>'mode' FROM jobs WHERE connection_id = $1", id).text(0, 0);
  };
  auto timeout = [&](const std::string& id) {
    return db.sql().exec("SELECT timeout_ms FROM jobs WHERE connection_id = $1", id).int64(0, 0);
  };
  const config::QueueConfig defaults;
  for (const auto& id : {fresh, synced, cursor, streams, started}) EXPECT_EQ(mode(id), "auto");
  EXPECT_EQ(timeout(fresh), defaults.initialTimeout.count());
  EXPECT_EQ(timeout(synced), defaults.incrementalTimeout.count());
  EXPECT_EQ(timeout(cursor), defaults.incrementalTimeout.count());
  EXPECT_EQ(timeout(streams), defaults.incrementalTimeout.count());
  EXPECT_EQ(timeout(started), defaults.initialTimeout.count()) << "its initial sync never completed";
}

TEST_F(SchedulerTest, ConnectionWithARunningOrPendingSyncIsSkippedByName) {
  auto running = db.addConnection(workspace, "hubspot", "0 2 * * *");
  auto pending = db.addConnection(workspace, "gong", "0 2 * * *");
  auto idle = db.addConnection(workspace, "salesforce", "0 2 * * *");
  auto s = makeScheduler();
  tickAt(*s, "2024-01-15T10:30:00Z");
  auto runningJob = db.addSyncJob(workspace, running, "running");
  auto pendingJob = db.addSyncJob(workspace, pending, "pending");

  std::string logged;
  auto r = tickAt(*s, "2024-01-16T02:00:00Z", &logged);
  EXPECT_EQ(r.due, 3);
  EXPECT_EQ(r.skippedBusy, 2);
  EXPECT_EQ(r.queued, 1);
  EXPECT_NE(logged.find("skipping the scheduled sync of acme/hubspot for 2024-01-16T02:00:00Z: its "
                        "sync job " +
                        runningJob + " is still running; next slot 2024-01-17T02:00:00Z"),
            std::string::npos)
      << logged;
  EXPECT_NE(logged.find("skipping the scheduled sync of acme/gong for 2024-01-16T02:00:00Z: its "
                        "sync job " +
                        pendingJob + " is still pending; next slot 2024-01-17T02:00:00Z"),
            std::string::npos)
      << logged;
  EXPECT_NE(logged.find("queueing 1 scheduled sync\n"), std::string::npos) << logged;
  EXPECT_NE(logged.find("queued 1/1\n"), std::string::npos) << logged;
  EXPECT_EQ(db.scheduledJobs(running), 0);
  EXPECT_EQ(db.scheduledJobs(pending), 0);
  EXPECT_EQ(db.scheduledJobs(idle), 1);
  EXPECT_EQ(outcome(running), "busy");
  EXPECT_EQ(stateText(running, "next_slot"), "2024-01-17T02:00:00Z");

  // The skipped slot stays skipped when the sync ends; the next slot fires.
  db.completeSyncJobs();
  EXPECT_EQ(tickAt(*s, "2024-01-16T03:00:00Z").queued, 0);
  EXPECT_EQ(tickAt(*s, "2024-01-17T02:00:00Z").queued, 3);
}

TEST_F(SchedulerTest, MissedSlotsRunOnceUnderRunOnce) {
  auto conn = db.addConnection(workspace, "hubspot", "0 2 * * *");
  auto s = makeScheduler();
  tickAt(*s, "2024-01-05T10:30:00Z");
  // Every host was down from January 5th to the 15th: ten 02:00 slots passed.
  std::string logged;
  auto r = tickAt(*s, "2024-01-15T10:30:00Z", &logged);
  EXPECT_EQ(r.queued, 1);
  EXPECT_EQ(r.misfiresRun, 1);
  EXPECT_NE(logged.find("acme/hubspot missed its slots from 2024-01-06T02:00:00Z to "
                        "2024-01-15T02:00:00Z while no scheduler ran; queueing one sync for them "
                        "(misfire: run_once)"),
            std::string::npos)
      << logged;
  EXPECT_EQ(db.sql().exec("SELECT unique_key FROM jobs").text(0, 0), "sync:" + conn + ":2024-01-15T02:00:00Z");
  EXPECT_EQ(stateText(conn, "next_slot"), "2024-01-16T02:00:00Z");

  db.completeSyncJobs();
  EXPECT_EQ(tickAt(*s, "2024-01-15T10:30:01Z").queued, 0);
  EXPECT_EQ(tickAt(*s, "2024-01-16T02:00:00Z").queued, 1);
  EXPECT_EQ(db.scheduledJobs(conn), 2);
}

TEST_F(SchedulerTest, MissedSlotsSetFarInThePastRunOnce) {
  auto conn = db.addConnection(workspace, "hubspot", "*/10 * * * * *");
  config::SchedulerConfig cfg;
  cfg.misfireGrace = std::chrono::seconds(2);
  auto s = makeScheduler(cfg);
  tickAt(*s, "2024-01-15T10:30:00Z");
  db.sql().exec("UPDATE schedule_state SET next_slot = '2023-06-01T00:00:00Z' WHERE connection_id = $1", conn);
  auto r = tickAt(*s, "2024-01-15T10:31:05Z");
  EXPECT_EQ(r.queued, 1);
  EXPECT_EQ(r.misfiresRun, 1);
  EXPECT_EQ(db.scheduledJobs(conn), 1);
  db.completeSyncJobs();
  EXPECT_EQ(tickAt(*s, "2024-01-15T10:31:10Z").queued, 1);
  EXPECT_EQ(db.scheduledJobs(conn), 2);
}

TEST_F(SchedulerTest, MissedSlotsDoNotRunUnderSkip) {
  auto conn = db.addConnection(workspace, "hubspot", "0 2 * * *", std::nullopt, "skip");
  auto s = makeScheduler();
  tickAt(*s, "2024-01-05T10:30:00Z");
  std::string logged;
  auto r = tickAt(*s, "2024-01-15T10:30:00Z", &logged);
  EXPECT_EQ(r.queued, 0);
  EXPECT_EQ(r.misfiresSkipped, 1);
  EXPECT_NE(logged.find("acme/hubspot missed its slots from 2024-01-06T02:00:00Z to "
                        "2024-01-15T02:00:00Z while no scheduler ran; skipping them (misfire: "
                        "skip); next slot 2024-01-16T02:00:00Z"),
            std::string::npos)
      << logged;
  EXPECT_EQ(db.count("SELECT count(*) FROM jobs"), 0);
  EXPECT_EQ(outcome(conn), "misfire_skipped");

  // The next regular slot still fires.
  EXPECT_EQ(tickAt(*s, "2024-01-16T02:00:00Z").queued, 1);
  EXPECT_EQ(db.scheduledJobs(conn), 1);
}

TEST_F(SchedulerTest, HostDefaultMisfirePolicyAppliesWhenTheConnectionHasNone) {
  auto conn = db.addConnection(workspace, "hubspot", "0 2 * * *");
  auto runOnce = db.addConnection(workspace, "gong", "0 2 * * *", std::nullopt, "run_once");
  config::SchedulerConfig cfg;
  cfg.misfire = config::MisfirePolicy::Skip;
  auto s = makeScheduler(cfg);
  tickAt(*s, "2024-01-05T10:30:00Z");
  auto r = tickAt(*s, "2024-01-15T10:30:00Z");
  EXPECT_EQ(r.misfiresSkipped, 1);
  EXPECT_EQ(r.misfiresRun, 1);
  EXPECT_EQ(db.scheduledJobs(conn), 0);
  EXPECT_EQ(db.scheduledJobs(runOnce), 1);
}

TEST_F(SchedulerTest, LateWithinTheGraceFiresOnceForSeveralSlots) {
  auto conn = db.addConnection(workspace, "hubspot", "* * * * * *");
  auto s = makeScheduler();
  tickAt(*s, "2024-01-15T10:30:00Z");
  // Five per-second slots came during a slow tick: one sync, for the latest, and no misfire.
  auto r = tickAt(*s, "2024-01-15T10:30:05.300Z");
  EXPECT_EQ(r.queued, 1);
  EXPECT_EQ(r.misfiresRun, 0);
  EXPECT_EQ(db.sql().exec("SELECT payload->>'slot' FROM jobs").text(0, 0), "2024-01-15T10:30:05Z");
  EXPECT_EQ(stateText(conn, "next_slot"), "2024-01-15T10:30:06Z");
}

TEST_F(SchedulerTest, SlotsFollowTheConnectionsTimeZone) {
  auto conn = db.addConnection(workspace, "hubspot", "30 2 * * *", "Europe/Berlin");
  auto s = makeScheduler();
  tickAt(*s, "2024-03-30T12:00:00Z");
  // 02:30 does not exist in Berlin on March 31st: it fires when the clocks jump, at 01:00 UTC.
  EXPECT_EQ(stateText(conn, "next_slot"), "2024-03-31T01:00:00Z");
  EXPECT_EQ(tickAt(*s, "2024-03-31T01:00:00Z").queued, 1);
  EXPECT_EQ(stateText(conn, "next_slot"), "2024-04-01T00:30:00Z");
}

TEST_F(SchedulerTest, ChangedScheduleStartsAfreshWithoutFiring) {
  auto conn = db.addConnection(workspace, "hubspot", "0 2 * * *");
  auto s = makeScheduler();
  tickAt(*s, "2024-01-05T10:30:00Z");
  db.sql().exec("UPDATE connections SET schedule = '0 4 * * *' WHERE id = $1", conn);
  auto r = tickAt(*s, "2024-01-15T10:30:00Z");
  EXPECT_EQ(r.armed, 1);
  EXPECT_EQ(r.queued, 0);
  EXPECT_EQ(stateText(conn, "next_slot"), "2024-01-16T04:00:00Z");
  db.sql().exec("UPDATE connections SET schedule_timezone = 'America/New_York' WHERE id = $1", conn);
  EXPECT_EQ(tickAt(*s, "2024-01-15T10:31:00Z").armed, 1);
  EXPECT_EQ(stateText(conn, "next_slot"), "2024-01-16T09:00:00Z");
}

TEST_F(SchedulerTest, DisabledOrUnscheduledConnectionsDoNotFireAndStartAfreshLater) {
  auto disabled = db.addConnection(workspace, "hubspot", "0 2 * * *");
  auto onDemand = db.addConnection(workspace, "gong", std::nullopt);
  auto s = makeScheduler();
  tickAt(*s, "2024-01-05T10:30:00Z");
  db.sql().exec("UPDATE connections SET enabled = false WHERE id = $1", disabled);
  EXPECT_EQ(tickAt(*s, "2024-01-06T02:00:00Z").queued, 0);
  EXPECT_EQ(stateText(disabled, "next_slot"), "(none)");
  EXPECT_EQ(stateText(onDemand, "next_slot"), "(none)");
  // Enabled again ten days later: no misfire for the time it was off.
  db.sql().exec("UPDATE connections SET enabled = true WHERE id = $1", disabled);
  auto r = tickAt(*s, "2024-01-15T10:30:00Z");
  EXPECT_EQ(r.armed, 1);
  EXPECT_EQ(r.queued, 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM jobs"), 0);

  db.sql().exec("UPDATE workspaces SET enabled = false");
  EXPECT_EQ(tickAt(*s, "2024-01-16T02:00:00Z").queued, 0);
}

TEST_F(SchedulerTest, InvalidStoredScheduleIsReportedOnceAndSkipped) {
  db.addConnection(workspace, "hubspot", "0 25 * * *");
  auto good = db.addConnection(workspace, "gong", "0 2 * * *");
  auto s = makeScheduler();
  std::string logged;
  auto r = tickAt(*s, "2024-01-15T10:30:00Z", &logged);
  EXPECT_EQ(r.invalid, 1);
  EXPECT_EQ(r.armed, 1);
  EXPECT_NE(logged.find("acme/hubspot will not sync on a schedule: its schedule \"0 25 * * *\" "
                        "(UTC) is invalid: position 3: hour 25 is out of range 0-23. Fix the "
                        "connection's schedule in the configuration"),
            std::string::npos)
      << logged;
  tickAt(*s, "2024-01-15T10:30:01Z", &logged);
  EXPECT_EQ(logged.find("will not sync on a schedule"), std::string::npos) << logged;
  EXPECT_EQ(tickAt(*s, "2024-01-16T02:00:00Z").queued, 1);
  EXPECT_EQ(db.scheduledJobs(good), 1);
}

TEST_F(SchedulerTest, NothingDueIsSaidOnceAtInfo) {
  db.addConnection(workspace, "hubspot", "0 2 * * *");
  auto s = makeScheduler();
  std::string logged;
  tickAt(*s, "2024-01-15T10:30:00Z", &logged);
  EXPECT_NE(logged.find("no scheduled syncs due; next: acme/hubspot at 2024-01-16T02:00:00Z\n"), std::string::npos)
      << logged;
  auto r = tickAt(*s, "2024-01-15T10:30:01Z", &logged);
  EXPECT_EQ(logged, "");
  ASSERT_TRUE(r.nextSlot);
  EXPECT_EQ(*r.nextSlot, at("2024-01-16T02:00:00Z"));
  // Said again after the next firing.
  tickAt(*s, "2024-01-16T02:00:00Z");
  tickAt(*s, "2024-01-16T02:00:01Z", &logged);
  EXPECT_NE(logged.find("no scheduled syncs due; next: acme/hubspot at 2024-01-17T02:00:00Z\n"), std::string::npos)
      << logged;
}

TEST_F(SchedulerTest, WithoutScheduledConnectionsItSaysSo) {
  auto s = makeScheduler();
  std::string logged;
  auto r = tickAt(*s, "2024-01-15T10:30:00Z", &logged);
  EXPECT_TRUE(r.leader);
  EXPECT_NE(logged.find("no scheduled syncs due; no connection has a schedule\n"), std::string::npos) << logged;
}

TEST_F(SchedulerTest, OnlyOneSchedulerLeadsAndAnotherTakesOverWhenItStops) {
  auto conn = db.addConnection(workspace, "hubspot", "0 2 * * *");
  auto first = makeScheduler({}, "host-a");
  auto second = makeScheduler({}, "host-b");
  EXPECT_TRUE(tickAt(*first, "2024-01-15T10:30:00Z").leader);
  std::string logged;
  EXPECT_FALSE(tickAt(*second, "2024-01-15T10:30:00Z", &logged).leader);
  EXPECT_NE(logged.find("\"tributary scheduler host-a\" leads the scheduler; host host-b stands by"), std::string::npos)
      << logged;
  EXPECT_EQ(db.sql().exec("SELECT application_name FROM scheduler_leader").text(0, 0), "tributary scheduler host-a");

  // Both tick at the slot: one job.
  EXPECT_EQ(tickAt(*first, "2024-01-16T02:00:00Z").queued, 1);
  EXPECT_EQ(tickAt(*second, "2024-01-16T02:00:00Z").queued, 0);

  first->stop();
  auto r = tickAt(*second, "2024-01-16T02:00:01Z", &logged);
  EXPECT_TRUE(r.leader);
  EXPECT_NE(logged.find("host host-b now leads the scheduler"), std::string::npos) << logged;
  EXPECT_EQ(r.queued, 0);
  EXPECT_EQ(db.scheduledJobs(conn), 1);
  EXPECT_EQ(db.sql().exec("SELECT application_name FROM scheduler_leader").text(0, 0), "tributary scheduler host-b");
}

TEST_F(SchedulerTest, LeaderWhoseSessionIsKilledStepsDownAndCannotFire) {
  auto conn = db.addConnection(workspace, "hubspot", "0 2 * * *");
  auto s = makeScheduler({}, "host-a");
  tickAt(*s, "2024-01-15T10:30:00Z");
  db.sql().exec("SELECT pg_terminate_backend(pid) FROM scheduler_leader");
  std::string logged;
  auto r = tickAt(*s, "2024-01-16T02:00:00Z", &logged);
  EXPECT_FALSE(r.leader);
  EXPECT_NE(logged.find("host host-a gave up the scheduler lead after an error"), std::string::npos) << logged;
  EXPECT_EQ(db.scheduledJobs(conn), 0);
  // The next tick opens a new session, leads again, and fires the slot once.
  EXPECT_EQ(tickAt(*s, "2024-01-16T02:00:01Z").queued, 1);
  EXPECT_EQ(db.scheduledJobs(conn), 1);
}

TEST_F(SchedulerTest, ThreadFiresPerSecondSlotsUntilStopped) {
  auto conn = db.addConnection(workspace, "hubspot", "* * * * * *");
  config::SchedulerConfig cfg;
  cfg.tick = std::chrono::milliseconds(100);
  Scheduler::Options options;
  options.hostId = "threaded";
  Scheduler s(db.conninfo(),
              std::make_shared<queue::JobQueue>(std::make_shared<db::Pool>(db.conninfo(), config::PoolConfig{}),
                                                config::QueueConfig{}),
              cfg, options);
  s.start();
  EXPECT_TRUE(test::eventually(
      [&] {
        db.completeSyncJobs();
        return db.scheduledJobs(conn) >= 2;
      },
      std::chrono::seconds(10)));
  s.stop();
  EXPECT_FALSE(s.leading());
  EXPECT_EQ(db.count("SELECT count(*) FROM scheduler_leader"), 0);
  EXPECT_EQ(db.count("SELECT count(*) - count(DISTINCT unique_key) FROM jobs"), 0);
}
