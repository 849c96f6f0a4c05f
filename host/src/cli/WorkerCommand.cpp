#include "cli/WorkerCommand.h"

#include <Poco/Util/Option.h>
#include <signal.h>

#include <cstdlib>
#include <thread>

#include "app/ConnectionValidator.h"
#include "app/JobKinds.h"
#include "common/Log.h"
#include "common/Process.h"
#include "config/ConnectionBudget.h"
#include "db/DatabaseHandle.h"
#include "db/SessionSettings.h"
#include "http/HttpMetrics.h"
#include "queue/Worker.h"

namespace tributary::cli {

WorkerCommand::WorkerCommand()
    : Command("worker", "[--worker-index N] [--once]",
              "Runs one worker process: claims jobs and runs them on threads. `tributary serve` "
              "starts and supervises these; run it by hand only to debug.") {}

void WorkerCommand::defineCommandOptions(Poco::Util::OptionSet& options) {
  options.addOption(Poco::Util::Option("worker-index", "", "this worker's number under its supervisor")
                        .required(false)
                        .repeatable(false)
                        .argument("N"));
  options.addOption(
      Poco::Util::Option("once", "", "exit once no job is runnable and none runs").required(false).repeatable(false));
}

bool WorkerCommand::handleCommandOption(const std::string& name, const std::string& value) {
  if (name == "once") {
    once_ = true;
    return true;
  }
  if (name != "worker-index") return false;
  index_ = std::atoi(value.c_str());
  return true;
}

int WorkerCommand::execute(const std::vector<std::string>& args) {
  if (!args.empty()) return kUsage;
  // A crash in a job must end this process with its real signal, so that the supervisor can
  // record it: nothing here may turn SIGSEGV into an exception or an abort.
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(s, SIG_DFL);
  if (const char* fd = std::getenv("TRIBUTARY_CRASH_FD")) queue::Worker::installCrashReporter(std::atoi(fd));
  sigset_t stopSignals = blockStopSignals();

  auto cfg = loadConfig();
  if (!cfg) return kFailure;
  log::setProcessTag("worker-" + std::to_string(index_));

  std::unique_ptr<db::DatabaseHandle> handle;
  std::string conninfo;
  if (const char* c = std::getenv("TRIBUTARY_WORKER_CONNINFO")) {
    conninfo = c;
    ::unsetenv("TRIBUTARY_WORKER_CONNINFO");
  } else {
    handle = db::DatabaseHandle::open(*cfg, db::DatabaseHandle::Mode::Attach, "worker");
    conninfo = handle->conninfo();
  }
  // Every session of this process (the pool's and the queue's LISTEN connection) carries the
  // timeouts and keepalives, so that if this process freezes mid-transaction its locks go soon
  // after its lease, and none of its threads waits on the database without end.
  const auto session = cfg->sessionTimeouts();
  try {
    conninfo = db::withSessionSettings(conninfo, session);
  } catch (const std::exception& e) {
    log::error("worker", "{}", e.what());
    return kFailure;
  }
  log::debug("worker", "database sessions: {}", db::describeSessionSettings(session));
  config::PoolConfig poolCfg = cfg->database.pool;
  // A sync holds two connections (double-buffered batches) and briefly a third for progress;
  // heartbeats, claims and completions must never wait behind them (config::ConnectionBudget).
  poolCfg.max = config::ConnectionBudget::of(*cfg, static_cast<int>(std::thread::hardware_concurrency())).workerPool;
  auto pool = std::make_shared<db::Pool>(conninfo, poolCfg);
  auto queue = app::makeJobQueue(pool, cfg->queue);
  auto sharedCfg = std::make_shared<const config::Config>(*cfg);
  auto pluginRegistry = std::make_shared<const plugins::PluginRegistry>(app::loadProbedPlugins(*cfg, /*quiet=*/true));
  auto registry = std::make_shared<queue::HandlerRegistry>();
  app::registerJobKinds(*registry, sharedCfg, pluginRegistry);

  queue::Worker::Options opts;
  opts.concurrency = cfg->workers.concurrency;
  opts.prefetch = cfg->workers.prefetch;
  opts.exitWhenIdle = once_;
  {
    // What it can run, for claims and for the other hosts; under a serve, that host's elected
    // maintenance rescues and prunes.
    auto c = pool->acquire();
    opts.connections = app::runnableConnections(*c, *cfg, *pluginRegistry);
    opts.connectionKinds = app::connectionKinds();
    opts.plugins = app::loadedPlugins(*pluginRegistry);
    opts.maintenance = std::getenv("TRIBUTARY_WORKER_BOOT") == nullptr;
  }
  // The HTTP client's per-vendor counters, for GET /metrics on any host.
  opts.onHeartbeat = [pool] {
    auto c = pool->acquire(std::chrono::seconds(2));
    http::HttpMetrics::instance().flush(*c);
  };
  queue::Worker worker(queue, registry, conninfo, opts);
  worker.start();
  int sig = 0;
  while (sig <= 0 && !worker.idle()) {
    struct timespec tick {
      0, once_ ? 5'000'000 : 500'000'000
    };
    sig = sigtimedwait(&stopSignals, nullptr, &tick);
  }
  if (sig > 0) {
    log::info("worker", "received {}; finishing running jobs (up to {} ms)", process::signalName(sig),
              cfg->queue.shutdownGrace.count());
  }
  worker.stop();
  try {
    auto c = pool->acquire(std::chrono::seconds(2));
    http::HttpMetrics::instance().flush(*c);
  } catch (const std::exception& e) {
    log::debug("worker", "flushing the HTTP counters failed: {}", e.what());
  }
  return kOk;
}

}  // namespace tributary::cli
