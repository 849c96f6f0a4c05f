#include "config/ConfigLoader.h"

#include <thread>

#include "common/Files.h"
#include "config/Paths.h"
#include "config/Section.h"

namespace tributary::config {
namespace {

void readServer(Section s, ServerConfig& out) {
  out.bind = s.string("bind", out.bind);
  if (out.bind.empty()) s.error("bind", "must not be empty");
  out.port = static_cast<int>(s.integer("port", out.port, 0, 65535));
  s.finish();
}

void readDatabase(Section s, DatabaseConfig& out) {
  out.url = s.string("url", out.url);
  {
    Section pool = s.section("pool");
    out.pool.min = static_cast<int>(pool.integer("min", out.pool.min, 0, 1000));
    out.pool.max = static_cast<int>(pool.integer("max", out.pool.max, 1, 1000));
    out.pool.idleTimeout = pool.duration("idle_timeout", out.pool.idleTimeout);
    out.pool.healthCheckOnBorrow = pool.boolean("health_check_on_borrow", out.pool.healthCheckOnBorrow);
    if (out.pool.min > out.pool.max) {
      pool.error("min", "must not exceed database.pool.max (" + std::to_string(out.pool.max) + ")");
    }
    pool.finish();
  }
  {
    Section e = s.section("embedded");
    out.embedded.binDir = e.filePath("bin_dir", out.embedded.binDir);
    out.embedded.user = e.string("user", out.embedded.user);
    out.embedded.database = e.string("database", out.embedded.database);
    out.embedded.tcpPort = static_cast<int>(e.integer("tcp_port", out.embedded.tcpPort, 0, 65535));
    out.embedded.startTimeout =
        e.duration("start_timeout", out.embedded.startTimeout, std::chrono::seconds(1));
    e.finish();
  }
  s.finish();
}

void readWorkers(Section s, WorkersConfig& out) {
  out.processes = static_cast<int>(s.integer("processes", out.processes, 0, 256));
  out.concurrency = static_cast<int>(s.integer("concurrency", out.concurrency, 1, 1024));
  out.memoryLimitMb = static_cast<int>(s.integer("memory_limit_mb", out.memoryLimitMb, 0, 1 << 20));
  out.testJobKinds = s.boolean("test_job_kinds", out.testJobKinds);
  s.finish();
}

RetryPolicy readRetry(Section s, RetryPolicy out) {
  out.maxAttempts = static_cast<int>(s.integer("max_attempts", out.maxAttempts, 1, 1000));
  out.base = s.duration("base", out.base);
  out.factor = s.number("factor", out.factor, 1.0, 100.0);
  out.cap = s.duration("cap", out.cap);
  s.finish();
  return out;
}

void readQueue(Section s, QueueConfig& out) {
  using std::chrono::milliseconds;
  out.pollInterval = s.duration("poll_interval", out.pollInterval, milliseconds(10));
  out.lease = s.duration("lease", out.lease, milliseconds(100));
  out.heartbeatInterval = s.duration("heartbeat_interval", out.heartbeatInterval, milliseconds(10));
  out.rescueInterval = s.duration("rescue_interval", out.rescueInterval, milliseconds(10));
  out.timeoutGrace = s.duration("timeout_grace", out.timeoutGrace);
  out.shutdownGrace = s.duration("shutdown_grace", out.shutdownGrace);
  out.retention = s.duration("retention", out.retention);
  out.claimBatch = static_cast<int>(s.integer("claim_batch", out.claimBatch, 1, 10000));
  if (out.heartbeatInterval >= out.lease) {
    s.error("heartbeat_interval", "must be shorter than queue.lease, or every job would be rescued");
  }
  {
    Section t = s.section("timeouts");
    out.initialTimeout = t.duration("initial", out.initialTimeout, milliseconds(1));
    out.incrementalTimeout = t.duration("incremental", out.incrementalTimeout, milliseconds(1));
    out.backfillTimeout = t.duration("backfill", out.backfillTimeout, milliseconds(1));
    out.defaultTimeout = t.duration("default", out.defaultTimeout, milliseconds(1));
    t.finish();
  }
  {
    Section r = s.section("retry");
    out.defaultRetry = readRetry(r.section("default"), out.defaultRetry);
    for (const auto& kind : r.keys()) {
      if (kind == "default") continue;
      out.retryByKind[kind] = readRetry(r.section(kind), out.defaultRetry);
    }
    r.finish();
  }
  s.finish();
}

void readScheduler(Section s, SchedulerConfig& out) {
  using std::chrono::milliseconds;
  out.enabled = s.boolean("enabled", out.enabled);
  out.tick = s.duration("tick", out.tick, milliseconds(10));
  out.leaderLease = s.duration("leader_lease", out.leaderLease, std::chrono::seconds(1));
  out.misfireGrace = s.duration("misfire_grace", out.misfireGrace);
  out.misfire = *parseMisfirePolicy(
      s.choice("misfire", std::string(toString(out.misfire)), {"run_once", "skip"}));
  if (out.tick >= out.leaderLease) {
    s.error("tick", "must be shorter than scheduler.leader_lease, or another host could not take "
                    "over within the lease");
  }
  s.finish();
}

void readLogging(Section s, LoggingConfig& out) {
  std::string level = s.choice("level", std::string(log::levelName(out.level)),
                               {"trace", "debug", "info", "warn", "error", "off"});
  log::parseLevel(level, out.level);
  std::string format =
      s.choice("format", out.format == log::Format::Json ? "json" : "text", {"text", "json"});
  out.format = format == "json" ? log::Format::Json : log::Format::Text;
  s.finish();
}

}  // namespace

LoadResult ConfigLoader::loadFile(const std::filesystem::path& file) const {
  auto abs = std::filesystem::absolute(file).lexically_normal();
  std::string text;
  try {
    text = files::readFile(abs);
  } catch (const std::exception& e) {
    LoadResult r;
    r.config.file = abs;
    r.diagnostics.add({abs.string(), 0, 0, "", std::string("cannot read the configuration: ") + e.what()});
    return r;
  }
  auto r = loadString(text, abs.string(), abs.parent_path());
  r.config.file = abs;
  return r;
}

LoadResult ConfigLoader::loadString(const std::string& yaml, const std::string& displayName,
                                    const std::filesystem::path& baseDir) const {
  LoadResult result;
  Config& cfg = result.config;
  cfg.stateDir = defaultStateDir();
  cfg.migrationsDir = defaultMigrationsDir();
  cfg.plugins.dirs = {defaultPluginsDir()};

  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    result.diagnostics.add({displayName, e.mark.line + 1, e.mark.column + 1, "",
                            "malformed YAML: " + e.msg});
    return result;
  }

  auto ctx = std::make_shared<FileContext>();
  ctx->file = displayName;
  ctx->baseDir = baseDir;
  ctx->diagnostics = &result.diagnostics;
  ctx->env = env_;
  Section top(ctx, root, "");

  cfg.stateDir = top.filePath("state_dir", cfg.stateDir);
  readServer(top.section("server"), cfg.server);
  readDatabase(top.section("database"), cfg.database);
  {
    Section plugins = top.section("plugins");
    cfg.plugins.dirs = plugins.pathList("dirs", cfg.plugins.dirs);
    plugins.finish();
  }
  readWorkers(top.section("workers"), cfg.workers);
  readQueue(top.section("queue"), cfg.queue);
  readScheduler(top.section("scheduler"), cfg.scheduler);
  readLogging(top.section("logging"), cfg.logging);
  top.finish();
  return result;
}

}  // namespace tributary::config
