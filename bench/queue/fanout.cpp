// tributary-fanout-bench: the scheduler's fan-out, for bench/queue/run. Times the leader's tick
// that finds N connections due in the same slot and enqueues one sync job for each (the due
// query, the busy check, the mode lookup, JobQueue::enqueueMany, the schedule-state update and
// the commit), on a fresh database. Prints one JSON line: {"fanout_1000_ms": N} (the median of
// the rounds; the key names the connection count).
//
//   tributary-fanout-bench [CONNINFO] [--connections N] [--rounds R]
//
// CONNINFO names a fresh, empty database (bench/queue/run makes one); it is migrated and filled.
// Without it the program starts its own PostgreSQL cluster in a temporary directory (with the
// durable settings a real host has), makes the database there, and removes both afterwards.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/Json.h"
#include "common/Log.h"
#include "db/Connection.h"
#include "db/EmbeddedPostgres.h"
#include "db/Migrator.h"
#include "db/Pool.h"
#include "queue/JobQueue.h"
#include "scheduler/Scheduler.h"

namespace fs = std::filesystem;
using namespace tributary;
using Clock = std::chrono::steady_clock;

namespace {

fs::path migrationsDir() {
  fs::path inTree = fs::path(TRIBUTARY_SOURCE_DIR) / "migrations";
  return fs::exists(inTree) ? inTree : fs::path(TRIBUTARY_INSTALL_PREFIX) / "share/tributary/migrations";
}

}  // namespace

int main(int argc, char** argv) {
  std::string givenConninfo;
  int connections = 1000;
  int rounds = 5;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--connections" && i + 1 < argc) {
      connections = std::stoi(argv[++i]);
    } else if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::stoi(argv[++i]);
    } else if (givenConninfo.empty() && arg.rfind("--", 0) != 0) {
      givenConninfo = arg;
    } else {
      std::cerr << "usage: tributary-fanout-bench [CONNINFO] [--connections N] [--rounds R]\n";
      return 2;
    }
  }
  log::configure(log::Level::Warn, log::Format::Text);

  std::unique_ptr<db::EmbeddedPostgres> pg;
  fs::path scratch;
  try {
    std::string conninfo = givenConninfo;
    if (conninfo.empty()) {
      std::string tmpl = "/tmp/trib-fanout-XXXXXX";
      if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
      scratch = tmpl;
      ::chmod(scratch.c_str(), 0711);
      db::EmbeddedPostgres::Options o;
      o.stateDir = scratch / "pg";
      o.settings.database = "postgres";
      fs::create_directories(o.stateDir);
      ::chmod(o.stateDir.c_str(), 0711);
      pg = std::make_unique<db::EmbeddedPostgres>(o);
      pg->start();
      db::Connection admin(pg->conninfo("postgres"));
      admin.execScript("CREATE DATABASE tributary_fanout");
      conninfo = pg->conninfo("postgres") + " dbname=tributary_fanout";
    }
    db::Connection sql(conninfo);
    db::Migrator(sql, migrationsDir()).apply();
    sql.execScript(
        "INSERT INTO workspaces (slug, name) VALUES ('bench', 'bench');"
        "INSERT INTO connections (workspace_id, name, connector, schedule) "
        "SELECT w.id, 'c' || n, 'tributary.example', '0 * * * *' "
        "FROM workspaces w, generate_series(1, " +
        std::to_string(connections) +
        ") n;"
        // Half have synced before: their jobs are incremental.
        "UPDATE connections SET last_sync_at = now() WHERE name ~ '[02468]$';"
        "ANALYZE");

    auto pool = std::make_shared<db::Pool>(conninfo, config::PoolConfig{});
    auto queue = std::make_shared<queue::JobQueue>(pool, config::QueueConfig{});
    // An hourly schedule on a clock the benchmark moves: every connection is due at each hour.
    auto now = std::chrono::system_clock::now();
    auto hour = std::chrono::floor<std::chrono::hours>(now);
    scheduler::Scheduler::Options options;
    options.hostId = "bench";
    options.clock = [&now] { return now; };
    scheduler::Scheduler s(conninfo, queue, config::SchedulerConfig{}, options);
    now = hour + std::chrono::minutes(30);
    auto armed = s.tickOnce();
    if (!armed.leader || armed.armed != connections) {
      throw std::runtime_error("arming failed: " + std::to_string(armed.armed) + " of " + std::to_string(connections) +
                               " armed");
    }

    std::vector<double> ms;
    for (int r = 0; r < rounds; ++r) {
      now = hour + std::chrono::hours(r + 1) + std::chrono::milliseconds(5);
      auto t0 = Clock::now();
      auto report = s.tickOnce();
      auto t1 = Clock::now();
      if (report.queued != connections) {
        throw std::runtime_error("round " + std::to_string(r + 1) + " queued " + std::to_string(report.queued) +
                                 " of " + std::to_string(connections));
      }
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      std::cerr << "round " << r + 1 << ": " << connections << " syncs queued in " << ms.back() << " ms\n";
      // The workers' part, untimed: the jobs finish, so the next slot does not find them busy.
      sql.execScript("UPDATE jobs SET status = 'completed', completed_at = now() WHERE status = 'pending'");
    }
    auto sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    double median = sorted[sorted.size() / 2];
    s.stop();
    pool.reset();
    if (pg) pg->stop();
    if (!scratch.empty()) fs::remove_all(scratch);
    Json out;
    out["fanout_" + std::to_string(connections) + "_ms"] = static_cast<int64_t>(median + 0.5);
    std::cout << out.dump() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "tributary-bench-fanout: " << e.what() << "\n";
    if (pg) pg->stop();
    if (!scratch.empty()) {
      std::error_code ec;
      fs::remove_all(scratch, ec);
    }
    return 1;
  }
}
