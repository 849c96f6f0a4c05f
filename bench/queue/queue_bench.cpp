// The Tributary side of bench/queue/run.
//   tributary-queue-bench throughput CONNINFO JOBS PROCESSES CONCURRENCY PREFETCH WORKDIR
//     no-op jobs end to end through `tributary worker --once` processes, as graphile-worker's
//     perfTest runs its workers; prints {"jobs_per_s":…, "startup_ms":…, "run_ms":…}
//   tributary-queue-bench latency CONNINFO SAMPLES
//     enqueue-to-start of one job at a time, a worker of concurrency 1 in this process, as
//     graphile-worker's latencyTest; prints {"pickup_p50_ms":…, "pickup_p99_ms":…}
#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>

#include "common/Files.h"
#include "common/Log.h"
#include "common/Process.h"
#include "config/Paths.h"
#include "db/Connection.h"
#include "db/Migrator.h"
#include "queue/JobQueue.h"
#include "queue/Worker.h"

using namespace tributary;
using Clock = std::chrono::steady_clock;

namespace {

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

std::shared_ptr<queue::JobQueue> makeQueue(const std::string& conninfo) {
  config::PoolConfig p;
  p.max = 8;
  return std::make_shared<queue::JobQueue>(std::make_shared<db::Pool>(conninfo, p), config::QueueConfig{});
}

double runWorkers(const std::filesystem::path& exe, const std::filesystem::path& cfg, int processes) {
  auto start = Clock::now();
  std::vector<process::Child> children;
  for (int i = 0; i < processes; ++i) {
    process::SpawnOptions o;
    o.argv = {exe.string(), "worker", "--once", "--config", cfg.string(), "--worker-index", std::to_string(i)};
    children.push_back(process::Child::spawn(o));
  }
  for (auto& c : children) {
    int st = c.wait();
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      throw std::runtime_error("a worker " + process::describeStatus(st));
    }
  }
  return msSince(start);
}

int throughput(const std::string& conninfo, int jobs, int processes, int concurrency, int prefetch,
               const std::filesystem::path& dir) {
  db::Connection conn(conninfo);
  db::Migrator(conn, std::filesystem::path(TRIBUTARY_SOURCE_DIR) / "migrations").apply();
  std::filesystem::create_directories(dir);
  auto cfg = dir / "bench.yaml";
  files::writeFileAtomic(
      cfg, "database:\n  url: \"" + conninfo + "\"\n  pool: {max: " + std::to_string(concurrency + 4) +
               "}\nworkers:\n  concurrency: " + std::to_string(concurrency) +
               "\n  prefetch: " + std::to_string(prefetch) + "\nqueue:\n  claim_batch: 500\nlogging: {level: warn}\n");
  const auto exe = std::filesystem::path(TRIBUTARY_BUILD_DIR) / "bin" / "tributary";
  const double startupMs = runWorkers(exe, cfg, processes);
  auto q = makeQueue(conninfo);
  std::vector<queue::EnqueueRequest> batch(10000);
  for (auto& r : batch) r.kind = "noop";
  for (int left = jobs; left > 0; left -= 10000) {
    batch.resize(static_cast<size_t>(std::min(left, 10000)));
    q->enqueueMany(conn, batch);
  }
  const double runMs = runWorkers(exe, cfg, processes);
  auto done = conn.exec("SELECT count(*) FILTER (WHERE status = 'completed'), count(*) FROM jobs WHERE kind = 'noop'");
  if (done.int64(0, 0) != jobs) {
    std::cerr << "only " << done.int64(0, 0) << " of " << jobs << " jobs completed\n";
    return 1;
  }
  const double jps = jobs / ((runMs - startupMs) / 1000.0);
  std::cout << Json{{"jobs", jobs},         {"processes", processes},  {"concurrency", concurrency},
                    {"prefetch", prefetch}, {"startup_ms", startupMs}, {"run_ms", runMs},
                    {"jobs_per_s", jps}}
                   .dump()
            << std::endl;
  return 0;
}

int latency(const std::string& conninfo, int samples) {
  db::Connection conn(conninfo);
  db::Migrator(conn, std::filesystem::path(TRIBUTARY_SOURCE_DIR) / "migrations").apply();
  auto q = makeQueue(conninfo);
  std::mutex mu;
  std::condition_variable cv;
  int seen = -1;
  Clock::time_point startedAt;
  auto registry = std::make_shared<queue::HandlerRegistry>();
  registry->add("bench.latency", std::make_shared<queue::FunctionHandler>([&](queue::JobContext& ctx) {
                  auto now = Clock::now();
                  std::lock_guard lock(mu);
                  seen = ctx.job().payload.value("i", -1);
                  startedAt = now;
                  cv.notify_all();
                  return queue::Outcome{};
                }));
  queue::Worker::Options wo;
  wo.concurrency = 1;
  wo.workerId = "latency-bench";
  queue::Worker worker(q, registry, conninfo, wo);
  worker.start();
  std::vector<double> lat;
  for (int i = -100; i < samples; ++i) {  // the first hundred warm up
    queue::EnqueueRequest r;
    r.kind = "bench.latency";
    r.payload = {{"i", i}};
    auto t0 = Clock::now();
    q->enqueue(conn, r);
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(30), [&] { return seen == i; })) {
      std::cerr << "job " << i << " was not picked up within 30 s\n";
      return 1;
    }
    if (i >= 0) lat.push_back(std::chrono::duration<double, std::milli>(startedAt - t0).count());
  }
  worker.stop();
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) { return lat[static_cast<size_t>(p * static_cast<double>(lat.size() - 1))]; };
  std::cout << Json{{"samples", samples}, {"pickup_p50_ms", pct(0.5)}, {"pickup_p99_ms", pct(0.99)}}.dump()
            << std::endl;
  return 0;
}

// One thread, no worker: how fast the claim and completion statements are by themselves.
int claimLoop(const std::string& conninfo, int jobs, int batchSize) {
  db::Connection conn(conninfo);
  db::Migrator(conn, std::filesystem::path(TRIBUTARY_SOURCE_DIR) / "migrations").apply();
  auto q = makeQueue(conninfo);
  std::vector<queue::EnqueueRequest> batch(static_cast<size_t>(jobs));
  for (auto& r : batch) r.kind = "noop";
  auto t0 = Clock::now();
  q->enqueueMany(conn, batch);
  double enqueueMs = msSince(t0);
  double claimMs = 0, completeMs = 0;
  int claimed = 0;
  while (true) {
    auto t1 = Clock::now();
    auto got = q->claim("bench", batchSize);
    claimMs += msSince(t1);
    if (got.empty()) break;
    claimed += static_cast<int>(got.size());
    std::vector<std::string> ids;
    for (auto& j : got) ids.push_back(j.id);
    auto t2 = Clock::now();
    q->completeMany(ids, "bench");
    completeMs += msSince(t2);
  }
  std::cout << Json{{"jobs", claimed},
                    {"enqueue_ms", enqueueMs},
                    {"claim_ms", claimMs},
                    {"complete_ms", completeMs},
                    {"jobs_per_s", claimed / ((claimMs + completeMs) / 1000.0)}}
                   .dump()
            << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  log::configure(log::Level::Warn, log::Format::Text);
  try {
    std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "throughput" && argc == 8) {
      return throughput(argv[2], std::stoi(argv[3]), std::stoi(argv[4]), std::stoi(argv[5]), std::stoi(argv[6]),
                        argv[7]);
    }
    if (mode == "latency" && argc == 4) return latency(argv[2], std::stoi(argv[3]));
    if (mode == "claimloop" && argc == 5) return claimLoop(argv[2], std::stoi(argv[3]), std::stoi(argv[4]));
  } catch (const std::exception& e) {
    std::cerr << "tributary-queue-bench: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: tributary-queue-bench throughput CONNINFO JOBS PROCESSES CONCURRENCY PREFETCH WORKDIR\n"
               "       tributary-queue-bench latency CONNINFO SAMPLES\n";
  return 2;
}
