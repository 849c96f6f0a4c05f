// The Tributary side of bench/ingest/run, and its PostgreSQL references.
//   tributary-ingest-bench sync CONNINFO CONFIG MODE [CONNECTION STREAM]
//     enqueues one sync of the `deals` stream of connection bench/example (or of STREAM of
//     CONNECTION: bench/connectors/run runs tributary.hubspot so) and runs it in a
//     `tributary worker --once` process: the real path (worker, example plugin, ABI emit,
//     COPY-staged upsert). Prints {"records", "seconds", "rps", "rss_mb"}; rss_mb is the
//     worker's peak resident set (ru_maxrss), so run one measurement per invocation.
//   tributary-ingest-bench references CONNINFO WORKDIR
//     the same rows, taken from the synced deals table: COPY into an empty twin of the table
//     with the same indexes (copy_rps), and the plain staged upsert of existing rows, COPY to a
//     temporary table then INSERT ... ON CONFLICT DO UPDATE of every row (staged_existing_rps).
#include <sys/resource.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/ConfigSync.h"
#include "app/ConnectionValidator.h"
#include "common/Log.h"
#include "common/Process.h"
#include "config/ConfigLoader.h"
#include "db/Connection.h"
#include "db/Migrator.h"
#include "queue/JobQueue.h"

using namespace tributary;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int sync(const std::string& conninfo, const std::filesystem::path& cfgFile, const std::string& mode,
         const std::string& connection = "example", const std::string& stream = "deals") {
  auto loaded = config::ConfigLoader().loadFile(cfgFile);
  if (!loaded.ok()) {
    std::cerr << loaded.diagnostics.format();
    return 1;
  }
  db::Connection conn(conninfo);
  db::Migrator(conn, std::filesystem::path(TRIBUTARY_SOURCE_DIR) / "migrations").apply();
  auto registry = app::loadPlugins(loaded.config, true);
  app::syncConfigToDatabase(conn, loaded.config, registry);
  auto ids = conn.exec("SELECT c.id, c.workspace_id FROM connections c WHERE c.name = $1", connection);
  if (ids.empty()) {
    std::cerr << "no connection " << connection << " in " << cfgFile << "\n";
    return 1;
  }
  config::PoolConfig pc;
  auto pool = std::make_shared<db::Pool>(conninfo, pc);
  queue::JobQueue q(pool, loaded.config.queue);
  queue::EnqueueRequest r;
  r.kind = "sync";
  r.connectionId = ids.text(0, 0);
  r.workspaceId = ids.text(0, 1);
  r.payload = Json{{"mode", mode}, {"streams", {stream}}};
  auto job = q.enqueue(r);
  const auto started = Clock::now();
  process::SpawnOptions o;
  o.argv = {(std::filesystem::path(TRIBUTARY_BUILD_DIR) / "bin" / "tributary").string(), "worker", "--once", "--config",
            cfgFile.string()};
  auto child = process::Child::spawn(o);
  int st = child.wait();
  const double secs = secondsSince(started);
  struct rusage ru {};
  getrusage(RUSAGE_CHILDREN, &ru);
  auto j = q.get(job.jobId);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !j || j->status != queue::JobStatus::Completed) {
    std::cerr << "the sync did not complete: " << (j ? j->toJson().dump(2) : std::string("no job")) << "\n";
    return 1;
  }
  const int64_t records = j->result["streams"][stream]["counts"]["records"];
  std::cout << Json{{"mode", mode},
                    {"records", records},
                    {"seconds", secs},
                    {"rps", static_cast<double>(records) / secs},
                    {"rss_mb", static_cast<double>(ru.ru_maxrss) / 1024.0},
                    {"worker_cpu_seconds", static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                                               static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6},
                    {"counts", j->result["streams"][stream]["counts"]}}
                   .dump()
            << std::endl;
  return 0;
}

// COPY ... TO STDOUT into a file.
void copyOut(db::Connection& c, const std::string& sql, const std::filesystem::path& file) {
  std::ofstream out(file, std::ios::binary);
  c.copyOut(sql, [&](std::string_view data) { out.write(data.data(), static_cast<std::streamsize>(data.size())); });
}

int64_t copyIn(db::Connection& c, const std::string& sql, const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<char> buf(1 << 20);
  return c.copyIn(sql, [&](std::string& chunk) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    chunk.assign(buf.data(), static_cast<size_t>(in.gcount()));
    return in.gcount() > 0;
  });
}

int references(const std::string& conninfo, const std::filesystem::path& dir) {
  db::Connection c(conninfo);
  std::filesystem::create_directories(dir);
  const auto rows = dir / "deals.copy";
  const std::string cols =
      "workspace_id, source, source_id, connection_id, stream, name, amount, stage, close_date, pipeline, owner_id,"
      " account_id, raw, raw_hash, source_modified_at, deleted_at, created_at, updated_at";
  copyOut(c, "COPY (SELECT " + cols + " FROM deals) TO STDOUT", rows);
  c.execScript("DROP TABLE IF EXISTS deals_twin; CREATE TABLE deals_twin (LIKE deals INCLUDING ALL)");
  c.execScript("CHECKPOINT");
  auto t0 = Clock::now();
  const int64_t n = copyIn(c, "COPY deals_twin (" + cols + ") FROM STDIN", rows);
  const double copySecs = secondsSince(t0);

  c.execScript("CHECKPOINT");
  t0 = Clock::now();
  {
    db::Transaction tx(c);
    c.execScript("CREATE TEMP TABLE deals_stage (LIKE deals) ON COMMIT DROP");
    copyIn(c, "COPY deals_stage (" + cols + ") FROM STDIN", rows);
    c.execScript(
        "INSERT INTO deals_twin AS t (" + cols + ") SELECT " + cols +
        " FROM deals_stage"
        " ON CONFLICT (workspace_id, source, source_id) DO UPDATE SET connection_id = EXCLUDED.connection_id,"
        " stream = EXCLUDED.stream, name = EXCLUDED.name, amount = EXCLUDED.amount, stage = EXCLUDED.stage,"
        " close_date = EXCLUDED.close_date, pipeline = EXCLUDED.pipeline, owner_id = EXCLUDED.owner_id,"
        " account_id = EXCLUDED.account_id, raw = EXCLUDED.raw, raw_hash = EXCLUDED.raw_hash,"
        " source_modified_at = EXCLUDED.source_modified_at, deleted_at = EXCLUDED.deleted_at, updated_at = now()");
    tx.commit();
  }
  const double stagedSecs = secondsSince(t0);
  // The rows as JSON lines, for the seeds' reference in Node.
  copyOut(c, "COPY (SELECT row_to_json(d) FROM (SELECT " + cols + " FROM deals) d) TO STDOUT", dir / "deals.jsonl");
  std::cout << Json{{"rows", n},
                    {"copy_seconds", copySecs},
                    {"copy_rps", static_cast<double>(n) / copySecs},
                    {"staged_existing_seconds", stagedSecs},
                    {"staged_existing_rps", static_cast<double>(n) / stagedSecs}}
                   .dump()
            << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  log::configure(log::Level::Warn, log::Format::Text);
  try {
    std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "sync" && argc == 5) return sync(argv[2], argv[3], argv[4]);
    if (mode == "sync" && argc == 7) return sync(argv[2], argv[3], argv[4], argv[5], argv[6]);
    if (mode == "references" && argc == 4) return references(argv[2], argv[3]);
  } catch (const std::exception& e) {
    std::cerr << "tributary-ingest-bench: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: tributary-ingest-bench sync CONNINFO CONFIG MODE [CONNECTION STREAM] | references CONNINFO "
               "WORKDIR\n";
  return 2;
}
