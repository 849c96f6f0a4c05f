// tributary-test-scheduler: one scheduler host and nothing else, for the failover tests, which
// need several hosts as separate processes to kill. The scheduler is the same class that
// `tributary serve` runs.
//
//   tributary-test-scheduler --config FILE --host-id NAME --ready-file PATH
//
// Writes {"pid": N} to the ready file once its scheduler thread runs; stops on SIGTERM or SIGINT.

#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>

#include "common/Files.h"
#include "common/Json.h"
#include "common/Log.h"
#include "config/ConfigLoader.h"
#include "db/Pool.h"
#include "queue/JobQueue.h"
#include "scheduler/Scheduler.h"

using namespace tributary;

int main(int argc, char** argv) {
  std::string configFile, hostId, readyFile;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--config") configFile = argv[i + 1];
    else if (flag == "--host-id") hostId = argv[i + 1];
    else if (flag == "--ready-file") readyFile = argv[i + 1];
  }
  if (configFile.empty() || hostId.empty() || readyFile.empty()) {
    std::cerr << "usage: tributary-test-scheduler --config FILE --host-id NAME --ready-file PATH\n";
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  auto loaded = config::ConfigLoader().loadFile(configFile);
  if (!loaded.ok()) {
    std::cerr << loaded.diagnostics.format();
    return 2;
  }
  const auto& cfg = loaded.config;
  log::configure(cfg.logging.level, cfg.logging.format);
  log::setProcessTag(hostId);
  try {
    auto pool = std::make_shared<db::Pool>(cfg.database.url, cfg.database.pool);
    auto queue = std::make_shared<queue::JobQueue>(pool, cfg.queue);
    scheduler::Scheduler::Options options;
    options.hostId = hostId;
    scheduler::Scheduler scheduler(cfg.database.url, queue, cfg.scheduler, options);
    scheduler.start();
    files::writeFileAtomic(readyFile, Json{{"pid", ::getpid()}, {"host_id", hostId}}.dump() + "\n");
    int sig = 0;
    sigwait(&stop, &sig);
    scheduler.stop();
  } catch (const std::exception& e) {
    log::error("scheduler", "{}", e.what());
    return 1;
  }
  return 0;
}
