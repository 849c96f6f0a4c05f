// Alerts as events (app/Alerts.h, migrations/021): sync.stale and queue.backlog against a real
// PostgreSQL, each announced once per episode and resolved with alert.resolved, and raised by the
// maintenance lead on its own every alerts.check_interval.
#include <gtest/gtest.h>

#include "QueueTestSupport.h"
#include "app/Alerts.h"
#include "app/Maintenance.h"

using namespace tributary;
using std::chrono::milliseconds;

namespace alerts_test {

struct Event {
  std::string type;
  std::optional<std::string> workspaceId, connectionId;
  Json payload;
};

struct Room {
  test::QueueDatabase q;
  db::Connection conn{q.db.conninfo()};
  std::string workspace = q.workspace();
  config::AlertsConfig cfg;

  // A connection on `schedule`, made `age` ago (as if it had existed that long).
  std::string connection(const std::string& name, const std::string& schedule, const std::string& age) {
    return conn
        .exec(
            "INSERT INTO connections (workspace_id, name, connector, schedule, created_at)"
            " VALUES ($1::uuid, $2, 'tributary.example', $3, now() - $4::interval) RETURNING id::text",
            workspace, name, schedule, age)
        .text(0, 0);
  }
  // A finished run of `connection`, `ago` ago.
  void run(const std::string& connection, const std::string& status, const std::string& ago, bool dryRun = false) {
    conn.exec(
        "INSERT INTO sync_runs (workspace_id, connection_id, connector, status, dry_run, started_at, completed_at)"
        " VALUES ($1::uuid, $2::uuid, 'tributary.example', $3, $4, now() - $5::interval, now() - $5::interval)",
        workspace, connection, status, dryRun, ago);
  }
  app::alerts::Report check() { return app::alerts::check(conn, cfg); }
  std::vector<Event> events(const std::string& type) {
    auto r = conn.exec(
        "SELECT type, workspace_id::text, connection_id::text, payload::text FROM events WHERE type = $1"
        " ORDER BY id",
        type);
    std::vector<Event> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back({r.text(i, 0), r.optText(i, 1), r.optText(i, 2), Json::parse(r.view(i, 3))});
    return out;
  }
  std::vector<std::string> staleNames() {
    std::vector<std::string> out;
    for (const auto& e : events("sync.stale")) out.push_back(e.payload["connection"]);
    return out;
  }
};

TEST(Alerts, AStaleConnectionIsOneEventPerEpisodeAndItsRecoveryIsAlertResolved) {
  Room room;
  const std::string id = room.connection("crm", "*/5 * * * *", "1 hour");

  auto first = room.check();
  EXPECT_EQ(first.raised, 1);
  EXPECT_EQ(first.active, 1);
  auto stale = room.events("sync.stale");
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_EQ(stale[0].workspaceId, room.workspace);
  EXPECT_EQ(stale[0].connectionId, id);
  EXPECT_EQ(stale[0].payload["connection"], "crm");
  EXPECT_EQ(stale[0].payload["connector"], "tributary.example");
  EXPECT_TRUE(stale[0].payload["last_success_at"].is_null()) << stale[0].payload.dump();
  EXPECT_DOUBLE_EQ(stale[0].payload["stale_after_seconds"].get<double>(), 900.0)
      << "three times the five minutes between its last two slots";

  auto again = room.check();
  EXPECT_EQ(again.raised, 0) << "still the same episode";
  EXPECT_EQ(room.events("sync.stale").size(), 1u);

  room.run(id, "completed", "1 second");
  auto recovered = room.check();
  EXPECT_EQ(recovered.resolved, 1);
  EXPECT_EQ(recovered.active, 0);
  auto resolved = room.events("alert.resolved");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].connectionId, id);
  EXPECT_EQ(resolved[0].payload["alert"], "sync.stale");
  EXPECT_EQ(resolved[0].payload["connection"], "crm");
  EXPECT_TRUE(resolved[0].payload.contains("lasted_seconds")) << resolved[0].payload.dump();

  // The success was long ago after all: a new episode, a second event.
  room.conn.exec("UPDATE sync_runs SET completed_at = now() - interval '20 minutes' WHERE connection_id = $1::uuid",
                 id);
  EXPECT_EQ(room.check().raised, 1);
  stale = room.events("sync.stale");
  ASSERT_EQ(stale.size(), 2u);
  EXPECT_FALSE(stale[1].payload["last_success_at"].is_null()) << stale[1].payload.dump();
}

TEST(Alerts, StaleIsThreeTimesTheScheduleGapUnlessStaleAfterIsSet) {
  Room room;
  room.connection("hourly-young", "0 * * * *", "2 hours");  // 2 h without a success: under 3 h
  room.connection("hourly-old", "0 * * * *", "4 hours");
  const std::string succeeded = room.connection("hourly-synced", "0 * * * *", "4 hours");
  room.run(succeeded, "completed_with_errors", "10 minutes");  // a success, with record errors
  const std::string dry = room.connection("hourly-dry", "0 * * * *", "4 hours");
  room.run(dry, "completed", "10 minutes", /*dryRun=*/true);  // a dry run writes nothing
  const std::string failing = room.connection("hourly-failing", "0 * * * *", "4 hours");
  room.run(failing, "failed", "10 minutes");
  const std::string paused = room.connection("hourly-paused", "0 * * * *", "4 hours");
  room.conn.exec("UPDATE connections SET paused_at = now() WHERE id = $1::uuid", paused);
  room.connection("on-demand", "", "4 hours");

  room.check();
  auto names = room.staleNames();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"hourly-dry", "hourly-failing", "hourly-old"}));

  room.cfg.staleAfter = milliseconds(30 * 60'000);
  room.check();
  names = room.staleNames();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"hourly-dry", "hourly-failing", "hourly-old", "hourly-young"}));
}

TEST(Alerts, AScheduleArmedAfreshCountsFromThenNotFromTheLastSuccess) {
  // Paused for a day and resumed a minute ago: the scheduler armed its schedule anew then, and
  // the connection has had less than three slots since to succeed.
  Room room;
  const std::string id = room.connection("resumed", "*/5 * * * *", "2 days");
  room.run(id, "completed", "1 day");
  room.conn.exec(
      "INSERT INTO schedule_state (connection_id, schedule, schedule_timezone, next_slot, armed_at)"
      " VALUES ($1::uuid, '*/5 * * * *', 'UTC', now() + interval '4 minutes', now() - interval '1 minute')",
      id);
  EXPECT_EQ(room.check().raised, 0);
  room.conn.exec("UPDATE schedule_state SET armed_at = now() - interval '16 minutes' WHERE connection_id = $1::uuid",
                 id);
  EXPECT_EQ(room.check().raised, 1);
}

TEST(Alerts, ABacklogIsAnEventOfEachWorkspaceBehindAndOneOfTheHost) {
  Room room;
  room.cfg.backlogAfter = milliseconds(15 * 60'000);
  const std::string other = room.q.workspace("globex");
  auto job = [&](const std::optional<std::string>& ws, const std::string& runAt, const std::string& kind,
                 bool passive = false) {
    return room.conn
        .exec(
            "INSERT INTO jobs (kind, workspace_id, run_at, timeout_ms, passive)"
            " VALUES ($1, $2::uuid, now() - $3::interval, 60000, $4) RETURNING id::text",
            kind, ws, runAt, passive)
        .text(0, 0);
  };
  const std::string late = job(room.workspace, "1 hour", "sync.connection");
  job(room.workspace, "1 minute", "sync.connection");
  job(other, "2 minutes", "sync.connection");                 // due, but not for long
  job(other, "-1 hour", "sync.connection");                   // parked until later: not runnable
  job(other, "2 hours", "sync.workspace", /*passive=*/true);  // a passive parent is never claimed

  auto report = room.check();
  EXPECT_EQ(report.raised, 2) << "acme's, and the host's";
  auto backlog = room.events("queue.backlog");
  ASSERT_EQ(backlog.size(), 2u);
  EXPECT_EQ(backlog[0].workspaceId, room.workspace);
  EXPECT_EQ(backlog[0].payload["oldest_job_id"], late);
  EXPECT_EQ(backlog[0].payload["runnable_jobs"], 2);
  EXPECT_EQ(backlog[0].payload["workspace"], "acme");
  EXPECT_GE(backlog[0].payload["waited_seconds"].get<double>(), 3600.0);
  EXPECT_FALSE(backlog[1].workspaceId.has_value()) << "the host's own";
  EXPECT_EQ(backlog[1].payload["runnable_jobs"], 3);
  EXPECT_EQ(backlog[1].payload["oldest_job_id"], late);

  EXPECT_EQ(room.check().raised, 0);
  room.conn.exec("UPDATE jobs SET status = 'running', started_at = now() WHERE id = $1::uuid", late);
  report = room.check();
  EXPECT_EQ(report.resolved, 2);
  EXPECT_EQ(report.active, 0);
  EXPECT_EQ(room.events("alert.resolved").size(), 2u);
}

TEST(Alerts, TheMaintenanceLeadLooksEveryCheckIntervalOnItsOwn) {
  Room room;
  config::Config cfg;
  cfg.queue = room.q.cfg;
  cfg.alerts.checkInterval = milliseconds(100);
  app::Maintenance m(room.q.db.conninfo(), room.q.pool, room.q.queue, cfg, "host-a");
  m.start();
  ASSERT_TRUE(test::eventually([&] { return m.leading(); }));
  room.connection("crm", "*/5 * * * *", "1 hour");
  EXPECT_TRUE(test::eventually([&] { return room.events("sync.stale").size() == 1; }, std::chrono::seconds(10)));
  m.stop();
  EXPECT_EQ(room.events("sync.stale").size(), 1u);
}

}  // namespace alerts_test
