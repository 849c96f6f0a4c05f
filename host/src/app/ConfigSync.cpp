#include "app/ConfigSync.h"

#include <unistd.h>

#include "common/Log.h"
#include "common/Strings.h"
#include "db/AdvisoryLocks.h"

namespace tributary::app {
namespace {

constexpr int kLockClass = db::advisory::kClass;

std::string joinHosts(const std::vector<RunningHost>& hosts, const std::string& appliedDigest) {
  std::vector<std::string> parts;
  for (const auto& h : hosts) {
    parts.push_back(h.host + " (" + h.role + ", " + shortDigest(h.digest) +
                    (h.digest == appliedDigest ? ", the applied one)" : ")"));
  }
  return parts.empty() ? "none" : strings::join(parts, ", ");
}

}  // namespace

ConfigSyncResult applyDesiredConfig(db::Connection& conn, const DesiredConfig& desired) {
  ConfigSyncResult out;
  Json slugs = Json::array();
  for (const auto& w : desired.workspaces()) {
    conn.exec(
        "INSERT INTO workspaces (slug, name) VALUES ($1, $2)"
        " ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, enabled = true, updated_at = now()"
        " WHERE workspaces.name IS DISTINCT FROM EXCLUDED.name OR NOT workspaces.enabled",
        w.slug, w.name);
    slugs.push_back(w.slug);
    ++out.workspaces;
  }
  conn.exec(
      "UPDATE workspaces SET enabled = false, updated_at = now()"
      " WHERE enabled AND NOT (slug = ANY(ARRAY(SELECT jsonb_array_elements_text($1::jsonb))))",
      slugs);

  Json keep = Json::array();
  for (const auto& c : desired.connections()) {
    auto r = conn.exec(
        "INSERT INTO connections (workspace_id, name, connector, schedule, settings, enabled, status,"
        "                         schedule_timezone, misfire)"
        " SELECT w.id, $2, $3, $4, $5::jsonb, $6, CASE WHEN $6 THEN 'pending' ELSE 'disabled' END,"
        "        $7, $8"
        " FROM workspaces w WHERE w.slug = $1"
        " ON CONFLICT (workspace_id, name) DO UPDATE SET connector = EXCLUDED.connector,"
        "  schedule = EXCLUDED.schedule, settings = EXCLUDED.settings, enabled = EXCLUDED.enabled,"
        "  schedule_timezone = EXCLUDED.schedule_timezone, misfire = EXCLUDED.misfire,"
        "  status = CASE WHEN NOT EXCLUDED.enabled THEN 'disabled'"
        "                WHEN connections.status = 'disabled' THEN 'pending' ELSE connections.status END,"
        "  updated_at = now()"
        " RETURNING id",
        c.workspace, c.name, c.connector, c.schedule, c.settings, c.enabled, c.timezone, c.misfire);
    if (!r.empty()) {
      keep.push_back(r.text(0, 0));
      ++out.connections;
    }
  }
  auto gone = conn.exec(
      "UPDATE connections SET enabled = false, status = 'disabled', updated_at = now()"
      " WHERE status <> 'disabled' AND NOT (id = ANY(ARRAY(SELECT (jsonb_array_elements_text($1::jsonb))::uuid)))"
      " RETURNING (SELECT slug FROM workspaces WHERE id = workspace_id) || '/' || name",
      keep);
  for (int i = 0; i < gone.rows(); ++i) {
    log::warn("config", "connection {} is no longer in the configuration: disabled (its data is kept)",
              gone.text(i, 0));
  }
  out.disabled = gone.rows();
  return out;
}

SecretKeys secretKeysOf(const plugins::PluginRegistry& registry) {
  return [&registry](const std::string& connector, const std::string& key) {
    auto plugin = registry.find(connector);
    const auto* decl = plugin ? plugin->findConfigKey(key) : nullptr;
    return decl && decl->secret;
  };
}

ConfigSyncResult syncConfigToDatabase(db::Connection& conn, const config::Config& cfg,
                                      const plugins::PluginRegistry& registry) {
  db::Transaction tx(conn);
  auto out = applyDesiredConfig(conn, DesiredConfig::from(cfg, secretKeysOf(registry)));
  tx.commit();
  return out;
}

ConfigSync::ConfigSync(std::string conninfo, DesiredConfig desired, Options options)
    : conninfo_(std::move(conninfo)), desired_(std::move(desired)), options_(std::move(options)) {}

ConfigSync::~ConfigSync() { stop(); }

std::string ConfigSync::thisHostName() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
  return std::string(host) + " pid " + std::to_string(::getpid());
}

ConfigSync::Decision ConfigSync::decide(const std::string& mine, const std::optional<std::string>& applied,
                                        const std::vector<std::string>& others, bool applyFlag, bool workerOnly) {
  if (workerOnly) return {};
  if (!applied) return {true, "the first host to apply a configuration to this database"};
  if (applyFlag) return {true, "started with --apply-config"};
  if (*applied == mine) return {};
  for (const auto& o : others) {
    if (o != mine) return {};
  }
  return {true, others.empty() ? "no other host is running" : "every other running host has this configuration too"};
}

std::optional<AppliedConfig> ConfigSync::readApplied(db::Connection& conn) {
  if (!conn.exec("SELECT to_regclass('config_applied') IS NOT NULL").boolean(0, 0)) return std::nullopt;
  auto r = conn.exec(
      "SELECT digest, items::text, applied_by, config_file, reason,"
      " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM config_applied");
  if (r.empty()) return std::nullopt;
  return AppliedConfig{r.text(0, 0), Json::parse(r.view(0, 1)), r.text(0, 2), r.text(0, 3), r.text(0, 4), r.text(0, 5)};
}

std::vector<RunningHost> ConfigSync::runningHosts(db::Connection& conn) {
  std::vector<RunningHost> out;
  if (!conn.exec("SELECT to_regclass('config_hosts_running') IS NOT NULL").boolean(0, 0)) return out;
  auto r = conn.exec(
      "SELECT host, role, config_file, digest, version,"
      " to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), backend_pid"
      " FROM config_hosts_running ORDER BY started_at, host");
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5),
                   static_cast<int>(r.int64(i, 6))});
  }
  return out;
}

ConfigSync::StartResult ConfigSync::registerAndDecide(bool first) {
  session_.reset();
  session_ = std::make_unique<db::Connection>(conninfo_);
  session_->exec("SELECT set_config('application_name', $1, false)",
                 ("tributary serve " + options_.hostName).substr(0, 63));
  // The session lives as long as the host and sits idle between checks: a server-wide
  // idle_session_timeout (PostgreSQL 14 and later) must not end it.
  session_->exec(
      "SELECT set_config(name, '0', false) FROM pg_settings WHERE name = 'idle_session_timeout' AND setting <> '0'");

  StartResult out;
  db::Transaction tx(*session_);
  // Another host applying its configuration holds the lock for as long as that takes; its own
  // session settings bound it.
  session_->execScript("SET LOCAL lock_timeout = 0");
  session_->exec("SELECT pg_advisory_xact_lock($1::int4, $2::int4)", kLockClass, db::advisory::kConfigApply);
  // Taken under the lock above, so that whoever reads config_hosts next finds this host's row
  // and its lock together. A session lock: it outlives the transaction, until the session ends.
  session_->exec("SELECT pg_advisory_lock_shared($1::int4, $2::int4)", kLockClass, db::advisory::kConfigHosts);
  session_->execScript(
      "DELETE FROM config_hosts h WHERE h.backend_pid <> pg_backend_pid()"
      " AND NOT EXISTS (SELECT 1 FROM config_hosts_running r WHERE r.backend_pid = h.backend_pid)");
  const int self = session_->backendPid();
  auto applied = readApplied(*session_);
  std::vector<RunningHost> others;
  for (auto& h : runningHosts(*session_)) {
    if (h.backendPid != self) others.push_back(std::move(h));
  }
  const std::string& mine = desired_.digest();
  Decision d;
  if (first) {
    std::vector<std::string> voters;
    for (const auto& h : others) {
      if (h.role == "all") voters.push_back(h.digest);
    }
    d = decide(mine, applied ? std::optional<std::string>(applied->digest) : std::nullopt, voters, options_.apply,
               options_.workerOnly);
  }
  if (d.apply) {
    out.synced = applyDesiredConfig(*session_, desired_);
    session_->exec(
        "INSERT INTO config_applied (id, digest, items, applied_by, config_file, reason)"
        " VALUES (true, $1, $2::jsonb, $3, $4, $5)"
        " ON CONFLICT (id) DO UPDATE SET digest = EXCLUDED.digest, items = EXCLUDED.items,"
        "  applied_by = EXCLUDED.applied_by, config_file = EXCLUDED.config_file, reason = EXCLUDED.reason,"
        "  applied_at = now()",
        mine, desired_.items(), options_.hostName, options_.configFile.string(), d.reason);
    out.outcome = Outcome::Applied;
    out.reason = d.reason;
  } else if (applied && applied->digest != mine) {
    out.outcome = Outcome::Drift;
  } else {
    out.outcome = Outcome::Matches;
  }
  session_->exec(
      "INSERT INTO config_hosts (backend_pid, host, role, config_file, digest, version)"
      " VALUES (pg_backend_pid(), $1, $2, $3, $4, $5)"
      " ON CONFLICT (backend_pid) DO UPDATE SET host = EXCLUDED.host, role = EXCLUDED.role,"
      "  config_file = EXCLUDED.config_file, digest = EXCLUDED.digest, version = EXCLUDED.version,"
      "  started_at = now()",
      options_.hostName, options_.workerOnly ? "worker" : "all", options_.configFile.string(), mine, TRIBUTARY_VERSION);
  tx.commit();

  if (!first) return out;
  const std::string what = std::to_string(desired_.workspaces().size()) + " workspace(s), " +
                           std::to_string(desired_.connections().size()) + " connection(s)";
  switch (out.outcome) {
    case Outcome::Applied:
      lastApplied_ = mine;
      log::info("config", "applied this host's configuration ({}, digest {}; {}): {} disabled", what, shortDigest(mine),
                d.reason, out.synced.disabled);
      break;
    case Outcome::Matches:
      if (applied) {
        lastApplied_ = applied->digest;
        log::info("config",
                  "this host's configuration ({}, digest {}) is the one applied by {} at {}: nothing to change", what,
                  shortDigest(mine), applied->appliedBy, applied->appliedAt);
      } else {
        log::info("config", "no configuration was applied to this database yet: a serve (role all) applies its own");
      }
      break;
    case Outcome::Drift:
      lastApplied_ = applied->digest;
      logDrift(*applied, others, true);
      break;
  }
  return out;
}

void ConfigSync::logDrift(const AppliedConfig& applied, const std::vector<RunningHost>& hosts, bool atStart) const {
  const auto diff = ConfigDifference::between(applied.items, desired_.items());
  log::warn("config",
            "{}this host's configuration ({}, digest {}) DIFFERS from the one this database follows (digest {}, "
            "applied by {} from {} at {}: {}); this host changed nothing",
            atStart ? "" : "another host applied a configuration: ", options_.configFile.string(),
            shortDigest(desired_.digest()), shortDigest(applied.digest), applied.appliedBy, applied.configFile,
            applied.appliedAt, applied.reason);
  log::warn("config", "what differs: {}", diff.describe());
  log::warn("config", "running hosts: {}", joinHosts(hosts, applied.digest));
  if (options_.workerOnly) {
    log::warn("config",
              "a worker host never applies a configuration: restart it with the applied file, or restart a serve "
              "(role all) with this one and --apply-config");
  } else {
    log::warn("config",
              "to apply this host's file, restart it with `tributary serve --apply-config`; to follow the applied "
              "one, restart it with the file the other hosts use (see docs/operators.md)");
  }
}

ConfigSync::StartResult ConfigSync::start() {
  auto result = registerAndDecide(true);
  watcher_ = std::thread([this] { watch(); });
  return result;
}

void ConfigSync::watch() {
  bool lost = false;
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_for(lock, options_.checkInterval, [this] { return stopping_; })) return;
    }
    try {
      if (!session_ || session_->isBroken() || !session_->ping()) {
        if (!lost) log::warn("config", "lost the database session that registers this host; registering it again");
        lost = true;
        registerAndDecide(false);
        log::info("config", "this host is registered again");
        lost = false;
      }
      auto applied = readApplied(*session_);
      if (!applied || applied->digest == lastApplied_) continue;
      if (applied->digest == desired_.digest()) {
        log::info("config", "{} applied a configuration at {}, and it is this host's ({}): this host matches it now",
                  applied->appliedBy, applied->appliedAt, shortDigest(applied->digest));
      } else {
        logDrift(*applied, runningHosts(*session_), false);
      }
      lastApplied_ = applied->digest;
    } catch (const std::exception& e) {
      if (!lost) log::warn("config", "cannot check the applied configuration: {}", e.what());
      lost = true;
      session_.reset();
    }
  }
}

void ConfigSync::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  if (session_ && !session_->isBroken()) {
    try {
      session_->exec("DELETE FROM config_hosts WHERE backend_pid = pg_backend_pid()");
    } catch (const std::exception& e) {
      log::debug("config", "unregistering this host failed ({}); closing its session is enough", e.what());
    }
  }
  session_.reset();
}

Json ConfigSync::report(db::Connection& conn) const {
  const std::string& mine = desired_.digest();
  Json out = {{"state", ""}, {"summary", ""}};
  out["this_host"] = {{"host", options_.hostName},
                      {"role", options_.workerOnly ? "worker" : "all"},
                      {"file", options_.configFile.string()},
                      {"digest", mine}};
  auto applied = readApplied(conn);
  if (!applied) {
    out["state"] = "none";
    out["summary"] = "no configuration was applied to this database yet";
  } else {
    out["applied"] = {{"digest", applied->digest},
                      {"by", applied->appliedBy},
                      {"file", applied->configFile},
                      {"at", applied->appliedAt},
                      {"reason", applied->reason}};
    if (applied->digest == mine) {
      out["state"] = "matches";
      out["summary"] = "ok: this host's configuration is the applied one (" + shortDigest(mine) + ")";
    } else {
      const auto diff = ConfigDifference::between(applied->items, desired_.items());
      out["state"] = "differs";
      out["summary"] = "this host's configuration (" + shortDigest(mine) + ") differs from the applied one (" +
                       shortDigest(applied->digest) + ", applied by " + applied->appliedBy + " at " +
                       applied->appliedAt + "); this host changed nothing: " + diff.describe();
      out["differences"] = diff.toJson();
      out["to_apply"] =
          options_.workerOnly
              ? "a worker host never applies: restart a serve (role all) with this file and --apply-config"
              : "restart this host with `tributary serve --apply-config`, or with the applied file";
    }
  }
  Json hosts = Json::array();
  for (const auto& h : runningHosts(conn)) {
    hosts.push_back({{"host", h.host},
                     {"role", h.role},
                     {"file", h.configFile},
                     {"digest", h.digest},
                     {"version", h.version},
                     {"started_at", h.startedAt},
                     {"applied", applied && applied->digest == h.digest}});
  }
  out["hosts"] = hosts;
  return out;
}

}  // namespace tributary::app
