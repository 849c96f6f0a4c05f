// The sync and job routes over real HTTP: a 202 at once, a workspace sync's passive parent over
// its children, 409 only when every connection is busy (EDGE-1), cancel and retry, and the job
// list's pages.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "ApiTestSupport.h"

using namespace tributary;
using namespace tributary::test::api_e2e;

namespace {

std::set<std::string> idsOf(const Json& array) {
  std::set<std::string> out;
  for (const auto& v : array) out.insert(v.get<std::string>());
  return out;
}

}  // namespace

// QW-1: the seeds' `curl -X POST .../sync` gets a 202 with the job at once; the parent job is a
// passive row whose progress and result are its children's, and it ends when they do.
TEST(Sync, WorkspaceSyncAnswers202AndItsParentSettlesFromItsChildren) {
  test::TestDatabase db;
  HostOptions o;
  o.connectionsPerWorkspace = 2;
  ApiHost host(db, o);
  auto r = host.admin("POST", "/api/workspaces/ws1/sync");
  ASSERT_EQ(r.status, 202) << r.body;
  const Json a = r.json();
  const std::string jobId = a["jobId"];
  EXPECT_EQ(a["syncId"], jobId);
  EXPECT_EQ(a["status"], "queued");
  EXPECT_EQ(a["statusUrl"], "/api/workspaces/ws1/sync/jobs/" + jobId);
  EXPECT_EQ(r.headers["location"], "/api/workspaces/ws1/sync/jobs/" + jobId);
  ASSERT_EQ(a["jobIds"].size(), 2u) << r.body;
  EXPECT_EQ(a["skipped"].size(), 0u);
  EXPECT_NE(a["message"].get<std::string>().find("2 connections"), std::string::npos) << a.dump();

  auto parent = host.admin("GET", a["statusUrl"].get<std::string>());
  ASSERT_EQ(parent.status, 200) << parent.body;
  EXPECT_EQ(parent.json()["kind"], "workspace_sync");
  EXPECT_EQ(idsOf(parent.json()["childJobIds"]), idsOf(a["jobIds"]));

  const Json done = host.waitForJob("ws1", jobId);
  EXPECT_EQ(done["status"], "completed") << done.dump(2);
  // Two connections of four streams of 50 records.
  EXPECT_EQ(done["result"]["totalRecords"], 400) << done.dump(2);
  ASSERT_EQ(done["result"]["results"].size(), 2u);
  for (const auto& c : done["result"]["results"]) {
    EXPECT_EQ(c["status"], "completed");
    EXPECT_EQ(c["records"], 200);
  }
  EXPECT_EQ(done["progress"]["current"], 400) << done.dump(2);
  EXPECT_EQ(done["progress"]["message"], "2 of 2 connections done");
  EXPECT_FALSE(done["completedAt"].is_null());
  for (const auto& id : a["jobIds"]) {
    auto child = host.admin("GET", "/api/workspaces/ws1/sync/jobs/" + id.get<std::string>());
    ASSERT_EQ(child.status, 200);
    EXPECT_EQ(child.json()["status"], "completed");
    EXPECT_EQ(child.json()["parentJobId"], jobId);
    EXPECT_EQ(child.json()["result"]["totalRecords"], 200);
  }
}

// EDGE-1: a second sync queues the connections that are free and says which it skipped; only
// when every requested connection is busy is it a 409, with their job ids.
TEST(Sync, BusyConnectionsAreSkippedAnd409OnlyWhenAllAreBusy) {
  test::TestDatabase db;
  HostOptions o;
  o.connectionsPerWorkspace = 2;
  o.connectionSettings = "{records: 40, page_size: 5, latency_ms: 150}";
  ApiHost host(db, o);
  auto one = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync", "{}");
  ASSERT_EQ(one.status, 202) << one.body;
  const std::string busyJob = one.json()["jobId"];
  EXPECT_EQ(one.json()["jobIds"], Json::array({busyJob}));

  auto all = host.admin("POST", "/api/workspaces/ws1/sync", "{}");
  ASSERT_EQ(all.status, 202) << all.body;
  ASSERT_EQ(all.json()["jobIds"].size(), 1u) << all.body;
  ASSERT_EQ(all.json()["skipped"].size(), 1u) << all.body;
  EXPECT_EQ(all.json()["skipped"][0]["connection"], "example");
  EXPECT_EQ(all.json()["skipped"][0]["reason"], "already_syncing");
  EXPECT_EQ(all.json()["skipped"][0]["jobId"], busyJob);
  EXPECT_EQ(all.json()["connections"], Json::array({"example2"}));

  auto again = host.admin("POST", "/api/workspaces/ws1/sync", "{}");
  ASSERT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.json()["error"]["code"], "conflict");
  std::set<std::string> busy = {busyJob, all.json()["jobIds"][0].get<std::string>()};
  EXPECT_EQ(idsOf(again.json()["error"]["details"]["jobIds"]), busy) << again.body;
  auto single = host.admin("POST", "/api/workspaces/ws1/connectors/example2/sync");
  EXPECT_EQ(single.status, 409) << single.body;

  // Once they end, a sync is a 202 again.
  host.waitForJob("ws1", busyJob);
  host.waitForJob("ws1", all.json()["jobId"]);
  EXPECT_EQ(host.admin("POST", "/api/workspaces/ws1/sync").status, 202);
}

// 404 for what is not there, 400 naming what is wrong in a body.
TEST(Sync, UnknownTargetsAre404AndBadBodies400NamingTheField) {
  test::TestDatabase db;
  ApiHost host(db);
  auto r = host.admin("POST", "/api/workspaces/nope/sync");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json()["error"]["message"], "no workspace \"nope\"");
  r = host.admin("POST", "/api/workspaces/ws1/sync", R"({"connectors": ["nope"]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json()["error"]["message"], "no connection \"nope\" in workspace \"ws1\"");
  r = host.admin("POST", "/api/workspaces/ws1/connectors/nope/sync");
  EXPECT_EQ(r.status, 404);
  r = host.admin("POST", "/api/workspaces/ws1/sync", R"({"connectorType": "tributary.hubspot"})");
  EXPECT_EQ(r.status, 404);

  r = host.admin("POST", "/api/workspaces/ws1/sync", "{\n  \"mode\": \"initial\",\n  oops\n}");
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["code"], "invalid_json");
  EXPECT_EQ(r.json()["error"]["details"], (Json{{"line", 3}, {"column", 3}})) << r.body;
  r = host.admin("POST", "/api/workspaces/ws1/sync", R"({"mode": "initial", "speed": 3})");
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["code"], "unknown_field");
  EXPECT_EQ(r.json()["error"]["details"]["field"], "speed");
  r = host.admin("POST", "/api/workspaces/ws1/sync", R"({"connectors": "example"})");
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["code"], "invalid_field");
  EXPECT_EQ(r.json()["error"]["message"], "field \"connectors\" must be an array of strings");
  r = host.admin("POST", "/api/workspaces/ws1/sync", R"({"mode": "sometimes"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["details"]["field"], "mode");
  r = host.admin("POST", "/api/workspaces/ws1/sync", R"({"mode": "backfill"})");
  EXPECT_EQ(r.status, 400);
  r = host.admin("POST", "/api/workspaces/ws1/sync", R"({"from": "2026-01-01T00:00:00Z"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["message"], "field \"from\" goes with mode \"backfill\"");
  r = host.admin("POST", "/api/workspaces/ws1/connectors/example/backfill", R"({"from": "yesterday"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["details"]["field"], "from");
  r = host.admin("POST", "/api/workspaces/ws1/sync", "[1, 2]");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["code"], "invalid_body");
  // None of these queued anything.
  auto jobs = host.admin("GET", "/api/workspaces/ws1/sync/jobs");
  EXPECT_EQ(jobs.json()["jobs"].size(), 0u) << jobs.body;
}

// EDGE-5: a backfill window with nothing in it is a completed job of zero records, and a
// backfill by ids reads those ids.
TEST(Sync, BackfillOfAnEmptyWindowCompletesWithZeroRecords) {
  test::TestDatabase db;
  ApiHost host(db);
  auto r = host.admin("POST", "/api/workspaces/ws1/connectors/example/backfill",
                      R"({"from": "1990-01-01T00:00:00Z", "to": "1990-01-02T00:00:00Z"})");
  ASSERT_EQ(r.status, 202) << r.body;
  const Json done = host.waitForJob("ws1", r.json()["jobId"]);
  EXPECT_EQ(done["status"], "completed") << done.dump(2);
  EXPECT_EQ(done["kind"], "backfill");
  EXPECT_EQ(done["result"]["totalRecords"], 0) << done.dump(2);
}

// Cancel a queued job, retry a failed one, and page the list newest first.
TEST(Sync, JobsAreCancelledRetriedAndListedInPages) {
  test::TestDatabase db;
  HostOptions o;
  o.connectionsPerWorkspace = 1;
  o.extraYaml =
      "  - {workspace: ws1, name: broken, connector: tributary.example,"
      " settings: {records: 20, page_size: 5, fail_at_page: 1, fail_mode: fatal}}\n"
      "  - {workspace: ws1, name: slow, connector: tributary.example,"
      " settings: {records: 400, page_size: 5, latency_ms: 100}}\n";
  ApiHost host(db, o);
  auto f = host.admin("POST", "/api/workspaces/ws1/connectors/broken/sync");
  ASSERT_EQ(f.status, 202) << f.body;
  const std::string failed = f.json()["jobId"];
  Json j = host.waitForJob("ws1", failed);
  ASSERT_EQ(j["status"], "failed") << j.dump(2);
  EXPECT_FALSE(j["error"].is_null());
  EXPECT_EQ(host.admin("DELETE", "/api/workspaces/ws1/sync/jobs/" + failed).status, 409);
  auto retried = host.admin("POST", "/api/workspaces/ws1/sync/jobs/" + failed + "/retry");
  ASSERT_EQ(retried.status, 202) << retried.body;
  EXPECT_TRUE(retried.json()["status"] == "pending" || retried.json()["status"] == "running") << retried.body;
  host.waitForJob("ws1", failed);
  EXPECT_EQ(host.admin("POST", "/api/workspaces/ws1/sync/jobs/" + failed + "/retry").status, 202);
  host.waitForJob("ws1", failed);

  // Several completed syncs to page through.
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
    ASSERT_EQ(s.status, 202) << s.body;
    ids.push_back(s.json()["jobId"]);
    host.waitForJob("ws1", ids.back());
  }
  std::vector<std::string> seen;
  std::string path = "/api/workspaces/ws1/sync/jobs?limit=2&connector=example";
  for (int page = 0; page < 10; ++page) {
    auto l = host.admin("GET", path);
    ASSERT_EQ(l.status, 200) << l.body;
    if (page == 0) {
      EXPECT_EQ(l.json()["jobs"].size(), 2u) << l.body;
    }
    const Json lBody = l.json();  // alive for the loop
    for (const auto& job : lBody["jobs"]) seen.push_back(job["id"]);
    if (l.json()["nextCursor"].is_null()) break;
    path =
        "/api/workspaces/ws1/sync/jobs?limit=2&connector=example&cursor=" + l.json()["nextCursor"].get<std::string>();
  }
  std::vector<std::string> newestFirst(ids.rbegin(), ids.rend());
  EXPECT_EQ(seen, newestFirst);
  auto failedOnly = host.admin("GET", "/api/workspaces/ws1/sync/jobs?status=failed");
  ASSERT_EQ(failedOnly.status, 200);
  ASSERT_EQ(failedOnly.json()["jobs"].size(), 1u);
  EXPECT_EQ(failedOnly.json()["jobs"][0]["id"], failed);
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/sync/jobs?limit=0").status, 400);
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/sync/jobs?limit=101").status, 400);
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/sync/jobs?status=bogus").status, 400);
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/sync/jobs?cursor=bogus").status, 400);
  // A cursor that looks like one but whose id is no uuid, or whose time has a tail, is the
  // client's mistake (400, naming the cursor), never the database's (500).
  for (const std::string bad :
       {"1_x", "1_", "_0f3c2a9e-7b1d-4c8e-9a2f-1d2e3f4a5b6c", "12abc_0f3c2a9e-7b1d-4c8e-9a2f-1d2e3f4a5b6c"}) {
    auto r = host.admin("GET", "/api/workspaces/ws1/sync/jobs?cursor=" + bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_EQ(r.json()["error"]["details"]["field"], "cursor") << bad << ": " << r.body;
  }
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/sync/jobs/00000000-0000-0000-0000-000000000000").status, 404);
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/sync/jobs/not-a-uuid").status, 404);

  // A workspace sync cancelled through its parent: each child stops (queued or running, the
  // slow one takes 16 s to finish), and the parent ends cancelled.
  auto slow = host.admin("POST", "/api/workspaces/ws1/sync", R"({"connectors": ["slow"]})");
  ASSERT_EQ(slow.status, 202) << slow.body;
  auto c = host.admin("DELETE", "/api/workspaces/ws1/sync/jobs/" + slow.json()["jobId"].get<std::string>());
  ASSERT_EQ(c.status, 202) << c.body;
  const Json ended = host.waitForJob("ws1", slow.json()["jobId"]);
  EXPECT_EQ(ended["status"], "cancelled") << ended.dump(2);
  EXPECT_EQ(ended["result"]["results"][0]["status"], "cancelled") << ended.dump(2);
  EXPECT_EQ(host.admin("DELETE", "/api/workspaces/ws1/sync/jobs/" + slow.json()["jobId"].get<std::string>()).status,
            409);
}

// One rule for every place a request names connections (a workspace sync's `connectors`, the
// `connector=` filter of the job list and of the history): a connection's name, and only when no
// connection has that name, a connector type (tributary.example, or its last part).
TEST(Sync, AConnectionsNameWinsOverAConnectorTypeOfTheSameWordInSyncsAndFilters) {
  test::TestDatabase db;
  HostOptions o;
  o.workspaces = 2;
  o.connectionsPerWorkspace = 0;
  o.extraYaml =
      "  - {workspace: ws1, name: example, connector: tributary.example, settings: {records: 10, page_size: 5}}\n"
      "  - {workspace: ws1, name: other, connector: tributary.example, settings: {records: 10, page_size: 5}}\n"
      "  - {workspace: ws2, name: alpha, connector: tributary.example, settings: {records: 10, page_size: 5}}\n";
  ApiHost host(db, o);
  auto sync = [&](const std::string& ws, const std::string& body) {
    auto r = host.admin("POST", "/api/workspaces/" + ws + "/sync", body);
    EXPECT_EQ(r.status, 202) << body << ": " << r.body;
    if (r.status == 202) host.waitForJob(ws, r.json()["jobId"]);
    return r.status == 202 ? r.json()["connections"] : Json();
  };
  EXPECT_EQ(sync("ws1", R"({"connectors": ["example"]})"), Json::array({"example"}));
  EXPECT_EQ(sync("ws1", R"({"connectors": ["tributary.example"]})"), Json::array({"example", "other"}));
  EXPECT_EQ(sync("ws2", R"({"connectors": ["example"]})"), Json::array({"alpha"})) << "no name: the type";

  std::map<std::string, std::string> jobOf;
  for (const auto& [ws, c] :
       std::vector<std::pair<std::string, std::string>>{{"ws1", "example"}, {"ws1", "other"}, {"ws2", "alpha"}}) {
    auto r = host.admin("POST", "/api/workspaces/" + ws + "/connectors/" + c + "/sync");
    ASSERT_EQ(r.status, 202) << r.body;
    jobOf[c] = r.json()["jobId"];
    host.waitForJob(ws, jobOf[c]);
  }
  auto jobs = [&](const std::string& ws, const std::string& key) {
    auto r = host.admin("GET", "/api/workspaces/" + ws + "/sync/jobs?connector=" + key);
    EXPECT_EQ(r.status, 200) << r.body;
    std::set<std::string> ids;
    const Json body = r.json();  // alive for the loop
    for (const auto& j : body["jobs"]) ids.insert(j["id"].get<std::string>());
    return ids;
  };
  EXPECT_EQ(jobs("ws1", "example"), (std::set<std::string>{jobOf["example"]}));
  EXPECT_EQ(jobs("ws1", "tributary.example"), (std::set<std::string>{jobOf["example"], jobOf["other"]}));
  EXPECT_EQ(jobs("ws2", "example"), (std::set<std::string>{jobOf["alpha"]}));
  EXPECT_EQ(jobs("ws1", "nope"), std::set<std::string>{});

  auto history = [&](const std::string& ws, const std::string& key) {
    auto r = host.admin("GET", "/api/workspaces/" + ws + "/sync/history?limit=100&connector=" + key);
    EXPECT_EQ(r.status, 200) << r.body;
    std::map<std::string, int> runsPerConnection;
    const Json body = r.json();  // alive for the loop
    for (const auto& run : body["runs"]) ++runsPerConnection[run["connection"].get<std::string>()];
    return runsPerConnection;
  };
  // In ws1 example ran three times (two workspace syncs and its own) and other twice; in ws2
  // alpha twice.
  EXPECT_EQ(history("ws1", "example"), (std::map<std::string, int>{{"example", 3}}));
  EXPECT_EQ(history("ws1", "tributary.example"), (std::map<std::string, int>{{"example", 3}, {"other", 2}}));
  EXPECT_EQ(history("ws2", "example"), (std::map<std::string, int>{{"alpha", 2}}));
}
