// A kill -9 during a run that commits a carried state, asks for a follow-up and counts: end to
// end, `tributary serve` with one worker process running the ABI 1.1 state fixtures (C and
// C++). Nothing committed is lost, nothing is doubled.
#include <gtest/gtest.h>
#include <signal.h>

#include "QueueTestSupport.h"
#include "common/Strings.h"

using namespace tributary;
using queue::JobStatus;
using std::chrono::seconds;
using J = nlohmann::json;

namespace {

class CarriedStateCrash : public ::testing::TestWithParam<const char*> {};

J plain(const Json& j) { return J::parse(j.dump()); }

J sqlJson(test::QueueDatabase& q, const std::string& statement) {
  auto c = q.pool->acquire();
  auto r = c->exec(statement);
  return r.empty() || r.isNull(0, 0) ? J(nullptr) : J::parse(r.view(0, 0));
}

}  // namespace

TEST_P(CarriedStateCrash, AWorkerKilledBetweenCheckpointsLosesNothingAndDoublesNothing) {
  test::QueueDatabase q;
  test::TempDir dir;
  const auto plugins = test::buildDir() / "tests" / "fixture-plugins" / "v11-state";
  // Page 0 commits, then the call sleeps before page 1 until the test kills its worker; the
  // retry resumes after page 0 and does not sleep.
  const auto cfg =
      dir.write("tributary.yaml",
                "database:\n  url: \"" + q.db.conninfo() + "\"\nplugins: {dirs: [\"" + plugins.string() +
                    "\"]}\n"
                    "workers: {processes: 1, concurrency: 2}\n"
                    "queue: {poll_interval: 500ms, lease: 3s, heartbeat_interval: 500ms, rescue_interval: 300ms,"
                    " timeout_grace: 2s, shutdown_grace: 3s, retry: {default: {base: 50ms, cap: 200ms}}}\n"
                    "sync: {progress_interval: 100ms, batch: {initial: 1, min: 1, max: 1}}\n"
                    "workspaces: [{slug: acme}]\n"
                    "connections:\n  - workspace: acme\n    name: state\n    connector: " +
                    std::string(GetParam()) +
                    "\n    settings: {pages: 3, sleep_at_page: 1, sleep_ms: 60000, stats: ok,"
                    " follow_up_backfill: items, follow_up_from: 1700000000000, follow_up_to: 1700000100000}\n");
  test::ServerProcess serve({test::tributaryBinary().string(), "serve", "--config", cfg.string(), "--port", "0",
                             "--ready-file", (dir / "ready.json").string()},
                            dir / "serve.log");
  ASSERT_TRUE(serve.waitForReadyFile(dir / "ready.json")) << serve.log();

  auto c = q.pool->acquire();
  auto ids = c->exec("SELECT w.id, c.id FROM connections c JOIN workspaces w ON w.id = c.workspace_id");
  ASSERT_EQ(ids.rows(), 1);
  queue::EnqueueRequest r;
  r.kind = "sync";
  r.workspaceId = ids.text(0, 0);
  r.connectionId = ids.text(0, 1);
  r.priority = queue::kPriorityManual;
  r.payload = Json{{"streams", {"items"}}};
  const std::string id = q.queue->enqueue(r).jobId;

  // Page 0 committed, with its state; its progress stored the counters so far.
  ASSERT_TRUE(test::eventually(
      [&] {
        return sqlJson(q, "SELECT cursor FROM stream_state WHERE stream = 'items'") == J{{"page", 0}} &&
               sqlJson(q, "SELECT metadata->'plugin'->'counters'->'pages' FROM sync_runs") == J(1);
      },
      seconds(60)))
      << serve.log();
  EXPECT_EQ(sqlJson(q, "SELECT carried_state FROM stream_state WHERE stream = 'items'"),
            (J{{"token", 1}, {"page", 0}}));
  auto worker = c->exec("SELECT worker_id FROM jobs WHERE id = $1::uuid", id);
  const auto parts = strings::split(worker.text(0, 0), ':');  // hostname:pid:bootid
  ASSERT_GE(parts.size(), 2u);
  ASSERT_EQ(::kill(std::stoi(parts[1]), SIGKILL), 0);

  queue::Job job;
  ASSERT_TRUE(test::eventually(
      [&] {
        job = q.job(id);
        return job.status == JobStatus::Completed || job.status == JobStatus::Failed ||
               job.status == JobStatus::Discarded;
      },
      seconds(120)));
  ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << serve.log();
  EXPECT_EQ(job.attempts, 2);

  // The resumed attempt got page 0's cursor and the state committed with it, and left the last
  // page's state: nothing of page 0 lost, nothing staged after it kept.
  EXPECT_EQ(sqlJson(q, "SELECT data FROM records WHERE source_id = 'probe'"),
            (J{{"mode", "initial"}, {"state", {{"token", 1}, {"page", 0}}}, {"cursor", {{"page", 0}}}}));
  EXPECT_EQ(sqlJson(q, "SELECT carried_state FROM stream_state WHERE stream = 'items'"),
            (J{{"token", 2}, {"page", 2}}));
  EXPECT_EQ(sqlJson(q, "SELECT cursor FROM stream_state WHERE stream = 'items'"), nullptr);
  EXPECT_EQ(sqlJson(q,
                    "SELECT jsonb_agg(source_id ORDER BY source_id) FROM records WHERE stream = 'items'"
                    " AND source_id LIKE 'item-%'"),
            (J{"item-0-0", "item-0-1", "item-1-0", "item-1-1", "item-2-0", "item-2-1"}));

  // The follow-up the killed attempt asked for was never queued; the completing one's was, once.
  // (A backfill: it may run at once, and leaves the stream's state and records alone.)
  auto followUps = c->exec("SELECT id FROM jobs WHERE id <> $1::uuid", id);
  ASSERT_EQ(followUps.rows(), 1);
  EXPECT_EQ(plain(job.result["follow_ups"]), (J::array({J{{"kind", "backfill"},
                                                          {"stream", "items"},
                                                          {"reason", "items changed: re-read them"},
                                                          {"window", {{"from", 1700000000000}, {"to", 1700000100000}}},
                                                          {"job_id", followUps.text(0, 0)},
                                                          {"deduplicated", false}}})));
  // Counters count what the attempts did: the killed one stored check.calls 1 and page 0 with
  // its progress; the resumed one added its check and pages 1 and 2.
  EXPECT_EQ(plain(job.result["plugin"]["counters"]), (J{{"check.calls", 2}, {"pages", 3}, {"items.emitted", 6}}));
  serve.stop();
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CarriedStateCrash,
                         ::testing::Values("tributary.fixture_v11_state_c", "tributary.fixture_v11_state_cpp"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param) == "tributary.fixture_v11_state_c" ? "C" : "Cpp";
                         });
