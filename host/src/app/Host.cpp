#include "app/Host.h"

#include <unistd.h>

#include <thread>

#include "api/Api.h"
#include "api/EventStream.h"
#include "api/Metrics.h"
#include "app/ConfigSync.h"
#include "app/ConnectionValidator.h"
#include "app/JobKinds.h"
#include "app/Maintenance.h"
#include "auth/OAuthCallback.h"
#include "common/Files.h"
#include "common/Json.h"
#include "common/Log.h"
#include "config/ConnectionBudget.h"
#include "db/Connection.h"
#include "db/Migrator.h"
#include "db/SessionSettings.h"
#include "queue/Worker.h"
#include "secrets/HostKeys.h"
#include "server/HealthRoutes.h"
#include "webhooks/Dispatcher.h"

namespace tributary::app {

Host::Host(config::Config cfg, HostOptions options) : cfg_(std::move(cfg)), options_(std::move(options)) {}

Host::~Host() { stop(); }

void Host::start() {
  log::info("serve", "tributary {} starting with {}", TRIBUTARY_VERSION, cfg_.file.string());
  // Each plugin is probed in a child process: no plugin code runs in the API's process.
  registry_ = std::make_shared<plugins::PluginRegistry>(probePlugins(cfg_));
  {
    config::Diagnostics problems;
    validateConnections(cfg_, *registry_, problems);
    if (!problems.empty()) {
      throw std::runtime_error(std::to_string(problems.size()) + " problem(s) with the configured connections:\n" +
                               problems.format());
    }
  }
  const bool workerOnly = options_.role == "worker";
  database_ =
      db::DatabaseHandle::open(cfg_, workerOnly ? db::DatabaseHandle::Mode::OwnOrAttach : db::DatabaseHandle::Mode::Own,
                               workerOnly ? "serve --role worker" : "serve");
  {
    db::Connection conn(database_->conninfo());
    db::Migrator migrator(conn, cfg_.migrationsDir);
    auto applied = migrator.apply();
    log::info("serve", "migrations current ({} applied now)", applied.size());
    // A host without the key of a sealed value refuses to start, before it changes anything.
    keyRing_ = secrets::openKeyRing(cfg_);
    secrets::verifyDatabaseKeys(conn, keyRing_.get(), secrets::keyFileFor(cfg_).value_or(""));
    if (keyRing_) {
      log::info("serve", "secrets: key file {}, current key {} ({} key(s))", keyRing_->file().string(),
                keyRing_->currentKeyId(), keyRing_->keyIds().size());
    }
  }
  {
    // Applies this host's YAML, or reports how it differs from the applied one (ConfigSync has
    // the rule), and registers this host for as long as it runs.
    ConfigSync::Options co;
    co.workerOnly = workerOnly;
    co.apply = options_.applyConfig;
    co.hostName = ConfigSync::thisHostName();
    co.configFile = cfg_.file;
    co.checkInterval = cfg_.queue.heartbeatInterval;
    configSync_ = std::make_shared<ConfigSync>(db::withSessionSettings(database_->conninfo(), cfg_.sessionTimeouts()),
                                               DesiredConfig::from(cfg_, secretKeysOf(*registry_)), co);
    configSync_->start();
  }
  // The supervisor's and the scheduler's queue calls (rescuing a dead worker's jobs, enqueueing)
  // must not wait without end behind a frozen worker's locks either: the same session settings
  // as the workers' (and the config sync's session above). The migration connection, and the
  // scheduler's leader session (which sets its own from scheduler.leader_lease), go without.
  checkConnectionBudget();
  pool_ = std::make_shared<db::Pool>(db::withSessionSettings(database_->conninfo(), cfg_.sessionTimeouts()),
                                     cfg_.database.pool);
  queue_ = makeJobQueue(pool_, cfg_.queue);

  const int processes = cfg_.workers.processes > 0
                            ? cfg_.workers.processes
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  Supervisor::Options so;
  so.processes = processes;
  so.executable = "/proc/self/exe";
  so.configFile = cfg_.file;
  so.conninfo = database_->conninfo();
  so.memoryLimitMb = cfg_.workers.memoryLimitMb;
  so.memoryCap = cfg_.workers.memoryCap;
  so.logLevel = options_.logLevel;
  so.shutdownGrace = cfg_.queue.shutdownGrace;
  supervisor_ = std::make_unique<Supervisor>(so, queue_);
  supervisor_->start();
  // Every serve, whatever its role, stands for the maintenance lead; one of them does it.
  maintenance_ =
      std::make_unique<Maintenance>(database_->conninfo(), pool_, queue_, cfg_, queue::Worker::processWorkerId());
  maintenance_->start();

  if (workerOnly) {
    writeReadyFile();
    started_ = true;
    return;
  }

  if (cfg_.scheduler.enabled) {
    scheduler_ = std::make_unique<scheduler::Scheduler>(database_->conninfo(), queue_, cfg_.scheduler);
    scheduler_->start();
  } else {
    log::info("serve",
              "the scheduler is off (scheduler.enabled: false): connections sync on "
              "demand only");
  }

  {
    // The first start's admin token, where scripts/run says it is.
    db::Connection conn(database_->conninfo());
    try {
      api::ensureAdminToken(conn, adminTokenFile());
    } catch (const std::exception& e) {
      // No token is stored unless its file was written: the API stays usable through
      // `tributary tokens create --admin`.
      log::warn("serve",
                "{}; no admin token was created: create one with `tributary tokens create --admin`, or set "
                "api.admin_token_file (or state_dir) to a directory this host may write",
                e.what());
    }
  }
  router_ = std::make_shared<server::Router>();
  auto health = std::make_shared<server::HealthRoutes>(
      pool_, cfg_.migrationsDir, [configSync = configSync_](db::Connection& c) { return configSync->report(c); });
  health->install(*router_);
  apiHttp_ = std::make_shared<http::HttpService>(cfg_.http);
  apiHttp_->setKeyRing([this]() -> std::shared_ptr<const secrets::KeyRing> {
    secrets::requireKeyRing(keyRing_, cfg_);  // the ring the start-up check opened
    return keyRing_;
  });
  oauthCallback_ = std::make_shared<auth::OAuthCallback>(cfg_, registry_, pool_, apiHttp_);
  oauthCallback_->install(*router_);
  api_ = std::make_shared<api::Api>(
      api::ApiServices{std::make_shared<const config::Config>(cfg_), pool_, queue_, registry_, apiHttp_});
  api_->install(*router_);
  if (keyRing_) {
    // Its LISTEN session waits idle by design, as the event streams' below.
    webhooks_ = std::make_unique<webhooks::Dispatcher>(database_->conninfo(), pool_, keyRing_, cfg_.webhooks,
                                                       queue::Worker::processWorkerId());
    webhooks_->start();
  } else {
    log::info("serve",
              "webhooks: no key file (secrets.key_file), so no endpoint can be stored and nothing is delivered");
  }
  // Its LISTEN session waits idle by design: no session timeouts on it.
  events_ = std::make_shared<api::EventHub>(database_->conninfo(), cfg_.api);
  events_->start();
  api::installEventRoutes(*api_, *router_, events_);
  auto metrics = std::make_shared<api::ApiMetrics>();
  api::installMetricsRoutes(*api_, *router_, metrics, [this] {
    api::ServeCounters c;
    if (supervisor_) {
      for (const auto& child : supervisor_->children()) c.workerRestarts += child.restarts;
    }
    if (webhooks_) c.webhooks = webhooks_->stats();
    return c;
  });
  // The routes hold `health` through the router's lifetime.
  router_->add("GET", "/", [health](const server::Request&) {
    return server::Response::json(
        200, {{"name", "tributary"}, {"version", TRIBUTARY_VERSION}, {"health", "/health"}, {"ready", "/ready"}});
  });

  server::HttpServerOptions so2;
  so2.threads = cfg_.api.threads;
  so2.requestTimeout = cfg_.api.requestTimeout;
  so2.keepAliveTimeout = cfg_.api.keepAliveTimeout;
  so2.maxBody = static_cast<size_t>(cfg_.api.maxBody);
  http_ = std::make_unique<server::HttpServer>(options_.bind.value_or(cfg_.server.bind),
                                               options_.port.value_or(cfg_.server.port), router_, so2);
  http_->setObserver(
      [metrics](const server::Request& r, int status, double ms) { metrics->observe(r.method, r.route, status, ms); });
  http_->start();
  apiUrl_ = http_->baseUrl();
  writeReadyFile();
  started_ = true;
}

std::filesystem::path Host::adminTokenFile() const {
  return cfg_.api.adminTokenFile.empty() ? cfg_.stateDir / "admin.token" : cfg_.api.adminTokenFile;
}

void Host::checkConnectionBudget() {
  const auto budget =
      config::ConnectionBudget::of(cfg_, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  db::Connection conn(database_->conninfo());
  auto r = conn.exec(
      "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int,"
      " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int - 1");
  const int max = static_cast<int>(r.int64(0, 0));
  const int reserved = static_cast<int>(r.int64(0, 1));
  const int inUse = static_cast<int>(r.int64(0, 2));
  const std::string what = "this host may open " + budget.describe() + "; the server allows " + std::to_string(max) +
                           " (max_connections), " + std::to_string(reserved) + " of them reserved for superusers";
  if (budget.total > max - reserved) {
    throw std::runtime_error(what +
                             ": lower workers.processes, workers.concurrency or database.pool.max, set "
                             "database.connection_budget, or raise max_connections on the server");
  }
  if (budget.total > max - reserved - inUse) {
    log::warn("serve",
              "{}, and {} are in use by others now (other hosts, tools): this host may run out of connections "
              "at full load (see docs/operators.md, the connection budget)",
              what, inUse);
  } else {
    log::info("serve", "connections: {}", budget.describe());
  }
}

void Host::writeReadyFile() {
  if (!options_.readyFile) return;
  Json j = {
      {"pid", ::getpid()}, {"role", options_.role}, {"database", database_->embedded() ? "embedded" : "external"}};
  if (http_) {
    j["api_url"] = apiUrl_;
    j["admin_token_file"] = adminTokenFile().string();
    j["port"] = http_->port();
  }
  Json workers = Json::array();
  for (const auto& c : supervisor_->children())
    workers.push_back({{"index", c.index}, {"pid", c.pid}, {"worker_id", c.workerId}});
  j["workers"] = workers;
  if (database_->embedded()) j["postgres_socket_dir"] = database_->embedded()->socketDir().string();
  files::writeFileAtomic(*options_.readyFile, j.dump(2) + "\n");
}

std::string Host::checkHealth() {
  if (database_ && database_->embedded() && !database_->embedded()->running()) {
    return "the embedded PostgreSQL exited unexpectedly; see " + database_->embedded()->logFile().string();
  }
  return "";
}

void Host::stop() {
  if (http_) {
    http_->stop();
    http_.reset();
  }
  if (events_) {
    events_->stop();
    events_.reset();
  }
  if (webhooks_) {
    webhooks_->stop();
    webhooks_.reset();
  }
  if (maintenance_) {
    maintenance_->stop();
    maintenance_.reset();
  }
  if (scheduler_) {
    scheduler_->stop();
    scheduler_.reset();
  }
  if (supervisor_) {
    supervisor_->stop();
    supervisor_.reset();
  }
  queue_.reset();
  router_.reset();
  api_.reset();
  if (configSync_) {
    configSync_->stop();
    configSync_.reset();
  }
  pool_.reset();
  registry_.reset();
  if (database_) {
    database_->close();
    database_.reset();
  }
  if (started_) log::info("serve", "stopped");
  started_ = false;
}

}  // namespace tributary::app
