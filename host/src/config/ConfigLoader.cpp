#include "config/ConfigLoader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include "common/Cidr.h"
#include "common/Files.h"
#include "common/Redact.h"
#include "common/Strings.h"
#include "config/ConnectionSchedule.h"
#include "config/Duration.h"
#include "config/Paths.h"
#include "config/Section.h"

namespace tributary::config {
namespace {

void readServer(Section s, ServerConfig& out) {
  out.bind = s.string("bind", out.bind);
  if (out.bind.empty()) s.error("bind", "must not be empty");
  out.port = static_cast<int>(s.integer("port", out.port, 0, 65535));
  out.publicUrl = s.string("public_url", out.publicUrl);
  if (!out.publicUrl.empty() && out.publicUrl.rfind("http://", 0) != 0 && out.publicUrl.rfind("https://", 0) != 0) {
    s.error("public_url",
            "must be an http:// or https:// URL (where a browser reaches this server), got \"" + out.publicUrl + "\"");
  }
  s.finish();
}

void readApi(Section s, ApiConfig& out) {
  using std::chrono::milliseconds;
  out.threads = static_cast<int>(s.integer("threads", out.threads, 2, 256));
  out.requestTimeout = s.duration("request_timeout", out.requestTimeout, milliseconds(100));
  out.keepAliveTimeout = s.duration("keepalive_timeout", out.keepAliveTimeout, milliseconds(100));
  out.maxBody = s.integer("max_body", out.maxBody, 1024, int64_t{256} * 1024 * 1024);
  {
    Section r = s.section("rate_limit");
    out.ratePerSecond = r.number("per_second", out.ratePerSecond, 0, 1e6);
    out.rateBurst = static_cast<int>(r.integer("burst", out.rateBurst, 1, 1000000));
    r.finish();
  }
  out.auditRetention = s.duration("audit_retention", out.auditRetention, milliseconds(1000));
  out.metricsNeedToken =
      s.choice("metrics_auth", out.metricsNeedToken ? "token" : "open", {"open", "token"}) == "token";
  out.maxStreams = static_cast<int>(s.integer("max_streams", out.maxStreams, 1, 10000));
  out.streamHeartbeat = s.duration("stream_heartbeat", out.streamHeartbeat, milliseconds(100));
  out.streamTokenTtl = s.duration("stream_token_ttl", out.streamTokenTtl, milliseconds(1000));
  out.actionWait = s.duration("action_wait", out.actionWait, milliseconds(100));
  out.adminTokenFile = s.filePath("admin_token_file", out.adminTokenFile);
  s.finish();
}

// A workspace's slug, a connection's or a shared credential's name: [a-z0-9][a-z0-9_-]*, at most 63.
bool validSlug(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  if (!(std::islower(static_cast<unsigned char>(s[0])) || std::isdigit(static_cast<unsigned char>(s[0])))) return false;
  for (char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

// A connection's auth: {type, ...the type's values}. What the connector accepts is checked with
// the plugin (app::validateConnections); here, each type's keys, and that secrets are not literal.
void readAuth(Section& c, ConnectionConfig& conn) {
  AuthConfig& out = conn.auth;
  out.path = c.path() + ".auth";
  out.location = c.location("auth");
  if (!c.has("auth")) {
    c.accept("auth");
    return;
  }
  Section a = c.section("auth");
  if (!a.has("type")) {
    a.error("type", "auth: needs a type: bearer, basic, api_key or oauth2 (one the connector declares)");
    for (const auto& k : a.keys()) a.accept(k);  // which keys are right depends on the type
    a.finish();
    return;
  }
  out.type = a.choice("type", "", {"bearer", "basic", "api_key", "oauth2"});
  if (out.type.empty()) {
    for (const auto& k : a.keys()) a.accept(k);  // the type is reported; its keys would only add noise
    a.finish();
    return;
  }
  struct Key {
    const char* name;
    bool required;
  };
  std::vector<Key> keys;
  if (out.type == "bearer") keys = {{"token", true}};
  else if (out.type == "basic") keys = {{"username", true}, {"password", true}};
  else if (out.type == "api_key") keys = {{"key", true}};
  else keys = {{"client_id", true}, {"client_secret", false}, {"refresh_token", false}};
  for (const Key& k : keys) {
    ValueSource src;
    auto v = a.scalar(k.name, src);
    if (!v) {
      if (!a.has(k.name) && k.required) {
        a.error(k.name, std::string("auth type ") + out.type + " needs " + k.name);
      }
      continue;
    }
    if (AuthConfig::secretKey(k.name) && src == ValueSource::Literal) {
      a.error(k.name, std::string("auth.") + k.name + " is a secret: give it as ${ENV_VAR} or {secret_file: PATH}, " +
                          "never in the file");
      continue;
    }
    if (v->empty()) {
      a.error(k.name, std::string("auth.") + k.name + " is empty");
      continue;
    }
    // A credential's secret never shows in a log line or an error of this process.
    if (AuthConfig::secretKey(k.name)) redact::remember(*v);
    out.values[k.name] = SettingValue{*v, src, a.location(k.name), a.path() + "." + k.name};
  }
  if (out.type == "basic" && out.values.count("username") && out.values.count("password")) {
    redact::rememberBasic(out.values["username"].value, out.values["password"].value);
  }
  if (out.type == "oauth2") {
    auto url = [&](const char* key, std::optional<std::string>& into) {
      if (!a.has(key)) return;
      into = a.string(key, "");
      if (into->rfind("http://", 0) != 0 && into->rfind("https://", 0) != 0) {
        a.error(key, std::string("auth.") + key + " must be an http:// or https:// URL, got \"" + *into + "\"");
      }
    };
    url("authorize_url", out.authorizeUrl);
    url("token_url", out.tokenUrl);
    url("redirect_uri", out.redirectUri);
    if (a.has("scopes")) out.scopes = a.string("scopes", "");
    out.credential = a.string("credential", "");
    if (a.has("credential") && !validSlug(out.credential)) {
      a.error("credential",
              "\"" + out.credential +
                  "\" is not a valid credential name: use lowercase letters, digits, - and _ (connections "
                  "naming the same one share its tokens)");
    }
  }
  a.finish();
}

// A session setting: absent or ~ (nullopt: derived from the lease), 0 (not set), or a duration
// in [min, 24d] (PostgreSQL keeps these in a 32-bit count of milliseconds).
std::optional<std::chrono::milliseconds> readSessionSetting(Section& s, const std::string& key,
                                                            std::chrono::milliseconds min) {
  using std::chrono::milliseconds;
  constexpr milliseconds kInvalid{-1};
  constexpr milliseconds kMax{24LL * 86'400'000};
  if (!s.has(key)) {
    s.accept(key);
    return std::nullopt;
  }
  const auto raw = s.string(key, "");
  const milliseconds v = s.duration(key, kInvalid);
  if (v == kInvalid) return std::nullopt;  // reported
  if (v.count() != 0 && (v < min || v > kMax)) {
    s.error(key, "must be 0 (not set) or between " + formatDuration(min) + " and " + formatDuration(kMax) + ", got " +
                     raw + "; leave it out to derive it from queue.lease");
    return std::nullopt;
  }
  return v;
}

void readSession(Section s, SessionConfig& out) {
  using std::chrono::milliseconds;
  out.idleInTransactionTimeout = readSessionSetting(s, "idle_in_transaction_timeout", milliseconds(100));
  out.lockTimeout = readSessionSetting(s, "lock_timeout", milliseconds(100));
  out.statementTimeout = readSessionSetting(s, "statement_timeout", milliseconds(100));
  out.tcpKeepalive = readSessionSetting(s, "tcp_keepalive", std::chrono::seconds(1));
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
    out.embedded.startTimeout = e.duration("start_timeout", out.embedded.startTimeout, std::chrono::seconds(1));
    e.finish();
  }
  readSession(s.section("session"), out.session);
  out.connectionBudget = static_cast<int>(s.integer("connection_budget", out.connectionBudget, 0, 100000));
  s.finish();
}

void readWorkers(Section s, WorkersConfig& out) {
  out.processes = static_cast<int>(s.integer("processes", out.processes, 0, 256));
  out.concurrency = static_cast<int>(s.integer("concurrency", out.concurrency, 1, 1024));
  out.prefetch = static_cast<int>(s.integer("prefetch", out.prefetch, 0, 10000));
  out.memoryLimitMb = static_cast<int>(s.integer("memory_limit_mb", out.memoryLimitMb, 0, 1 << 20));
  out.memoryCap = s.choice("memory_cap", out.memoryCap, {"auto", "cgroup", "rlimit"});
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
  out.misfire = *parseMisfirePolicy(s.choice("misfire", std::string(toString(out.misfire)), {"run_once", "skip"}));
  if (out.tick >= out.leaderLease) {
    s.error("tick",
            "must be shorter than scheduler.leader_lease, or another host could not take "
            "over within the lease");
  }
  s.finish();
}

// webhooks: the dispatcher's timeouts, retry schedule and limits, and which private networks
// an endpoint may reach.
void readWebhooks(Section s, WebhooksConfig& out) {
  using std::chrono::milliseconds;
  const auto allow = s.stringList("allow_private", out.allowPrivate);
  out.allowPrivate.clear();
  for (size_t i = 0; i < allow.size(); ++i) {
    if (!net::Cidr::parse(allow[i])) {
      s.error("allow_private", "item " + std::to_string(i + 1) + " (\"" + allow[i] +
                                   "\") is not a network: give an address or address/prefix, as 127.0.0.0/8 or ::1");
      continue;
    }
    out.allowPrivate.push_back(allow[i]);
  }
  out.timeout = s.duration("timeout", out.timeout, milliseconds(10));
  out.progressInterval = s.duration("progress_interval", out.progressInterval);
  if (s.has("retry_schedule")) {
    const auto items = s.stringList("retry_schedule", {});
    std::vector<milliseconds> schedule;
    for (size_t i = 0; i < items.size(); ++i) {
      auto d = parseDuration(strings::trim(items[i]));
      if (!d) {
        s.error("retry_schedule", "item " + std::to_string(i + 1) + " (\"" + items[i] +
                                      "\") is not a duration: give one as 500ms, 5s, 30m or 2h");
        continue;
      }
      schedule.push_back(*d);
    }
    if (schedule.empty() && items.empty()) s.error("retry_schedule", "must list at least one wait (the first try's)");
    if (schedule.size() > 100) s.error("retry_schedule", "lists more than 100 attempts");
    if (!schedule.empty()) out.retrySchedule = schedule;
  }
  out.disableAfter = s.duration("disable_after", out.disableAfter, milliseconds(1));
  out.ordered = s.boolean("ordered", out.ordered);
  out.retention = s.duration("retention", out.retention, milliseconds(1000));
  out.concurrency = static_cast<int>(s.integer("concurrency", out.concurrency, 1, 256));
  out.secretOverlap = s.duration("secret_overlap", out.secretOverlap);
  out.pollInterval = s.duration("poll_interval", out.pollInterval, milliseconds(10));
  s.finish();
}

// alerts: when a connection is stale and the queue backed up.
void readAlerts(Section s, AlertsConfig& out) {
  using std::chrono::milliseconds;
  if (s.has("stale_after")) out.staleAfter = s.duration("stale_after", milliseconds(0), milliseconds(1000));
  out.backlogAfter = s.duration("backlog_after", out.backlogAfter, milliseconds(1000));
  out.checkInterval = s.duration("check_interval", out.checkInterval, milliseconds(100));
  s.finish();
}

void readLogging(Section s, LoggingConfig& out) {
  std::string level =
      s.choice("level", std::string(log::levelName(out.level)), {"trace", "debug", "info", "warn", "error", "off"});
  log::parseLevel(level, out.level);
  std::string format = s.choice("format", out.format == log::Format::Json ? "json" : "text", {"text", "json"});
  out.format = format == "json" ? log::Format::Json : log::Format::Text;
  s.finish();
}

// http.ca_file: a PEM file of CA certificates, relative to the config file's directory. Checked
// here, so that a missing or wrong file is reported at its key rather than at the first request.
void readCaFile(Section& s, HttpConfig& out) {
  if (!s.has("ca_file")) {
    s.accept("ca_file");  // absent or ~: the system's CAs only
    return;
  }
  auto value = s.scalar("ca_file");
  if (!value) return;  // reported (an unset ${ENV}, say)
  if (value->empty()) {
    s.error("ca_file",
            "must not be empty: give a PEM file of CA certificates, or leave it out to trust the "
            "system's CAs only");
    return;
  }
  const auto path = files::resolveAgainst(s.context()->baseDir, *value);
  std::string pem;
  try {
    pem = files::readFile(path);
  } catch (const std::exception& e) {
    s.error("ca_file", std::string("cannot read the CA file: ") + e.what());
    return;
  }
  if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    s.error("ca_file", "holds no PEM certificate (-----BEGIN CERTIFICATE-----): " + path.string());
    return;
  }
  out.caFile = path;
}

void readHttp(Section s, HttpConfig& out) {
  using std::chrono::milliseconds;
  out.timeout = s.duration("timeout", out.timeout, milliseconds(1));
  out.maxInlineWait = s.duration("max_inline_wait", out.maxInlineWait);
  out.quotaRecheck = s.duration("quota_recheck", out.quotaRecheck, milliseconds(1));
  readCaFile(s, out);
  {
    Section r = s.section("retry");
    out.retry.maxAttempts = static_cast<int>(r.integer("max_attempts", out.retry.maxAttempts, 1, 100));
    out.retry.base = r.duration("base", out.retry.base, milliseconds(1));
    out.retry.maxBackoff = r.duration("max_backoff", out.retry.maxBackoff, milliseconds(1));
    if (out.retry.base > out.retry.maxBackoff) {
      r.error("base", "must not exceed http.retry.max_backoff (" + formatDuration(out.retry.maxBackoff) + ")");
    }
    r.finish();
  }
  {
    Section p = s.section("pool");
    out.pool.maxIdlePerHost = static_cast<int>(p.integer("max_idle_per_host", out.pool.maxIdlePerHost, 0, 1000));
    out.pool.idleTimeout = p.duration("idle_timeout", out.pool.idleTimeout);
    out.pool.maxAge = p.duration("max_age", out.pool.maxAge);
    p.finish();
  }
  s.finish();
}

// secrets.key_file: the key file that seals what the host stores, relative to the config file's
// directory. The file itself is read (and, with the embedded database, created) when the host
// needs it (secrets::openKeyRing), and `secrets rotate-key` creates it: here only its directory
// must exist, so that a typo is reported at its key.
void readSecrets(Section s, SecretsConfig& out) {
  if (!s.has("key_file")) {
    s.accept("key_file");  // absent or ~: STATE_DIR/secret.key with the embedded database
    s.finish();
    return;
  }
  auto value = s.scalar("key_file");
  if (value && value->empty()) {
    s.error("key_file",
            "must not be empty: give the path of the key file, or leave it out (with the embedded database, "
            "STATE_DIR/secret.key)");
  } else if (value) {
    const auto path = files::resolveAgainst(s.context()->baseDir, *value);
    std::error_code ec;
    const auto dir = path.parent_path();
    if (std::filesystem::is_directory(path, ec)) {
      s.error("key_file", "is a directory, not a file: " + path.string());
    } else if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
      s.error("key_file", "the directory of the key file does not exist: " + dir.string());
    } else {
      out.keyFile = path;
    }
  }
  s.finish();
}

constexpr const char* kRateLimitClassShape = "{requests: N, per: DURATION}, e.g. {requests: 190, per: 10s}";

// One class of a rate_limit: {requests: N, per: DURATION}. A missing key is one problem, at it;
// the class is kept (with placeholder values) so that its name is still checked against the
// connector in the same run.
RateLimitOverride readRateLimitClass(Section& rl, const std::string& name) {
  RateLimitOverride o;
  o.location = rl.keyLocation(name);
  o.path = rl.path() + "." + name;
  Section cls = rl.section(name);
  const bool hasRequests = cls.has("requests"), hasPer = cls.has("per");
  if (!hasRequests && !hasPer) {
    rl.error(name, std::string("a rate-limit class takes ") + kRateLimitClassShape);
  } else if (!hasRequests) {
    cls.error("requests",
              "missing: how many requests (points, for a points class) each `per` allows, e.g. "
              "{requests: 190, per: 10s}");
  } else if (!hasPer) {
    cls.error("per", "missing: the window that `requests` counts over, e.g. {requests: 190, per: 10s}");
  }
  o.requests = static_cast<uint64_t>(cls.integer("requests", 1, 1, int64_t{1} << 40));
  o.per = cls.duration("per", std::chrono::milliseconds(1000), std::chrono::milliseconds(1));
  cls.finish();
  return o;
}

// A connection's rate_limit: {account?, headroom?, CLASS: {requests, per}...}. The classes are
// checked against the connector's declared ones later (app::validateConnections).
void readRateLimit(Section& c, ConnectionRateLimit& out) {
  out.location = c.location("rate_limit");
  Section rl = c.section("rate_limit");
  if (rl.has("account")) {
    out.account = rl.string("account", "");
    if (strings::trim(*out.account).empty()) {
      rl.error("account",
               "must not be empty: name the vendor account whose budgets this connection shares, or "
               "leave it out to share them with the connections that have the same credential");
      out.account.reset();
    }
  } else {
    rl.accept("account");
  }
  if (rl.has("headroom")) {
    // Read unbounded, so that 0 and 1.5 get the same message, naming the range.
    const double headroom = rl.number("headroom", out.headroom, -1e300, 1e300);
    if (headroom > 0.0 && headroom <= 1.0) {
      out.headroom = headroom;
    } else {
      rl.error("headroom", fmt::format("must be above 0 and at most 1 (the share of each budget used; "
                                       "default 0.9), got {}",
                                       headroom));
    }
  } else {
    rl.accept("headroom");
  }
  for (const auto& k : rl.keys()) {
    if (k == "account" || k == "headroom") continue;
    if (!rl.raw(k).IsMap()) {
      rl.error(k, std::string("a rate-limit class takes ") + kRateLimitClassShape);
      rl.accept(k);  // reported once, here, not again as an unknown key
      continue;
    }
    out.classes[k] = readRateLimitClass(rl, k);
  }
  rl.finish();
}

void readSync(Section s, SyncConfig& out) {
  out.overlap = s.duration("overlap", out.overlap);
  out.failureThreshold = s.number("failure_threshold", out.failureThreshold, 0.0, 1.0);
  {
    Section b = s.section("batch");
    out.initialBatch = static_cast<int>(b.integer("initial", out.initialBatch, 1, 10'000'000));
    out.minBatch = static_cast<int>(b.integer("min", out.minBatch, 1, 10'000'000));
    out.maxBatch = static_cast<int>(b.integer("max", out.maxBatch, 1, 10'000'000));
    out.maxBatchAge = b.duration("max_age", out.maxBatchAge, std::chrono::milliseconds(1));
    if (out.minBatch > out.maxBatch) b.error("min", "must not exceed sync.batch.max");
    b.finish();
  }
  out.progressInterval = s.duration("progress_interval", out.progressInterval, std::chrono::milliseconds(1));
  out.maxClockSkew = s.duration("max_clock_skew", out.maxClockSkew, std::chrono::milliseconds(1));
  out.eventRetention = s.duration("event_retention", out.eventRetention, std::chrono::milliseconds(1));
  s.finish();
}

// database.session against the sections it depends on, once they are read.
void checkSession(Section& top, const Config& cfg) {
  const auto statement = cfg.sessionTimeouts().statement;
  if (statement.count() == 0 || statement > cfg.sync.maxBatchAge) return;
  // A batch's COPY stays open from its first record to its commit, at least sync.batch.max_age.
  if (cfg.database.session.statementTimeout) {
    Section session = top.section("database").section("session");
    session.error("statement_timeout", "must be longer than sync.batch.max_age (" +
                                           formatDuration(cfg.sync.maxBatchAge) +
                                           "), or batches that stay open that long would be cancelled");
  } else {
    Section batch = top.section("sync").section("batch");
    batch.error("max_age", "must be shorter than database.session.statement_timeout (" + formatDuration(statement) +
                               ", derived from queue.lease), or batches that stay open that long would be cancelled");
  }
}

void readWorkspaces(Section& top, Config& cfg) {
  for (auto& w : top.sectionList("workspaces")) {
    WorkspaceConfig ws;
    ws.slug = w.string("slug", "");
    ws.location = w.location("slug");
    if (!w.has("slug")) {
      w.error("slug", "a workspace needs a slug (lowercase letters, digits, - and _)");
    } else if (!validSlug(ws.slug)) {
      w.error("slug", "\"" + ws.slug +
                          "\" is not a valid slug: use 1-63 lowercase letters, digits, - and _, "
                          "starting with a letter or digit");
    }
    ws.name = w.string("name", ws.slug);
    w.finish();
    cfg.workspaces.push_back(std::move(ws));
  }
}

void readConnections(Section& top, Config& cfg) {
  for (auto& c : top.sectionList("connections")) {
    ConnectionConfig conn;
    conn.path = c.path();
    conn.location = c.location();
    conn.workspace = c.string("workspace", "");
    if (!c.has("workspace")) c.error("workspace", "a connection needs the slug of its workspace");
    conn.connector = c.string("connector", "");
    conn.connectorLocation = c.location("connector");
    if (!c.has("connector")) {
      c.error("connector", "a connection needs a connector (a plugin's dotted name, e.g. tributary.hubspot)");
    }
    auto dot = conn.connector.rfind('.');
    conn.name = c.string("name", dot == std::string::npos ? conn.connector : conn.connector.substr(dot + 1));
    if (!conn.name.empty() && !validSlug(conn.name)) {
      c.error("name", "\"" + conn.name + "\" is not a valid connection name: use lowercase letters, digits, - and _");
    }
    {
      // Validated here, so that `config check` reports a bad expression or zone at its key.
      ConnectionSchedule schedule = readConnectionSchedule(c);
      conn.schedule = schedule.schedule;
      conn.scheduleLocation = c.location("schedule");
      conn.timezone = schedule.timeZone.value_or(conn.timezone);
      conn.misfire = schedule.misfire ? std::string(toString(*schedule.misfire)) : "";
    }
    conn.enabled = c.boolean("enabled", conn.enabled);
    if (c.has("base_url")) conn.baseUrl = c.string("base_url", "");
    else c.accept("base_url");
    readRateLimit(c, conn.rateLimit);
    readAuth(c, conn);
    {
      Section settings = c.section("settings");
      for (const auto& k : settings.keys()) {
        ValueSource src;
        auto v = settings.scalar(k, src);
        if (!v) {
          if (settings.has(k)) conn.unreadSettings.insert(k);
          continue;
        }
        // The loader cannot tell which settings the plugin declares secret (the validator and the
        // job's instance can, and remember those); a value from ${ENV} under a secret's name
        // (api_key, client_secret, password, ...) is one whatever the plugin says. Values from a
        // secret_file were remembered as they were read.
        if (src == ValueSource::Environment && redact::secretName(k)) redact::remember(*v);
        SettingValue sv{*v, src, settings.location(k), settings.path() + "." + k};
        conn.settings[k] = std::move(sv);
      }
      settings.finish();
    }
    c.finish();
    cfg.connections.push_back(std::move(conn));
  }
}

// Cross-checks between entries, once every file is read.
void checkReferences(Config& cfg, Diagnostics& diags) {
  std::map<std::string, const WorkspaceConfig*> slugs;
  for (const auto& w : cfg.workspaces) {
    if (w.slug.empty()) continue;
    auto [it, fresh] = slugs.emplace(w.slug, &w);
    if (!fresh) {
      diags.add({w.location.file, w.location.line, w.location.column, "workspaces",
                 "workspace \"" + w.slug + "\" is defined twice (first at " + it->second->location.format() + ")"});
    }
  }
  std::vector<std::string> known;
  for (const auto& [slug, _] : slugs) known.push_back(slug);
  std::map<std::string, const ConnectionConfig*> names;
  for (const auto& c : cfg.connections) {
    if (!c.workspace.empty() && !slugs.count(c.workspace)) {
      std::string msg = "no workspace \"" + c.workspace + "\" is defined";
      auto s = strings::closestMatch(c.workspace, known);
      msg += s.empty() ? " (add it under workspaces:)" : " (did you mean \"" + s + "\"?)";
      diags.add({c.location.file, c.location.line, c.location.column, c.path + ".workspace", msg});
    }
    auto [it, fresh] = names.emplace(c.qualifiedName(), &c);
    if (!fresh && !c.name.empty()) {
      diags.add({c.location.file, c.location.line, c.location.column, c.path,
                 "connection \"" + c.name + "\" of workspace \"" + c.workspace + "\" is defined twice (first at " +
                     it->second->location.format() + "); give one of them another name"});
    }
  }
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

  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    result.diagnostics.add({displayName, e.mark.line + 1, e.mark.column + 1, "", "malformed YAML: " + e.msg});
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
  readApi(top.section("api"), cfg.api);
  readDatabase(top.section("database"), cfg.database);
  {
    Section plugins = top.section("plugins");
    cfg.plugins.dirs = plugins.pathList("dirs", cfg.plugins.dirs);
    cfg.plugins.probeTimeout =
        plugins.duration("probe_timeout", cfg.plugins.probeTimeout, std::chrono::milliseconds(100));
    plugins.finish();
  }
  readWorkers(top.section("workers"), cfg.workers);
  readQueue(top.section("queue"), cfg.queue);
  readSync(top.section("sync"), cfg.sync);
  readHttp(top.section("http"), cfg.http);
  readSecrets(top.section("secrets"), cfg.secrets);
  checkSession(top, cfg);
  readScheduler(top.section("scheduler"), cfg.scheduler);
  readWebhooks(top.section("webhooks"), cfg.webhooks);
  readAlerts(top.section("alerts"), cfg.alerts);
  readLogging(top.section("logging"), cfg.logging);
  readWorkspaces(top, cfg);
  readConnections(top, cfg);
  top.finish();

  // connections.d/*.yaml beside the main file: more workspaces and connections, one file each
  // as an operator likes.
  std::error_code ec;
  const auto dropIn = baseDir / "connections.d";
  if (std::filesystem::is_directory(dropIn, ec)) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dropIn, ec)) {
      auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::string text;
      try {
        text = files::readFile(f);
      } catch (const std::exception& e) {
        result.diagnostics.add({f.string(), 0, 0, "", e.what()});
        continue;
      }
      YAML::Node doc;
      try {
        doc = YAML::Load(text);
      } catch (const YAML::ParserException& e) {
        result.diagnostics.add({f.string(), e.mark.line + 1, e.mark.column + 1, "", "malformed YAML: " + e.msg});
        continue;
      }
      auto fctx = std::make_shared<FileContext>(*ctx);
      fctx->file = f.string();
      Section part(fctx, doc, "");
      readWorkspaces(part, cfg);
      readConnections(part, cfg);
      part.finish();
    }
  }
  checkReferences(cfg, result.diagnostics);
  return result;
}

}  // namespace tributary::config
