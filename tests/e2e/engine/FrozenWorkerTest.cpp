// A worker that freezes between a batch's writes and its COMMIT (SIGSTOP: a stalled VM, a
// debugger, a machine cut off) holds that batch's row locks. Its job is rescued when its lease
// runs out, and the new run, on another worker, upserts the same rows: it must not wait behind
// the frozen session for longer than database.session.idle_in_transaction_timeout.
#include <gtest/gtest.h>
#include <signal.h>

#include "EngineTestSupport.h"
#include "common/Strings.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::seconds;

namespace {

const std::string kSettings = "{records: 600, page_size: 50, latency_ms: 20}";
// In the third batch of 100: two batches are committed when it freezes.
const std::string kFreezeAt = "deal-000000250";

// `tributary serve` with two worker processes, so that one can freeze while the other takes
// over; timings as EngineHost's, with a 2 s lease (the session settings derive from it).
struct TwoWorkerHost {
  test::QueueDatabase& q;
  test::TempDir dir;
  std::unique_ptr<test::ServerProcess> serve;

  TwoWorkerHost(test::QueueDatabase& qdb, const std::string& extraYaml) : q(qdb) {
    const auto plugins = test::buildDir() / "plugins";
    auto cfg = dir.write(
        "tributary.yaml",
        "database:\n  url: \"" + q.db.conninfo() + "\"\n" + extraYaml + "plugins: {dirs: [\"" + plugins.string() +
            "\"]}\n"
            "workers: {processes: 2, concurrency: 2}\n"
            "queue: {poll_interval: 500ms, lease: 2s, heartbeat_interval: 300ms, rescue_interval: 200ms,"
            " timeout_grace: 2s, shutdown_grace: 3s, retry: {default: {base: 50ms, cap: 200ms}}}\n"
            "sync: {progress_interval: 100ms, batch: {initial: 100, min: 100, max: 100}}\n"
            "workspaces: [{slug: acme}]\n"
            "connections:\n  - workspace: acme\n    connector: tributary.example\n    settings: " +
            kSettings + "\n");
    const auto ready = dir / "ready.json";
    serve = std::make_unique<test::ServerProcess>(
        std::vector<std::string>{test::tributaryBinary().string(), "serve", "--config", cfg.string(), "--port", "0",
                                 "--ready-file", ready.string()},
        dir / "serve.log");
    if (!serve->waitForReadyFile(ready)) throw std::runtime_error("serve did not start:\n" + serve->log());
  }

  std::string enqueue(const Json& payload) {
    auto c = q.pool->acquire();
    auto ids = c->exec("SELECT workspace_id, id FROM connections WHERE name = 'example'");
    EnqueueRequest r;
    r.kind = "sync";
    r.workspaceId = ids.text(0, 0);
    r.connectionId = ids.text(0, 1);
    r.priority = kPriorityManual;
    r.payload = payload;
    return q.queue->enqueue(r).jobId;
  }

  std::string log() const { return serve->log(); }
};

// Resumes a process this test stopped, whatever way the test ends.
struct Thaw {
  pid_t pid = 0;
  ~Thaw() {
    if (pid > 0) ::kill(pid, SIGCONT);
  }
};

pid_t pidOf(const std::string& workerId) {
  auto parts = strings::split(workerId, ':');
  return parts.size() >= 2 ? std::stoi(parts[1]) : 0;  // hostname:pid:bootid
}

}  // namespace

TEST(FrozenWorker, AJobWhoseWorkerFrozeInsideABatchCompletesOnAnotherWorker) {
  test::QueueDatabase q;
  auto c = q.pool->acquire();
  // The batch holding kFreezeAt stops inside its upsert, rows before it written, until the
  // test has frozen its worker (at most 10 s); disarmed, the rerun passes straight through.
  c->execScript(
      "CREATE TABLE test_freeze (armed boolean NOT NULL); INSERT INTO test_freeze VALUES (true);"
      "CREATE FUNCTION test_freeze_deal() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
      "  IF NEW.source_id = '" +
      kFreezeAt +
      "' THEN FOR i IN 1..200 LOOP EXIT WHEN NOT (SELECT armed FROM test_freeze); PERFORM pg_sleep(0.05);"
      "  END LOOP; END IF; RETURN NEW; END $$;"
      "CREATE TRIGGER test_freeze BEFORE INSERT OR UPDATE ON deals FOR EACH ROW EXECUTE FUNCTION test_freeze_deal()");
  TwoWorkerHost h(q, "");
  const auto id = h.enqueue(Json{{"streams", {"deals"}}});

  int backend = 0;
  ASSERT_TRUE(test::eventually(
      [&] {
        auto r = c->exec(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'"
            " AND pid <> pg_backend_pid()");
        if (r.empty()) return false;
        backend = static_cast<int>(r.int64(0, 0));
        return true;
      },
      seconds(60)))
      << "no batch reached " << kFreezeAt << "\n"
      << h.log();
  const Job held = q.job(id);
  ASSERT_EQ(held.status, JobStatus::Running);
  const std::string frozenWorker = held.workerId.value_or("");
  Thaw thaw{pidOf(frozenWorker)};
  ASSERT_GT(thaw.pid, 0) << frozenWorker;
  ASSERT_EQ(::kill(thaw.pid, SIGSTOP), 0);
  // The upsert ends; the frozen session sits idle in its transaction, holding the rows.
  c->exec("UPDATE test_freeze SET armed = false");

  const std::string cursor = c->exec("SELECT cursor->>'id' FROM stream_state WHERE stream = 'deals'").text(0, 0);
  ASSERT_FALSE(cursor.empty()) << "no checkpoint was committed before the freeze";
  const int committedPages = (std::stoi(cursor.substr(5)) + 1) / 50;

  // Rescued when its lease runs out, rerun on the other worker; its upsert of the frozen
  // batch's rows waits until the server ends the frozen session.
  Job job;
  const auto ended = [](JobStatus s) {
    return s == JobStatus::Completed || s == JobStatus::Failed || s == JobStatus::Discarded;
  };
  EXPECT_TRUE(test::eventually([&] { return ended((job = q.job(id)).status); }, seconds(60)))
      << "the job did not end within 60 s of the freeze";
  // Resumed now: a backend waiting in COPY for a stopped client absorbs no ProcSignalBarrier,
  // so the reference database's DROP/CREATE DATABASE below would wait for it.
  ::kill(thaw.pid, SIGCONT);
  thaw.pid = 0;
  ASSERT_EQ(job.status, JobStatus::Completed) << job.toJson().dump(2) << "\n" << h.log();
  EXPECT_NE(job.workerId.value_or(""), frozenWorker);
  EXPECT_EQ(job.attempts, 2);
  EXPECT_EQ(job.errors[0]["kind"], "worker_lost");
  EXPECT_TRUE(c->exec("SELECT 1 FROM pg_stat_activity WHERE pid = $1", backend).empty())
      << "the frozen worker's session is still open";
  auto run = c->exec("SELECT metadata FROM sync_runs WHERE job_id = $1::uuid", id);
  ASSERT_EQ(run.rows(), 1);
  const Json meta = Json::parse(run.view(0, 0));
  EXPECT_TRUE(meta["streams"]["deals"]["resumed"].get<bool>());
  EXPECT_LE(meta["streams"]["deals"]["pages"].get<int64_t>(), 12 - committedPages + 1)
      << "the rerun re-read more than one page before the last checkpoint (" << committedPages << " committed)";

  auto rows = c->exec(
      "SELECT source_id, raw_hash, coalesce(to_char(source_modified_at AT TIME ZONE 'UTC',"
      " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS'), ''), deleted_at IS NOT NULL FROM deals");
  std::map<std::string, test::RowState> got;
  for (int i = 0; i < rows.rows(); ++i) {
    got[rows.text(i, 0)] = test::RowState{rows.int64(i, 1), rows.text(i, 2), rows.boolean(i, 3)};
  }
  EXPECT_EQ(got, test::referenceRows(kSettings, "deals"));
}
