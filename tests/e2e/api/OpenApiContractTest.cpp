// The server held to its OpenAPI document over real HTTP: tests/js/api/contract.mjs validates
// the document (@readme/openapi-parser) and calls every documented operation, checking each
// answer against its documented schema (ajv, JSON Schema 2020-12).
#include <gtest/gtest.h>

#include "ApiTestSupport.h"

using namespace tributary;
using namespace tributary::test::api_e2e;

TEST(OpenApi, EveryOperationAnswersAsDocumented) {
  test::TestDatabase db;
  HostOptions o;
  o.workspaces = 2;
  // A key file, so that the OAuth callback can check a state (it is made once, for every host).
  test::TempDir keys;
  const std::string keyYaml = "secrets: {key_file: \"" + (keys / "secret.key").string() + "\"}\n";
  const auto keyCfg = keys.write("k.yaml", "database:\n  url: \"" + db.conninfo() + "\"\n" + keyYaml);
  auto migrated = test::runProgram({test::tributaryBinary().string(), "migrate", "--config", keyCfg.string()});
  ASSERT_TRUE(migrated.ok()) << migrated.output;
  auto made =
      test::runProgram({test::tributaryBinary().string(), "secrets", "rotate-key", "--config", keyCfg.string()});
  ASSERT_TRUE(made.ok()) << made.output;
  // Webhook endpoints on the loopback (where nothing listens), retried soon.
  o.extraYaml = keyYaml + "webhooks: {allow_private: [127.0.0.0/8], retry_schedule: [0, 100ms]}\n";
  ApiHost host(db, o);
  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202);
  host.waitForJob("ws1", s.json()["jobId"]);
  auto r =
      test::runProgram({"/usr/bin/env", "node", (test::sourceDir() / "tests" / "js" / "api" / "contract.mjs").string(),
                        host.url(), host.adminToken(), host.createToken("ws1"), host.createToken("ws2")});
  EXPECT_TRUE(r.ok()) << r.output;
  EXPECT_NE(r.output.find("operations as documented"), std::string::npos) << r.output;
}
