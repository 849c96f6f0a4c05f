// Nothing secret in what a failed sync leaves (issue 16): a vendor that echoes the connection's
// token and a URL that carries an access_token=, through the real engine (SyncJobHandler, the
// fixture_http plugin, the host's HTTP client against a loopback vendor), end up redacted in
// the job, its run, its events and the log, and nowhere in clear.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "LoopbackServer.h"
#include "QueueTestSupport.h"
#include "SecretSweep.h"
#include "config/ConfigLoader.h"
#include "engine/SyncJobHandler.h"
#include "plugins/PluginRegistry.h"
#include "queue/JobHandler.h"

using namespace tributary;
using http::testing::Arrival;
using http::testing::LoopbackServer;
using http::testing::Reply;

namespace {

constexpr const char* kToken = "engine-secret-token-0001";  // the connection's secret setting
constexpr const char* kUrlToken = "ya29.engine-url-0002";   // a token in a URL's query

// fd 2 into `file` while it lives: the log lines the run writes, as they leave the process.
class StderrToFile {
 public:
  explicit StderrToFile(const std::filesystem::path& file)
      : sink_(std::fopen(file.c_str(), "w")), saved_(::dup(STDERR_FILENO)) {
    ::dup2(::fileno(sink_), STDERR_FILENO);
  }
  ~StderrToFile() {
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    std::fclose(sink_);
  }

 private:
  std::FILE* sink_;
  int saved_;
};

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

TEST(RedactedRunErrors, AVendorEchoingTheTokenAndAnAccessTokenUrlLeaveNoSecretInTheJobItsRunOrTheLog) {
  test::QueueDatabase q;
  LoopbackServer vendor([](const Arrival&, size_t) {
    return Reply::withStatus(401, {}, std::string(R"({"message":"token )") + kToken + R"( is not valid here"})");
  });
  test::TempDir dir;
  // The token is given in the file (as `config check` would refuse): only the job's instance,
  // which tells secret settings apart, learns that it is one.
  const std::string yaml = "database: {url: \"" + q.db.conninfo() +
                           "\"}\n"
                           "workspaces: [{slug: acme}]\n"
                           "connections:\n"
                           "  - workspace: acme\n"
                           "    name: vendor\n"
                           "    connector: tributary.fixture_http\n"
                           "    settings: {base_url: \"" +
                           vendor.url(std::string("/hub?access_token=") + kUrlToken + "&path=") + "\", token: \"" +
                           kToken + "\"}\n";
  auto loaded = config::ConfigLoader().loadString(yaml, "redact.yaml", dir.path());
  ASSERT_TRUE(loaded.ok()) << loaded.diagnostics.format();
  auto cfg = std::make_shared<config::Config>(loaded.config);
  plugins::PluginRegistry::Options o({test::buildDir() / "tests" / "fixture-plugins-http"});
  auto registry = std::make_shared<plugins::PluginRegistry>(plugins::PluginRegistry::scan(o));
  ASSERT_TRUE(registry->find("tributary.fixture_http"));

  const std::string ws = q.workspace();
  std::string connectionId;
  {
    auto c = q.pool->acquire();
    connectionId = c->exec(
                        "INSERT INTO connections (workspace_id, name, connector) VALUES ($1::uuid, 'vendor',"
                        " 'tributary.fixture_http') RETURNING id",
                        ws)
                       .text(0, 0);
  }
  queue::EnqueueRequest r;
  r.kind = "sync";
  r.workspaceId = ws;
  r.connectionId = connectionId;
  r.maxAttempts = 1;
  const std::string id = q.queue->enqueue(r).jobId;

  const auto log = dir / "host.log";
  {
    StderrToFile capture(log);
    auto claimed = q.queue->claim("w1", 1);
    ASSERT_EQ(claimed.size(), 1u);
    queue::JobContext ctx(claimed[0], *q.queue, "w1");
    engine::SyncJobHandler handler(cfg, registry);
    const queue::Outcome outcome = handler.run(ctx);
    q.queue->finish(id, "w1", outcome, claimed[0].claimUs);
  }

  // The vendor was asked with the token, and refused it: the failure is the one we mean.
  ASSERT_GE(vendor.count(), 1u);
  bool sentToken = false;
  const auto arrivals = vendor.arrivals();  // a copy: the loop must not outlive it
  for (const auto& [name, value] : arrivals[0].headers) sentToken |= value == std::string("Bearer ") + kToken;
  EXPECT_TRUE(sentToken);
  const queue::Job job = q.job(id);
  ASSERT_TRUE(job.lastError) << job.toJson().dump(2);
  EXPECT_NE(job.lastError->find("/hub?access_token=[redacted]&path=/crm/v3/objects/deals"), std::string::npos)
      << *job.lastError;
  EXPECT_NE(job.lastError->find(R"(answered 401: {"message":"token [redacted] is not valid here"})"), std::string::npos)
      << *job.lastError;
  auto c = q.pool->acquire();
  auto run = c->exec("SELECT status, errors::text, attempts::text FROM sync_runs WHERE job_id = $1::uuid", id);
  ASSERT_EQ(run.rows(), 1);
  EXPECT_EQ(run.text(0, 0), "failed");
  EXPECT_NE(run.text(0, 1).find("token [redacted] is not valid"), std::string::npos) << run.text(0, 1);
  EXPECT_NE(run.text(0, 2).find("access_token=[redacted]"), std::string::npos) << run.text(0, 2);

  // And nowhere in clear: not a column of the database, not a line of the log.
  const auto hits = test::findSecrets(q, {kToken, kUrlToken}, {log});
  EXPECT_TRUE(hits.empty()) << joined(hits);
  const auto dumped = test::findSecretsInDump(q.db.conninfo(), {kToken, kUrlToken}, dir / "dump.sql");
  EXPECT_TRUE(dumped.empty()) << joined(dumped);
  const std::string logText = [&] {
    std::string s;
    std::FILE* f = std::fopen(log.c_str(), "r");
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
    std::fclose(f);
    return s;
  }();
  EXPECT_NE(logText.find("[redacted]"), std::string::npos) << "the run logged nothing of its failure:\n" << logText;
}
