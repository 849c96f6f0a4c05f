// Who may call what: the auth matrix on every route (no token, a bad one, a revoked one,
// another workspace's, the workspace's own, an admin's), workspaces that cannot be discovered,
// each token's request rate, the first start's admin token, and the audit log.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "ApiTestSupport.h"
#include "db/Connection.h"

using namespace tributary;
using namespace tributary::test::api_e2e;

namespace {

struct Route {
  std::string method, path, body;
};

// Every route under a workspace, with bodies that are valid where one is read.
std::vector<Route> workspaceRoutes(const std::string& ws, const std::string& jobId) {
  const std::string w = "/api/workspaces/" + ws;
  return {{"GET", w, ""},
          {"GET", w + "/connections", ""},
          {"POST", w + "/connections/example/pause", ""},
          {"POST", w + "/connections/example/resume", ""},
          {"POST", w + "/sync", R"({"dryRun": true})"},
          {"POST", w + "/connectors/example/sync", R"({"dryRun": true})"},
          {"POST", w + "/connectors/example/backfill", R"({"ids": ["deal-000000001"], "dryRun": true})"},
          {"GET", w + "/sync/jobs", ""},
          {"GET", w + "/sync/jobs/" + jobId, ""},
          {"DELETE", w + "/sync/jobs/" + jobId, ""},
          {"POST", w + "/sync/jobs/" + jobId + "/retry", ""},
          {"GET", w + "/sync/status", ""},
          {"GET", w + "/sync/history", ""},
          {"GET", w + "/records/deals", ""},
          {"GET", w + "/record-errors", ""},
          {"POST", w + "/record-errors/replay", ""}};
}

}  // namespace

TEST(Auth, EveryRouteAnswersEachKindOfTokenAsItShould) {
  test::TestDatabase db;
  HostOptions o;
  o.workspaces = 2;
  o.extraYaml = "api: {rate_limit: {per_second: 1000, burst: 1000}}\n";
  ApiHost host(db, o);
  const std::string ws1 = host.createToken("ws1", "ws1 ci");
  const std::string ws2 = host.createToken("ws2");
  const std::string revoked = host.createToken("ws1", "to revoke");
  auto rv = host.cli({"tokens", "revoke", "to revoke"});
  ASSERT_TRUE(rv.ok()) << rv.output;

  auto sync = host.call("POST", "/api/workspaces/ws1/sync", "", ws1);
  ASSERT_EQ(sync.status, 202) << sync.body;
  const std::string jobId = sync.json()["jobId"];
  host.waitForJob("ws1", jobId);
  // The uuid names the workspace as well as its slug.
  const std::string ws1Id = host.call("GET", "/api/workspaces/ws1", "", ws1).json()["id"];
  EXPECT_EQ(host.call("GET", "/api/workspaces/" + ws1Id, "", ws1).status, 200);

  for (const auto& r : workspaceRoutes("ws1", jobId)) {
    const std::string what = r.method + " " + r.path;
    EXPECT_EQ(host.call(r.method, r.path, r.body).status, 401) << what << " without a token";
    EXPECT_EQ(host.call(r.method, r.path, r.body, "trb_" + std::string(43, 'A')).status, 401) << what;
    EXPECT_EQ(host.call(r.method, r.path, r.body, "not even a token").status, 401) << what;
    EXPECT_EQ(host.call(r.method, r.path, r.body, revoked).status, 401) << what << " with a revoked token";
    auto other = host.call(r.method, r.path, r.body, ws2);
    EXPECT_EQ(other.status, 404) << what << " with another workspace's token: " << other.body;
    EXPECT_EQ(other.json()["error"]["message"], "no workspace \"ws1\"") << what;
    for (const auto& token : {ws1, host.adminToken()}) {
      auto ok = host.call(r.method, r.path, r.body, token);
      EXPECT_NE(ok.status, 401) << what << ": " << ok.body;
      EXPECT_NE(ok.status, 404) << what << ": " << ok.body;
      EXPECT_LT(ok.status, 500) << what << ": " << ok.body;
    }
  }
  // A workspace that exists and one that does not look the same to another workspace's token.
  EXPECT_EQ(host.call("GET", "/api/workspaces/ws1", "", ws2).body,
            std::string(R"({"error":{"code":"not_found","message":"no workspace \"ws1\"","details":{}}})"));
  EXPECT_EQ(host.call("GET", "/api/workspaces/nope", "", ws2).json()["error"]["code"], "not_found");
  // GET /api/workspaces lists only the token's own.
  auto mine = host.call("GET", "/api/workspaces", "", ws2);
  ASSERT_EQ(mine.status, 200);
  ASSERT_EQ(mine.json()["workspaces"].size(), 1u);
  EXPECT_EQ(mine.json()["workspaces"][0]["slug"], "ws2");
  EXPECT_EQ(host.admin("GET", "/api/workspaces").json()["workspaces"].size(), 2u);
  // Admin routes: a workspace token is told nothing is there.
  EXPECT_EQ(host.call("GET", "/api/audit", "", ws1).status, 404);
  EXPECT_EQ(host.call("GET", "/api/audit").status, 401);
  EXPECT_EQ(host.admin("GET", "/api/audit").status, 200);
  EXPECT_EQ(host.call("GET", "/api/plugins", "", ws1).status, 200);
  EXPECT_EQ(host.call("GET", "/api/plugins").status, 401);
  // Open routes.
  EXPECT_EQ(host.call("GET", "/health").status, 200);
  EXPECT_EQ(host.call("GET", "/ready").status, 200);

  // The audit log says who did what.
  auto audit = host.admin("GET", "/api/audit?limit=200");
  ASSERT_EQ(audit.status, 200);
  bool sawStart = false, sawPause = false;
  const Json auditBody = audit.json();  // alive for the loop
  for (const auto& e : auditBody["entries"]) {
    if (e["action"] == "sync.start" && e["tokenName"] == "ws1 ci" && e["target"] == "ws1") sawStart = true;
    if (e["action"] == "connection.pause" && e["target"] == "ws1/example") sawPause = true;
  }
  EXPECT_TRUE(sawStart) << audit.body;
  EXPECT_TRUE(sawPause) << audit.body;
  // Tokens are listed without their value.
  auto list = host.cli({"tokens", "list", "--json"});
  ASSERT_TRUE(list.ok()) << list.output;
  EXPECT_EQ(list.output.find(ws1), std::string::npos);
  EXPECT_NE(list.output.find("\"ws1 ci\""), std::string::npos);
}

TEST(Auth, TheFirstStartWritesAnAdminTokenOnlyItsOwnerCanRead) {
  test::TestDatabase db;
  ApiHost host(db);
  const auto file = host.dir() / "state" / "admin.token";
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(host.admin("GET", "/api/workspaces").status, 200);
  // Only its hash is in the database.
  db::Connection c(db.conninfo());
  auto r = c.exec("SELECT count(*) FROM api_tokens WHERE hash = $1 OR prefix = $1", host.adminToken());
  EXPECT_EQ(r.int64(0, 0), 0);
}

TEST(Auth, ATokenOverItsRequestRateGets429WithRetryAfter) {
  test::TestDatabase db;
  HostOptions o;
  o.extraYaml = "api: {rate_limit: {per_second: 1, burst: 3}}\n";
  ApiHost host(db, o);
  const std::string t = host.createToken("ws1");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(host.call("GET", "/api/workspaces/ws1", "", t).status, 200) << i;
  auto r = host.call("GET", "/api/workspaces/ws1", "", t);
  ASSERT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "rate_limited");
  EXPECT_EQ(r.headers["retry-after"], "1");
  // Another token has its own budget.
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1").status, 200);
}
