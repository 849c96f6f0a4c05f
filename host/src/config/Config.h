#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/Log.h"

namespace tributary::config {

using std::chrono::milliseconds;

struct ServerConfig {
  std::string bind = "127.0.0.1";
  int port = 8470;
  // Where a browser reaches this server ("https://tributary.example.com"): the OAuth connect
  // flow's redirect_uri is PUBLIC_URL/oauth/callback. Empty: http://BIND:PORT.
  std::string publicUrl;
  std::string baseUrl() const {
    if (!publicUrl.empty()) return publicUrl.back() == '/' ? publicUrl.substr(0, publicUrl.size() - 1) : publicUrl;
    return "http://" + (bind == "0.0.0.0" || bind == "::" ? std::string("127.0.0.1") : bind) + ":" +
           std::to_string(port);
  }
};

// The HTTP API (api:).
struct ApiConfig {
  int threads = 8;                                   // request threads
  std::chrono::milliseconds requestTimeout{10000};   // a silent client mid-request is cut off
  std::chrono::milliseconds keepAliveTimeout{5000};  // an idle keep-alive connection is closed
  int64_t maxBody = 1024 * 1024;                     // bytes; larger answers 413
  // Each token's request rate: a burst of `rateBurst`, refilled at `ratePerSecond` (0: no limit).
  double ratePerSecond = 50;
  int rateBurst = 100;
  std::chrono::milliseconds auditRetention{std::chrono::hours(24 * 90)};
  bool metricsNeedToken = false;                     // metrics_auth: open (default) or token
  int maxStreams = 64;                               // server-sent event streams at once
  std::chrono::milliseconds streamHeartbeat{15000};  // a comment line this often on a quiet stream
  std::chrono::milliseconds streamTokenTtl{300000};  // a stream token's life
  std::chrono::milliseconds actionWait{30000};       // the most ?wait=true waits for an action
  // Where the first start writes an admin token (mode 600); empty: STATE_DIR/admin.token.
  std::filesystem::path adminTokenFile;
};

struct PoolConfig {
  int min = 1;
  int max = 10;
  milliseconds idleTimeout{300'000};
  bool healthCheckOnBorrow = true;
};

struct EmbeddedDatabaseConfig {
  std::filesystem::path binDir;   // empty: the newest /usr/lib/postgresql/*/bin
  std::string user = "postgres";  // the account the cluster runs as when the host is root
  std::string database = "tributary";
  int tcpPort = 0;  // 0: Unix socket only
  milliseconds startTimeout{60'000};
};

// What the host's pooled sessions are opened with, so that a process that froze or lost its
// network between a batch's writes and its COMMIT cannot hold its row locks for long, and no
// statement of the queue or the engine waits without end. nullopt: derived from queue.lease
// (SessionTimeouts::derive); 0: not set by Tributary (the server's or the role's setting holds).
struct SessionConfig {
  std::optional<milliseconds> idleInTransactionTimeout;
  std::optional<milliseconds> lockTimeout;
  std::optional<milliseconds> statementTimeout;
  std::optional<milliseconds> tcpKeepalive;  // a silent peer is given up after about this long
};

// The session settings in force (0: not set), from SessionConfig and the queue's lease.
struct SessionTimeouts {
  milliseconds idleInTransaction{0};
  milliseconds lock{0};
  milliseconds statement{0};
  milliseconds tcpKeepalive{0};

  // Unset values follow the lease L. A frozen worker's session goes idle in its transaction
  // when it freezes; its lease runs out between L - heartbeat and L later, so at 2L its locks
  // are gone at most L + heartbeat after its job was rescued: less than the engine's three
  // tries of a batch at a lock_timeout of L each. 2L (1m by default) also exceeds the longest
  // legitimate idle gap in a transaction (one vendor page, bounded by the HTTP client's 30 s
  // timeout). statement_timeout: 60L (30m), at least 1m: a big upsert, a full refresh's sweep,
  // a batch's COPY (open from its first record to its commit). Keepalives: L, at least 10 s.
  static SessionTimeouts derive(const SessionConfig& c, milliseconds lease) {
    SessionTimeouts t;
    t.idleInTransaction = c.idleInTransactionTimeout.value_or(2 * lease);
    t.lock = c.lockTimeout.value_or(lease);
    t.statement = c.statementTimeout.value_or(std::max<milliseconds>(60 * lease, milliseconds(60'000)));
    t.tcpKeepalive = c.tcpKeepalive.value_or(std::max<milliseconds>(lease, milliseconds(10'000)));
    return t;
  }
};

struct DatabaseConfig {
  std::string url;  // empty: the embedded cluster in STATE_DIR/postgres
  PoolConfig pool;
  // The most connections one host may open (serve and its workers); 0: as many as the workers
  // need (ConnectionBudget). Set, the workers' pools follow from it.
  int connectionBudget = 0;
  EmbeddedDatabaseConfig embedded;
  SessionConfig session;
  bool embeddedMode() const { return url.empty(); }
};

struct PluginsConfig {
  // Empty: the defaults (PluginRegistry::defaultDirs: the build's plugins in a checkout, the
  // package's plugin dir when installed).
  std::vector<std::filesystem::path> dirs;
  // How long the load-time probe of one plugin (in a child process) may take before it is
  // killed and the plugin refused.
  std::chrono::milliseconds probeTimeout{std::chrono::seconds(10)};
};

struct WorkersConfig {
  int processes = 0;  // 0: one per core
  int concurrency = 8;
  int prefetch = 0;                // jobs claimed ahead of free threads (for many short jobs)
  int memoryLimitMb = 0;           // 0: no cap
  std::string memoryCap = "auto";  // how memoryLimitMb is enforced: auto, cgroup or rlimit
  bool testJobKinds = false;       // register the test.* job kinds (for the test suite only)
};

// How often a failing job is retried, and how long it waits in between: attempt n waits a random
// time in [0, min(cap, base * factor^(n-1))] ("full jitter").
struct RetryPolicy {
  int maxAttempts = 3;
  milliseconds base{2'000};
  double factor = 2.0;
  milliseconds cap{300'000};
};

struct QueueConfig {
  milliseconds pollInterval{5'000};  // fallback poll; workers wake on NOTIFY first
  milliseconds lease{30'000};        // a job whose worker stops heartbeating is rescued after this
  milliseconds heartbeatInterval{10'000};
  milliseconds rescueInterval{5'000};         // how often expired leases are looked for
  milliseconds timeoutGrace{30'000};          // after a timeout's cancel, before the worker is killed
  milliseconds shutdownGrace{30'000};         // on stop, for running jobs to reach a checkpoint
  milliseconds retention{30LL * 86'400'000};  // finished jobs are pruned after this
  milliseconds initialTimeout{2LL * 3'600'000};
  milliseconds incrementalTimeout{30LL * 60'000};
  milliseconds backfillTimeout{2LL * 3'600'000};
  milliseconds defaultTimeout{3'600'000};
  int claimBatch = 64;  // most jobs one claim takes
  RetryPolicy defaultRetry;
  std::map<std::string, RetryPolicy> retryByKind;

  const RetryPolicy& retryFor(const std::string& kind) const {
    auto it = retryByKind.find(kind);
    return it == retryByKind.end() ? defaultRetry : it->second;
  }
};

// The sync engine.
struct SyncConfig {
  milliseconds overlap{300'000};   // incremental runs start this long before the watermark
  double failureThreshold = 0.05;  // a run with more failed records than this fails
  int initialBatch = 1000;         // records per transaction, to start with
  int minBatch = 200;
  int maxBatch = 50'000;
  milliseconds maxBatchAge{5'000};       // commit at the next checkpoint once a batch is this old
  milliseconds progressInterval{1'000};  // progress is written at most this often
  // A record stamped further ahead of the database's clock than this is refused, and the
  // watermark never passes the database's clock plus this.
  milliseconds maxClockSkew{3'600'000};
  // Events (the outbox) older than this are deleted, once an hour, by one host.
  milliseconds eventRetention{30LL * 86'400'000};
};

// What the scheduler does with slots missed while no host ran it (or that it found too late).
enum class MisfirePolicy {
  RunOnce,  // fire one sync for all of them (the latest slot), not one per missed slot
  Skip,     // fire none; wait for the next regular slot
};

inline std::string_view toString(MisfirePolicy p) { return p == MisfirePolicy::Skip ? "skip" : "run_once"; }
inline std::optional<MisfirePolicy> parseMisfirePolicy(std::string_view s) {
  if (s == "run_once") return MisfirePolicy::RunOnce;
  if (s == "skip") return MisfirePolicy::Skip;
  return std::nullopt;
}

struct SchedulerConfig {
  bool enabled = true;
  // How often the leader looks for connections due (it also wakes for the next known slot),
  // and how often the other hosts try to become leader.
  milliseconds tick{1'000};
  // The longest a leader that stopped working without closing its session (its process froze,
  // its machine died, its network went) keeps the lead: PostgreSQL ends a quiet leader session
  // after this (idle_session_timeout, keepalives). A leader that exits is replaced within a tick.
  milliseconds leaderLease{15'000};
  // A slot first seen more than this after its time is a misfire, handled by `misfire`.
  milliseconds misfireGrace{60'000};
  // The default policy; a connection's `misfire` key overrides it.
  MisfirePolicy misfire = MisfirePolicy::RunOnce;
};

// The host's HTTP client (http:), the only way plugins reach vendors.
struct HttpRetryConfig {
  int maxAttempts = 5;     // sends of one request, the first included (1: no retry)
  milliseconds base{500};  // the first backoff's cap; doubled per retry (full jitter)
  milliseconds maxBackoff{30'000};
};

struct HttpPoolConfig {
  int maxIdlePerHost = 8;            // idle keep-alive connections kept per scheme, host and port
  milliseconds idleTimeout{30'000};  // an idle connection older than this is closed, not reused
  milliseconds maxAge{300'000};      // nor one opened longer ago than this
};

struct HttpConfig {
  milliseconds timeout{30'000};                 // a request's default timeout (connect, send, each read)
  milliseconds maxInlineWait{30'000};           // a longer wait parks the job (TRIBUTARY_WAIT)
  milliseconds quotaRecheck{900'000};           // a quota wait with no reset time: doubled per wait in a row
  std::optional<std::filesystem::path> caFile;  // PEM CAs trusted besides the system's
  HttpRetryConfig retry;
  HttpPoolConfig pool;
};

// What the host seals at rest (OAuth tokens, the connect flow's states: secrets::sealedColumns),
// under the keys of one file (docs/operators.md, "Secrets at rest").
struct SecretsConfig {
  // secrets.key_file, resolved against the config file's directory. Unset: STATE_DIR/secret.key
  // with the embedded database (created on first use); with database.url, required as soon as
  // a value must be sealed or opened (secrets::keyFileFor).
  std::optional<std::filesystem::path> keyFile;
};

// Outgoing webhooks (webhooks:): how the dispatcher delivers the events endpoints ask for.
struct WebhooksConfig {
  // Destinations in these networks (CIDRs) may be loopback, private, link-local or metadata
  // addresses; every other such destination is refused, at PUT and again at each delivery.
  std::vector<std::string> allowPrivate;
  milliseconds timeout{5'000};           // connect and response, per attempt
  milliseconds progressInterval{5'000};  // at most one sync.progress per job per endpoint this often
  // The wait before each attempt, the first included: the defaults of the Standard Webhooks
  // reference (now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). After the last, the delivery fails.
  std::vector<milliseconds> retrySchedule{milliseconds(0),          milliseconds(5'000),     milliseconds(300'000),
                                          milliseconds(1'800'000),  milliseconds(7'200'000), milliseconds(18'000'000),
                                          milliseconds(36'000'000), milliseconds(36'000'000)};
  milliseconds disableAfter{5LL * 86'400'000};  // an endpoint failing every attempt this long is disabled
  bool ordered = true;                          // an endpoint's deliveries go out in event order
  milliseconds retention{30LL * 86'400'000};    // deliveries and their attempts are pruned after this
  int concurrency = 8;                          // attempts in flight per host
  milliseconds secretOverlap{86'400'000};       // a rotated-out secret keeps signing this long
  milliseconds pollInterval{1'000};             // the dispatcher looks again this often without a notification
};

// Alerts, sent as events (alerts:).
struct AlertsConfig {
  // A scheduled connection with no success for this long is stale; unset: three times the gap
  // between its last two scheduled slots.
  std::optional<milliseconds> staleAfter;
  milliseconds backlogAfter{900'000};  // the oldest runnable job waiting longer is a backlog
  milliseconds checkInterval{60'000};  // how often the maintenance lead looks
};

struct LoggingConfig {
  log::Level level = log::Level::Info;
  log::Format format = log::Format::Text;
};

// Where a value came from: secrets may only come from the environment or a secret file.
enum class ValueSource { Literal, Environment, SecretFile };

// A position in a configuration file, for messages.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  std::string format() const {
    return line > 0 ? file + ":" + std::to_string(line) + ":" + std::to_string(column) : file;
  }
};

struct SettingValue {
  std::string value;
  ValueSource source = ValueSource::Literal;
  Location location;
  std::string path;  // "connections[0].settings.page_size"
};

// One class of a connection's rate_limit: an operator's budget for a class the connector
// declares ({requests: 190, per: 10s}).
struct RateLimitOverride {
  uint64_t requests = 0;  // points, for a points class
  milliseconds per{0};
  Location location;  // of the class's key
  std::string path;   // "connections[0].rate_limit.rest"
};

// A connection's rate_limit: key. Every budget of the connection is its declared or overridden
// budget times the headroom, shared by everything using the same vendor account.
struct ConnectionRateLimit {
  std::optional<std::string> account;  // the budget's owner; default: a hash of the credential
  double headroom = 0.9;               // (0, 1]
  std::map<std::string, RateLimitOverride> classes;
  Location location;  // of rate_limit:, or the connection's when absent
};

// A connection's auth: (issue 16): which credential of those its connector declares it uses, and
// the credential's values. The host adds it to every request of the connection; secret values
// (token, password, key, client_secret, refresh_token) come from ${ENV} or a secret_file only.
struct AuthConfig {
  std::string type;  // bearer, basic, api_key or oauth2; empty: the connection has no auth:
  // bearer: token; basic: username, password; api_key: key; oauth2: client_id, client_secret and
  // refresh_token (a refresh token obtained elsewhere, stored at the first use when the database
  // holds none).
  std::map<std::string, SettingValue> values;
  // oauth2: overrides of the connector's (a sandbox, a simulator) and the redirect_uri (default
  // server.public_url + /oauth/callback).
  std::optional<std::string> authorizeUrl, tokenUrl, scopes, redirectUri;
  // oauth2: the name of a credential shared by every connection that gives it (one connect flow
  // connects them all, one refresh serves them all); empty: the connection's own.
  std::string credential;
  Location location;  // of auth:
  std::string path;   // "connections[0].auth"

  bool given() const { return !type.empty(); }
  // The value of `key`, or "" when it has none.
  std::string value(const std::string& key) const {
    auto it = values.find(key);
    return it == values.end() ? std::string() : it->second.value;
  }
  // The keys whose values are secrets.
  static bool secretKey(std::string_view key) {
    return key == "token" || key == "password" || key == "key" || key == "client_secret" || key == "refresh_token";
  }
};

struct WorkspaceConfig {
  std::string slug;
  std::string name;
  Location location;
};

struct ConnectionConfig {
  std::string workspace;                // the workspace's slug
  std::string name;                     // default: the connector's short name
  std::string connector;                // dotted plugin name, e.g. tributary.hubspot
  std::optional<std::string> schedule;  // cron expression; none: on demand only
  std::string timezone = "UTC";
  std::string misfire;  // run_once or skip; empty: scheduler.misfire
  bool enabled = true;
  std::optional<std::string> baseUrl;  // overrides the connector's API base URL
  ConnectionRateLimit rateLimit;       // overrides of the vendor's limits (rate_limit:)
  AuthConfig auth;                     // the credential the host adds to its requests (auth:)
  std::map<std::string, SettingValue> settings;
  // Settings given but unreadable (an unset ${ENV}, a secret file that cannot be read): each is
  // reported where it stands, and is not missing too.
  std::set<std::string> unreadSettings;
  Location location;  // the list item
  Location connectorLocation;
  Location scheduleLocation;
  std::string path;  // "connections[0]"

  std::string qualifiedName() const { return workspace + "/" + name; }
};

struct Config {
  std::filesystem::path file;  // where it was read from; empty for built-in defaults
  std::filesystem::path stateDir;
  std::filesystem::path migrationsDir;
  ServerConfig server;
  ApiConfig api;
  DatabaseConfig database;
  PluginsConfig plugins;
  WorkersConfig workers;
  QueueConfig queue;
  SyncConfig sync;
  HttpConfig http;
  SecretsConfig secrets;
  SchedulerConfig scheduler;
  WebhooksConfig webhooks;
  AlertsConfig alerts;
  LoggingConfig logging;
  std::vector<WorkspaceConfig> workspaces;
  std::vector<ConnectionConfig> connections;

  const ConnectionConfig* findConnection(const std::string& workspace, const std::string& name) const {
    for (const auto& c : connections) {
      if (c.workspace == workspace && c.name == name) return &c;
    }
    return nullptr;
  }

  std::filesystem::path embeddedDataDir() const { return stateDir / "postgres"; }
  // What the host's pooled sessions are opened with (database.session, derived from the lease).
  SessionTimeouts sessionTimeouts() const { return SessionTimeouts::derive(database.session, queue.lease); }
};

}  // namespace tributary::config
