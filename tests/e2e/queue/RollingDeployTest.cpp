// A rolling deploy: a new connector reaches one host before the others. Each host is a real
// `tributary serve` on one test database, with its own state dir, plugins and YAML.
#include <gtest/gtest.h>

#include "QueueTestSupport.h"
#include "ServeHost.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::seconds;

namespace {

std::unique_ptr<test::ServeHost> startHost(test::QueueDatabase& q, const std::string& name,
                                           const std::string& connections, bool withPlugins,
                                           std::vector<std::string> extra = {}) {
  return test::startServeHost(
      q, name, withPlugins ? std::optional(test::buildDir() / "plugins") : std::nullopt,
      "workers: {processes: 2, concurrency: 2}\n"
      "queue: {poll_interval: 500ms, lease: 2s, heartbeat_interval: 300ms, rescue_interval: 200ms}\n"
      "scheduler: {enabled: false}\n"
      "workspaces: [{slug: acme}]\n" +
          connections,
      extra);
}

}  // namespace

TEST(RollingDeploy, ANewConnectorsJobsRunOnlyOnTheHostThatHasItAndNoneFails) {
  test::QueueDatabase q;
  // The old host: no example plugin, no such connection. The new one has both, and applies its
  // file (the old host's stays as it was: neither disables the other's connections).
  auto old = startHost(q, "old", "connections: []\n", false);
  auto fresh = startHost(q, "new",
                         "connections:\n  - {workspace: acme, name: crm, connector: tributary.example,"
                         " settings: {records: 50, page_size: 10}}\n",
                         true, {"--apply-config"});
  std::string connection;
  {
    auto c = q.pool->acquire();
    connection = c->exec("SELECT id FROM connections WHERE name = 'crm' AND enabled").text(0, 0);
  }
  std::vector<std::string> ids;
  auto ws = [&] {
    auto c = q.pool->acquire();
    return c->exec("SELECT id FROM workspaces WHERE slug = 'acme'").text(0, 0);
  }();
  for (int i = 0; i < 12; ++i) {
    EnqueueRequest r;
    r.kind = "sync";
    r.workspaceId = ws;
    r.connectionId = connection;
    r.payload = Json{{"streams", {"deals"}}};
    ids.push_back(q.queue->enqueue(r).jobId);
  }
  auto done = [&](const std::string& id) {
    auto s = q.job(id).status;
    return s != JobStatus::Pending && s != JobStatus::Running;
  };
  ASSERT_TRUE(test::eventually([&] { return std::all_of(ids.begin(), ids.end(), done); }, seconds(120)))
      << old->log() << fresh->log();
  const auto mine = fresh->workerIds();
  for (const auto& id : ids) {
    auto j = q.job(id);
    EXPECT_EQ(j.status, JobStatus::Completed) << j.toJson().dump(2);
    EXPECT_EQ(j.attempts, 1);
    EXPECT_TRUE(std::find(mine.begin(), mine.end(), j.workerId.value_or("")) != mine.end())
        << "job " << id << " ran on " << j.workerId.value_or("?") << ", a host without the connector";
  }

  // A job that needs a newer plugin than any host has: every worker declines it, none is charged,
  // and after a lease it says that no running worker can run it.
  EnqueueRequest newer;
  newer.kind = "sync";
  newer.workspaceId = ws;
  newer.connectionId = connection;
  newer.payload = Json{{"streams", {"deals"}}, {"plugin_version", "9.0.0"}};
  const auto waiting = q.queue->enqueue(newer).jobId;
  ASSERT_TRUE(test::eventually([&] { return q.job(waiting).waitReason == "no_worker"; }, seconds(60)))
      << q.job(waiting).toJson().dump(2) << fresh->log();
  auto j = q.job(waiting);
  EXPECT_EQ(j.status, JobStatus::Pending);
  EXPECT_EQ(j.attempts, 0) << "declines used attempts";
  EXPECT_NE(j.lastError.value_or("").find("no running worker can run it"), std::string::npos) << *j.lastError;
  EXPECT_NE(j.lastError.value_or("").find("the job needs tributary.example 9.0.0 or later; this worker has 1.0.0"),
            std::string::npos)
      << *j.lastError;
}
