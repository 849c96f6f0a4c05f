// The sweep issue 16's tests end with (tests/support/SecretSweep.h): it must find a secret
// wherever one was left, or a clean sweep proves nothing.
#include "SecretSweep.h"

#include <gtest/gtest.h>

#include "QueueTestSupport.h"

using namespace tributary;

namespace {

bool anyHas(const std::vector<std::string>& hits, const std::string& part) {
  for (const auto& h : hits) {
    if (h.find(part) != std::string::npos) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& hits) {
  std::string out;
  for (const auto& h : hits) out += h + "\n";
  return out;
}

}  // namespace

TEST(SecretSweep, FindsPlantedSecretsInColumnsAndLogFilesAndNamesOnlyTheirIndex) {
  test::QueueDatabase q;
  const std::string ws = q.workspace();
  const std::string conn = q.connection(ws);
  const std::vector<std::string> secrets = {"sweep-token-0001", "sweep \"json\" secret-0002", "sweep/url+secret=0003",
                                            "never-written-0004"};
  {
    auto c = q.pool->acquire();
    c->exec("UPDATE connections SET error_message = 'vendor said sweep-token-0001' WHERE id = $1::uuid", conn);
    // In jsonb, escaped; in a text column, percent-encoded in a URL.
    c->exec("INSERT INTO events (workspace_id, connection_id, type, payload) VALUES ($1::uuid, $2::uuid, 'x', $3)", ws,
            conn, Json{{"error", secrets[1]}});
    c->exec(
        "INSERT INTO jobs (kind, timeout_ms, last_error) VALUES ('t', 1000, 'GET /x?q=sweep%2Furl%2Bsecret%3D0003')");
  }
  test::TempDir dir;
  const auto log = dir.write("host.log", "line one\nworker: Bearer sweep-token-0001\nline three\n");
  const auto clean = dir.write("clean.log", "nothing here\n");

  const auto hits = test::findSecrets(q, secrets, {log, clean});
  EXPECT_TRUE(anyHas(hits, "connections.error_message row (id)=(" + conn + ") holds secret #0 (swe...)"))
      << joined(hits);
  EXPECT_TRUE(anyHas(hits, "events.payload row (id)=(")) << joined(hits);
  EXPECT_TRUE(anyHas(hits, "holds secret #1 (swe...)")) << joined(hits);
  EXPECT_TRUE(anyHas(hits, "jobs.last_error row (id)=(")) << joined(hits);
  EXPECT_TRUE(anyHas(hits, "holds secret #2 (swe...)")) << joined(hits);
  EXPECT_TRUE(anyHas(hits, log.string() + ":2 holds secret #0 (swe...)")) << joined(hits);
  EXPECT_FALSE(anyHas(hits, "#3")) << joined(hits);
  EXPECT_FALSE(anyHas(hits, "clean.log")) << joined(hits);
  EXPECT_EQ(hits.size(), 4u) << joined(hits);
  for (const auto& s : secrets) EXPECT_FALSE(anyHas(hits, s)) << "a hit prints the secret: " << joined(hits);

  EXPECT_TRUE(test::findSecrets(q, {"never-written-0004"}, {clean}).empty());
}

TEST(SecretSweep, FindsAPlantedSecretInAPgDumpOfTheDatabase) {
  test::QueueDatabase q;
  const std::string ws = q.workspace();
  {
    auto c = q.pool->acquire();
    c->exec("UPDATE workspaces SET name = 'dump-secret-0001' WHERE id = $1::uuid", ws);
  }
  test::TempDir dir;
  const auto hits =
      test::findSecretsInDump(q.db.conninfo(), {"absent-secret-0000", "dump-secret-0001"}, dir / "dump.sql");
  ASSERT_EQ(hits.size(), 1u) << joined(hits);
  EXPECT_NE(hits[0].find("dump.sql:"), std::string::npos) << hits[0];
  EXPECT_NE(hits[0].find("holds secret #1 (dum...)"), std::string::npos) << hits[0];
  EXPECT_TRUE(test::findSecretsInDump(q.db.conninfo(), {"absent-secret-0000"}, dir / "dump2.sql").empty());
}
