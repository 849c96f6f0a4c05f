// Status, history, records and record errors, connections and their pause, read over HTTP
// after real syncs.
#include <gtest/gtest.h>

#include <set>

#include "ApiTestSupport.h"

using namespace tributary;
using namespace tributary::test::api_e2e;

TEST(Status, StatusHistoryAndRecordsShowWhatASyncWrote) {
  test::TestDatabase db;
  ApiHost host(db);
  auto before = host.admin("GET", "/api/workspaces/ws1/sync/status");
  ASSERT_EQ(before.status, 200) << before.body;
  ASSERT_EQ(before.json()["connections"].size(), 1u);
  EXPECT_TRUE(before.json()["connections"][0]["lastSyncAt"].is_null());

  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202) << s.body;
  host.waitForJob("ws1", s.json()["jobId"]);

  auto st = host.admin("GET", "/api/workspaces/ws1/sync/status");
  ASSERT_EQ(st.status, 200) << st.body;
  const Json c = st.json()["connections"][0];
  EXPECT_EQ(c["connection"], "example");
  EXPECT_EQ(c["connector"], "tributary.example");
  EXPECT_EQ(c["status"], "synced") << c.dump(2);
  EXPECT_FALSE(c["lastSyncAt"].is_null());
  EXPECT_TRUE(c["job"].is_null());
  EXPECT_TRUE(c["lastError"].is_null());
  // The example's four streams: three canonical entities and generic records.
  ASSERT_EQ(c["streams"].size(), 4u) << c.dump(2);
  for (const auto& stream : c["streams"]) {
    EXPECT_EQ(stream["records"], 50) << stream.dump();
    EXPECT_FALSE(stream["watermark"].is_null()) << stream.dump();
    EXPECT_EQ(stream["entity"], stream["stream"] == "events" ? Json("records") : stream["stream"]) << stream.dump();
  }

  auto h = host.admin("GET", "/api/workspaces/ws1/sync/history?limit=5");
  ASSERT_EQ(h.status, 200) << h.body;
  ASSERT_EQ(h.json()["runs"].size(), 1u) << h.body;
  EXPECT_EQ(h.json()["runs"][0]["status"], "completed");
  EXPECT_EQ(h.json()["runs"][0]["recordsSynced"], 200);
  EXPECT_EQ(h.json()["runs"][0]["jobId"], s.json()["jobId"]);
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/sync/history?connector=nope").json()["runs"].size(), 0u);

  // Every deal once, in pages, in the order they changed here.
  std::set<std::string> ids;
  std::string path = "/api/workspaces/ws1/records/deals?limit=7";
  std::string lastUpdated;
  int pages = 0;
  while (true) {
    auto p = host.admin("GET", path);
    ASSERT_EQ(p.status, 200) << p.body;
    ++pages;
    const Json pBody = p.json();  // alive for the loop
    for (const auto& rec : pBody["records"]) {
      EXPECT_TRUE(ids.insert(rec["sourceId"].get<std::string>()).second) << "repeated " << rec["sourceId"];
      EXPECT_GE(rec["updatedAt"].get<std::string>(), lastUpdated);
      lastUpdated = rec["updatedAt"];
      EXPECT_FALSE(rec["deleted"].get<bool>());
      EXPECT_TRUE(rec["data"].contains("amount")) << rec.dump();
      EXPECT_FALSE(rec["data"].contains("raw")) << "raw only with ?raw=true";
    }
    if (p.json()["nextCursor"].is_null()) break;
    path = "/api/workspaces/ws1/records/deals?limit=7&cursor=" + p.json()["nextCursor"].get<std::string>();
  }
  EXPECT_EQ(ids.size(), 50u);
  EXPECT_EQ(pages, 8);
  // Nothing changed after the newest: an empty page.
  auto none = host.admin("GET", "/api/workspaces/ws1/records/deals?modifiedAfter=" + lastUpdated);
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(none.json()["records"].size(), 0u);
  EXPECT_TRUE(host.admin("GET", "/api/workspaces/ws1/records/deals?raw=true&limit=1")
                  .json()["records"][0]["data"]
                  .contains("raw"));
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/records/deals?cursor=xyz").status, 400);
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/records/deals?modifiedAfter=soon").status, 400);

  // No poison records: an empty list, and a replay that queues nothing.
  auto errs = host.admin("GET", "/api/workspaces/ws1/record-errors");
  ASSERT_EQ(errs.status, 200);
  EXPECT_EQ(errs.json()["errors"].size(), 0u);
  auto replay = host.admin("POST", "/api/workspaces/ws1/record-errors/replay");
  EXPECT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(replay.json()["jobIds"].size(), 0u);
}

// A pause is the API's own column: a sync request answers 409, the status says paused, and
// a restart with the same YAML keeps it.
TEST(Status, APauseRefusesSyncsAndSurvivesARestart) {
  test::TestDatabase db;
  {
    ApiHost host(db);
    auto p = host.admin("POST", "/api/workspaces/ws1/connections/example/pause");
    ASSERT_EQ(p.status, 200) << p.body;
    EXPECT_TRUE(p.json()["paused"].get<bool>());
    auto s = host.admin("POST", "/api/workspaces/ws1/sync");
    EXPECT_EQ(s.status, 409) << s.body;
    EXPECT_EQ(s.json()["error"]["details"]["skipped"][0]["reason"], "paused") << s.body;
    EXPECT_EQ(host.admin("POST", "/api/workspaces/ws1/connections/nope/pause").status, 404);
  }
  ApiHost again(db);
  auto conns = again.admin("GET", "/api/workspaces/ws1/connections");
  ASSERT_EQ(conns.status, 200) << conns.body;
  ASSERT_EQ(conns.json()["connections"].size(), 1u);
  const Json c = conns.json()["connections"][0];
  EXPECT_TRUE(c["paused"].get<bool>()) << c.dump(2);
  EXPECT_FALSE(c["pausedAt"].is_null());
  EXPECT_EQ(c["settings"]["records"], "50") << c.dump(2);  // settings are kept as the YAML gave them
  EXPECT_EQ(again.admin("GET", "/api/workspaces/ws1/sync/status").json()["connections"][0]["status"], "paused");
  EXPECT_EQ(again.admin("POST", "/api/workspaces/ws1/connectors/example/sync").status, 409);
  ASSERT_EQ(again.admin("POST", "/api/workspaces/ws1/connections/example/resume").status, 200);
  auto s = again.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202) << s.body;
  EXPECT_EQ(again.waitForJob("ws1", s.json()["jobId"])["status"], "completed");
}

// A poison record is listed by GET .../record-errors with its id and error, and POST
// .../record-errors/replay re-reads exactly it (a backfill by id), audited.
TEST(Status, PoisonRecordsAreListedAndReplayedById) {
  test::TestDatabase db;
  HostOptions o;
  o.connectionSettings = "{records: 20, page_size: 10, poison_ids: \"deal-000000003\"}";
  ApiHost host(db, o);
  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202) << s.body;
  host.waitForJob("ws1", s.json()["jobId"]);
  auto errs = host.admin("GET", "/api/workspaces/ws1/record-errors");
  ASSERT_EQ(errs.status, 200) << errs.body;
  ASSERT_EQ(errs.json()["errors"].size(), 1u) << errs.body;
  const Json e = errs.json()["errors"][0];
  EXPECT_EQ(e["sourceId"], "deal-000000003");
  EXPECT_EQ(e["stream"], "deals");
  EXPECT_EQ(e["connection"], "example");
  EXPECT_FALSE(e["error"].get<std::string>().empty());
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/record-errors?stream=contacts").json()["errors"].size(), 0u);

  auto replay = host.admin("POST", "/api/workspaces/ws1/record-errors/replay", R"({"stream": "deals"})");
  ASSERT_EQ(replay.status, 202) << replay.body;
  ASSERT_EQ(replay.json()["jobIds"].size(), 1u) << replay.body;
  EXPECT_EQ(replay.json()["replays"][0]["records"], 1);
  const Json job = host.waitForJob("ws1", replay.json()["jobIds"][0]);
  EXPECT_EQ(job["kind"], "backfill");
  EXPECT_EQ(job["status"], "completed") << job.dump(2);
  // Still poison: the error stays open, and names the replay that tried it.
  auto after = host.admin("GET", "/api/workspaces/ws1/record-errors");
  ASSERT_EQ(after.json()["errors"].size(), 1u) << after.body;
  EXPECT_EQ(after.json()["errors"][0]["replayJobId"], replay.json()["jobIds"][0]);
  EXPECT_EQ(host.admin("POST", "/api/workspaces/ws1/record-errors/replay", R"({"stream": 3})").status, 400);
}
