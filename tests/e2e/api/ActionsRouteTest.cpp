// POST .../connectors/{c}/actions/{action}: a connector's write-back as a job (202), or its
// result within a bound with ?wait=true; a body the action refuses is a 400 naming the field,
// an unknown action a 404.
#include <gtest/gtest.h>

#include "ApiTestSupport.h"

using namespace tributary;
using namespace tributary::test::api_e2e;

TEST(Actions, AnActionRunsAsAJobOrAnswersItsResultWithWait) {
  test::TestDatabase db;
  HostOptions o;
  o.pluginDirs = {TRIBUTARY_TEST_ACTIONS_PLUGIN_DIR};
  o.extraYaml =
      "  - {workspace: ws1, name: crm, connector: tributary.fixture_v11_actions_cpp, settings: {fail: none}}\n"
      "  - {workspace: ws1, name: broken, connector: tributary.fixture_v11_actions_cpp,"
      " settings: {fail: fatal}}\n"
      "api: {action_wait: 20s}\n";
  ApiHost host(db, o);

  auto r = host.admin("POST", "/api/workspaces/ws1/connectors/crm/actions/echo?wait=true", R"({"note": "hi"})");
  ASSERT_EQ(r.status, 200) << r.body << host.log();
  EXPECT_EQ(r.json()["status"], "completed");
  EXPECT_EQ(r.json()["output"]["result"]["body"]["note"], "hi") << r.body;
  EXPECT_EQ(r.json()["output"]["result"]["body"]["count"], 1) << "the worker fills in the defaults";

  auto queued = host.admin("POST", "/api/workspaces/ws1/connectors/crm/actions/echo", R"({"note": "later"})");
  ASSERT_EQ(queued.status, 202) << queued.body;
  const std::string jobId = queued.json()["jobId"];
  EXPECT_EQ(queued.json()["statusUrl"], "/api/workspaces/ws1/sync/jobs/" + jobId);
  EXPECT_EQ(host.waitForJob("ws1", jobId)["status"], "completed");

  auto failed = host.admin("POST", "/api/workspaces/ws1/connectors/broken/actions/echo?wait=true", R"({"note": "x"})");
  EXPECT_EQ(failed.status, 502) << failed.body;
  EXPECT_EQ(failed.json()["status"], "failed") << failed.body;
  EXPECT_NE(failed.json()["error"].get<std::string>().find("refused the write"), std::string::npos) << failed.body;

  auto bad = host.admin("POST", "/api/workspaces/ws1/connectors/crm/actions/echo", R"({"note": "hi", "nots": 1})");
  ASSERT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.json()["error"]["message"].get<std::string>().find("has no body field 'nots'"), std::string::npos)
      << bad.body;
  EXPECT_EQ(host.admin("POST", "/api/workspaces/ws1/connectors/crm/actions/nope", "{}").status, 404);
  EXPECT_EQ(host.admin("POST", "/api/workspaces/ws1/connectors/crm/actions/echo", "{oops").status, 400);
  EXPECT_EQ(host.admin("POST", "/api/workspaces/ws1/connectors/ghost/actions/echo", "{}").status, 404);
  // Audited.
  auto audit = host.admin("GET", "/api/audit");
  EXPECT_NE(audit.body.find("\"action.run\""), std::string::npos) << audit.body;
}
