#pragma once

// A connection of one of the ABI 1.1 state fixtures (tests/plugins/fixtures/fixture_v11_state.c
// and .cpp) on a test database, whose jobs a test runs through the real engine in its own
// process: claimed from the queue, run by engine::SyncJobHandler (SyncRun, the writer, the
// recorder, real PostgreSQL) and ended as a worker ends them. A run ending Retry is what a
// crashed attempt leaves: whatever it committed before stays, its open batch is gone.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "QueueTestSupport.h"
#include "config/ConfigLoader.h"
#include "engine/SyncJobHandler.h"
#include "plugins/PluginRegistry.h"
#include "queue/JobHandler.h"

namespace tributary::test {

// The fixtures' names, for tests run over both.
inline const char* kStateFixtureC = "tributary.fixture_v11_state_c";
inline const char* kStateFixtureCpp = "tributary.fixture_v11_state_cpp";

// JSON to compare whatever the order of its keys: jsonb stores them sorted, and the host's
// ordered Json compares them in order.
using PlainJson = nlohmann::json;
inline PlainJson plain(const Json& j) { return PlainJson::parse(j.dump()); }

inline std::string fixtureLabel(const ::testing::TestParamInfo<const char*>& info) {
  return std::string(info.param) == kStateFixtureC ? "C" : "Cpp";
}

class StateFixtureRun {
 public:
  // `settings`: the connection's settings as a YAML flow mapping, e.g. "{pages: 3}".
  StateFixtureRun(QueueDatabase& qdb, std::string connector, const std::string& settings = "{}")
      : q(qdb), connector_(std::move(connector)) {
    plugins::PluginRegistry::Options o({buildDir() / "tests" / "fixture-plugins" / "v11-state"});
    registry_ = std::make_shared<plugins::PluginRegistry>(plugins::PluginRegistry::scan(o));
    if (!registry_->find(connector_)) throw std::runtime_error("fixture " + connector_ + " did not load");
    configure(settings);
    auto c = q.pool->acquire();
    workspaceId = c->exec("INSERT INTO workspaces (slug, name) VALUES ('acme', 'acme') RETURNING id").text(0, 0);
    connectionId = c->exec(
                        "INSERT INTO connections (workspace_id, name, connector) VALUES ($1::uuid, 'state', $2)"
                        " RETURNING id",
                        workspaceId, connector_)
                       .text(0, 0);
  }

  // New settings for the jobs run from now on (a worker reads them per job).
  void configure(const std::string& settings) {
    const std::string yaml = "database:\n  url: \"" + q.db.conninfo() +
                             "\"\n"
                             "sync: {progress_interval: 10ms}\n"
                             "workspaces: [{slug: acme}]\n"
                             "connections:\n  - workspace: acme\n    name: state\n    connector: " +
                             connector_ + "\n    settings: " + settings + "\n";
    auto r = config::ConfigLoader().loadString(yaml, "state-fixture.yaml", dir.path());
    if (!r.ok()) throw std::runtime_error("bad test configuration: " + r.diagnostics.format());
    // One checkpoint, one commit: every page's batch (and the state staged with it) is stored
    // when its checkpoint comes.
    r.config.sync.initialBatch = 1;
    r.config.sync.minBatch = 1;
    r.config.sync.maxBatch = 1;
    cfg_ = std::make_shared<config::Config>(r.config);
  }

  std::string enqueue(const Json& payload, const std::string& kind = "sync", int priority = queue::kPriorityManual) {
    queue::EnqueueRequest r;
    r.kind = kind;
    r.workspaceId = workspaceId;
    r.connectionId = connectionId;
    r.priority = priority;
    r.payload = payload;
    return q.queue->enqueue(r).jobId;
  }

  // Runs one attempt of job `id` (which must be the one of its kind the queue hands out next,
  // once any retry backoff is over) and ends it; returns the job as the queue then has it.
  queue::Job runAttempt(const std::string& id) {
    std::vector<queue::Job> claimed;
    const std::string kind = q.job(id).kind;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while ((claimed = q.queue->claim("w1", 1, {kind})).empty()) {
      if (std::chrono::steady_clock::now() > until) throw std::runtime_error("job " + id + " was never claimable");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const queue::Job job = claimed.front();
    EXPECT_EQ(job.id, id) << "the queue handed out another job first: " << job.toJson().dump();
    queue::JobContext ctx(job, *q.queue, "w1");
    engine::SyncJobHandler handler(cfg_, registry_);
    last = handler.run(ctx);
    q.queue->finish(job.id, "w1", last, job.claimUs);
    return q.job(id);
  }

  // Runs job `id` attempt after attempt until it is no longer pending (a retry runs again).
  queue::Job run(const std::string& id) {
    queue::Job j;
    for (int attempt = 0; attempt < 5; ++attempt) {
      j = runAttempt(id);
      if (j.status != queue::JobStatus::Pending || last.kind == queue::Outcome::Kind::Wait) return j;
    }
    return j;
  }
  queue::Job sync(const Json& payload = Json::object()) { return run(enqueue(payload)); }

  // The raw JSON of a record of the generic records table (the fixture's "probe": what a call got).
  PlainJson record(const std::string& sourceId, const std::string& stream = "items") {
    auto c = q.pool->acquire();
    auto r = c->exec("SELECT data::text FROM records WHERE stream = $1 AND source_id = $2", stream, sourceId);
    return r.empty() ? PlainJson(nullptr) : PlainJson::parse(r.view(0, 0));
  }
  // stream_state's carried state of a stream (null when none), and its resume cursor.
  PlainJson carriedState(const std::string& stream = "items") { return column("carried_state", stream); }
  PlainJson cursor(const std::string& stream = "items") { return column("cursor", stream); }
  // The run of a job: sync_runs.metadata.
  PlainJson runMetadata(const std::string& jobId) {
    auto c = q.pool->acquire();
    auto r = c->exec("SELECT metadata::text FROM sync_runs WHERE job_id = $1::uuid", jobId);
    return r.empty() ? PlainJson(nullptr) : PlainJson::parse(r.view(0, 0));
  }
  // The jobs of the connection other than `except`, oldest first.
  std::vector<queue::Job> otherJobs(const std::vector<std::string>& except) {
    auto c = q.pool->acquire();
    auto r = c->exec("SELECT id FROM jobs WHERE connection_id = $1::uuid ORDER BY created_at, id", connectionId);
    std::vector<queue::Job> out;
    for (int i = 0; i < r.rows(); ++i) {
      const std::string id = r.text(i, 0);
      if (std::find(except.begin(), except.end(), id) == except.end()) out.push_back(q.job(id));
    }
    return out;
  }

  QueueDatabase& q;
  TempDir dir;
  std::string workspaceId, connectionId;
  queue::Outcome last;  // what the last attempt's run came to

 private:
  PlainJson column(const std::string& name, const std::string& stream) {
    auto c = q.pool->acquire();
    auto r = c->exec("SELECT " + name + "::text FROM stream_state WHERE connection_id = $1::uuid AND stream = $2",
                     connectionId, stream);
    return r.empty() || r.isNull(0, 0) ? PlainJson(nullptr) : PlainJson::parse(r.view(0, 0));
  }

  std::string connector_;
  std::shared_ptr<config::Config> cfg_;
  std::shared_ptr<plugins::PluginRegistry> registry_;
};

}  // namespace tributary::test
