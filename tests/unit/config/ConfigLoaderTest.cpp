#include "config/ConfigLoader.h"

#include <gtest/gtest.h>

#include <map>

#include "TestSupport.h"
#include "config/Paths.h"

using namespace tributary;
using namespace tributary::config;

namespace config_loader_test {

EnvLookup fakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

LoadResult load(const std::string& yaml, std::map<std::string, std::string> env = {}) {
  return ConfigLoader(fakeEnv(std::move(env))).loadString(yaml, "t.yaml", "/etc/trib");
}

std::vector<std::string> messages(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics.items()) out.push_back(d.format());
  return out;
}

TEST(ConfigLoader, EmptyFileGivesEveryDefault) {
  auto r = load("");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(r.config.server.bind, "127.0.0.1");
  EXPECT_EQ(r.config.server.port, 8470);
  EXPECT_TRUE(r.config.database.url.empty());
  EXPECT_TRUE(r.config.database.embeddedMode());
  EXPECT_EQ(r.config.database.pool.max, 10);
  EXPECT_EQ(r.config.stateDir, "/var/lib/tributary");
  EXPECT_EQ(r.config.workers.concurrency, 8);
  EXPECT_EQ(r.config.logging.level, log::Level::Info);
}

TEST(ConfigLoader, FileWithOneKeyIsValid) {
  auto r = load("server:\n  port: 9000\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(r.config.server.port, 9000);
  EXPECT_EQ(r.config.server.bind, "127.0.0.1");
}

TEST(ConfigLoader, ReadsEverySection) {
  auto r = load(R"(
state_dir: /srv/trib
server: {bind: 0.0.0.0, port: 8080}
database:
  url: postgresql://u@db/x
  pool: {min: 2, max: 20, idle_timeout: 90s, health_check_on_borrow: false}
  embedded: {user: pg, database: other, tcp_port: 5999, start_timeout: 2m}
plugins: {dirs: [/opt/p1, /opt/p2]}
workers: {processes: 3, concurrency: 4, memory_limit_mb: 512}
logging: {level: debug, format: json}
)");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  const auto& c = r.config;
  EXPECT_EQ(c.stateDir, "/srv/trib");
  EXPECT_EQ(c.server.bind, "0.0.0.0");
  EXPECT_EQ(c.server.port, 8080);
  EXPECT_EQ(c.database.url, "postgresql://u@db/x");
  EXPECT_EQ(c.database.pool.min, 2);
  EXPECT_EQ(c.database.pool.max, 20);
  EXPECT_EQ(c.database.pool.idleTimeout, std::chrono::seconds(90));
  EXPECT_FALSE(c.database.pool.healthCheckOnBorrow);
  EXPECT_EQ(c.database.embedded.user, "pg");
  EXPECT_EQ(c.database.embedded.tcpPort, 5999);
  EXPECT_EQ(c.database.embedded.startTimeout, std::chrono::minutes(2));
  ASSERT_EQ(c.plugins.dirs.size(), 2u);
  EXPECT_EQ(c.plugins.dirs[1], "/opt/p2");
  EXPECT_EQ(c.workers.processes, 3);
  EXPECT_EQ(c.workers.memoryLimitMb, 512);
  EXPECT_EQ(c.logging.level, log::Level::Debug);
  EXPECT_EQ(c.logging.format, log::Format::Json);
}

TEST(ConfigLoader, UnknownKeyNamesPositionAndSuggestsTheClosest) {
  auto r = load("server:\n  bind: 127.0.0.1\n  prot: 80\n");
  EXPECT_EQ(messages(r), std::vector<std::string>{"t.yaml:3:3: server.prot: unknown key (did you mean \"port\"?)"});
}

TEST(ConfigLoader, UnknownKeyWithNothingCloseHasNoSuggestion) {
  auto r = load("colour: blue\n");
  EXPECT_EQ(messages(r), std::vector<std::string>{"t.yaml:1:1: colour: unknown key"});
}

TEST(ConfigLoader, WrongTypeIsReported) {
  auto r = load("server:\n  port: eighty\n");
  EXPECT_EQ(messages(r), std::vector<std::string>{"t.yaml:2:9: server.port: expected an integer, got \"eighty\""});
}

TEST(ConfigLoader, MappingWhereAValueBelongsIsReported) {
  auto r = load("server:\n  port: {a: 1}\n");
  EXPECT_EQ(messages(r), std::vector<std::string>{
                             "t.yaml:2:9: server.port: expected a value or {secret_file: PATH}, got a mapping"});
}

TEST(ConfigLoader, SectionThatIsNotAMappingIsReported) {
  auto r = load("server: 8080\n");
  EXPECT_EQ(messages(r), std::vector<std::string>{"t.yaml:1:9: server: expected a mapping, got \"8080\""});
}

TEST(ConfigLoader, OutOfRangeIsReported) {
  auto r = load("server:\n  port: 70000\n");
  EXPECT_EQ(messages(r), std::vector<std::string>{"t.yaml:2:9: server.port: must be between 0 and 65535, got 70000"});
}

TEST(ConfigLoader, BadChoiceSuggestsTheClosest) {
  auto r = load("logging:\n  level: warning\n");
  EXPECT_EQ(messages(r), std::vector<std::string>{"t.yaml:2:10: logging.level: must be one of trace, debug, info, "
                                                  "warn, error, off, got \"warning\" (did you mean \"warn\"?)"});
}

TEST(ConfigLoader, BadDurationIsReported) {
  auto r = load("database:\n  pool:\n    idle_timeout: soon\n");
  EXPECT_EQ(messages(r),
            std::vector<std::string>{"t.yaml:3:19: database.pool.idle_timeout: expected a duration such as "
                                     "500ms, 30s, 5m, 2h or 1d, got \"soon\""});
}

TEST(ConfigLoader, MalformedYamlGivesItsPosition) {
  auto r = load("server:\n  port: [1, 2\n");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  auto msg = r.diagnostics.items()[0].format();
  EXPECT_EQ(msg.rfind("t.yaml:3:1: malformed YAML: ", 0), 0u) << msg;
}

TEST(ConfigLoader, ReportsEveryProblemAtOnce) {
  auto r = load("server:\n  port: x\n  bnd: y\nworkers:\n  concurrency: 0\nlogging: {format: xml}\n");
  EXPECT_EQ(messages(r),
            (std::vector<std::string>{"t.yaml:2:9: server.port: expected an integer, got \"x\"",
                                      "t.yaml:3:3: server.bnd: unknown key (did you mean \"bind\"?)",
                                      "t.yaml:5:16: workers.concurrency: must be between 1 and 1024, got 0",
                                      "t.yaml:6:19: logging.format: must be one of text, json, got \"xml\""}));
}

TEST(ConfigLoader, PoolMinAboveMaxIsReported) {
  auto r = load("database:\n  pool: {min: 5, max: 2}\n");
  EXPECT_EQ(messages(r),
            std::vector<std::string>{"t.yaml:2:15: database.pool.min: must not exceed database.pool.max (2)"});
}

TEST(ConfigLoader, InterpolatesEnvironmentVariables) {
  auto r = load("database:\n  url: postgresql://${DB_USER}@${DB_HOST:-localhost}/${DB_NAME:-trib}\n",
                {{"DB_USER", "ann"}, {"DB_NAME", "prod"}});
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(r.config.database.url, "postgresql://ann@localhost/prod");
}

TEST(ConfigLoader, InterpolationDefaultAppliesToEmptyValues) {
  auto r = load("server: {port: \"${PORT:-9100}\"}\n", {{"PORT", ""}});
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(r.config.server.port, 9100);
}

TEST(ConfigLoader, InterpolatedValuesAreTypeChecked) {
  auto r = load("server: {port: \"${PORT}\"}\n", {{"PORT", "high"}});
  EXPECT_EQ(messages(r), std::vector<std::string>{"t.yaml:1:16: server.port: expected an integer, got \"high\""});
}

TEST(ConfigLoader, UnsetVariableWithoutDefaultIsAnError) {
  auto r = load("database:\n  url: ${DATABASE_URL}\n");
  EXPECT_EQ(messages(r),
            std::vector<std::string>{"t.yaml:2:8: database.url: environment variable DATABASE_URL is not set "
                                     "(use ${DATABASE_URL:-default} to give a default)"});
}

TEST(ConfigLoader, DollarDollarBraceIsALiteral) {
  auto r = load("database:\n  url: a$${b}\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(r.config.database.url, "a${b}");
}

TEST(ConfigLoader, SecretFileStandsForAValue) {
  test::TempDir dir;
  dir.write("secrets/db_url", "postgresql://app:s3cret@db/trib\n");
  auto r =
      ConfigLoader(fakeEnv({})).loadString("database:\n  url: {secret_file: secrets/db_url}\n", "t.yaml", dir.path());
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(r.config.database.url, "postgresql://app:s3cret@db/trib");
}

TEST(ConfigLoader, MissingSecretFileIsReportedWithItsKey) {
  auto r = load("database:\n  url: {secret_file: /nonexistent/db_url}\n");
  EXPECT_EQ(messages(r),
            std::vector<std::string>{"t.yaml:2:22: database.url.secret_file: cannot read secret file: cannot "
                                     "read /nonexistent/db_url: No such file or directory"});
}

TEST(ConfigLoader, RelativePathsResolveAgainstTheFilesDirectory) {
  auto r = load("state_dir: ../var/state\nplugins:\n  dirs: [plugins, /abs/p]\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(r.config.stateDir, "/etc/var/state");
  ASSERT_EQ(r.config.plugins.dirs.size(), 2u);
  EXPECT_EQ(r.config.plugins.dirs[0], "/etc/trib/plugins");
  EXPECT_EQ(r.config.plugins.dirs[1], "/abs/p");
}

TEST(ConfigLoader, UnreadableFileIsReported) {
  auto r = ConfigLoader(fakeEnv({})).loadFile("/nonexistent/tributary.yaml");
  EXPECT_EQ(messages(r),
            std::vector<std::string>{"/nonexistent/tributary.yaml: cannot read the configuration: cannot read "
                                     "/nonexistent/tributary.yaml: No such file or directory"});
}

// config/tributary.yaml documents every key with its default: loading it must give exactly what
// an empty file gives, so that the documentation cannot drift from the code.
TEST(ConfigLoader, DocumentedDefaultFileEqualsTheBuiltInDefaults) {
  auto file = test::sourceDir() / "config" / "tributary.yaml";
  auto documented = ConfigLoader(fakeEnv({})).loadFile(file);
  ASSERT_TRUE(documented.ok()) << documented.diagnostics.format();
  auto empty = ConfigLoader(fakeEnv({})).loadString("", file.string(), file.parent_path());
  const auto& a = documented.config;
  const auto& b = empty.config;
  EXPECT_EQ(a.stateDir, b.stateDir);
  EXPECT_EQ(a.server.bind, b.server.bind);
  EXPECT_EQ(a.server.port, b.server.port);
  EXPECT_EQ(a.database.url, b.database.url);
  EXPECT_EQ(a.database.pool.min, b.database.pool.min);
  EXPECT_EQ(a.database.pool.max, b.database.pool.max);
  EXPECT_EQ(a.database.pool.idleTimeout, b.database.pool.idleTimeout);
  EXPECT_EQ(a.database.pool.healthCheckOnBorrow, b.database.pool.healthCheckOnBorrow);
  EXPECT_EQ(a.database.session.idleInTransactionTimeout, b.database.session.idleInTransactionTimeout);
  EXPECT_EQ(a.database.session.lockTimeout, b.database.session.lockTimeout);
  EXPECT_EQ(a.database.session.statementTimeout, b.database.session.statementTimeout);
  EXPECT_EQ(a.database.session.tcpKeepalive, b.database.session.tcpKeepalive);
  EXPECT_EQ(a.database.embedded.binDir, b.database.embedded.binDir);
  EXPECT_EQ(a.database.embedded.user, b.database.embedded.user);
  EXPECT_EQ(a.database.embedded.database, b.database.embedded.database);
  EXPECT_EQ(a.database.embedded.tcpPort, b.database.embedded.tcpPort);
  EXPECT_EQ(a.database.embedded.startTimeout, b.database.embedded.startTimeout);
  EXPECT_EQ(a.plugins.dirs, b.plugins.dirs);
  EXPECT_EQ(a.plugins.probeTimeout, b.plugins.probeTimeout);
  EXPECT_EQ(a.workers.processes, b.workers.processes);
  EXPECT_EQ(a.workers.concurrency, b.workers.concurrency);
  EXPECT_EQ(a.workers.prefetch, b.workers.prefetch);
  EXPECT_EQ(a.workers.memoryLimitMb, b.workers.memoryLimitMb);
  EXPECT_EQ(a.workers.testJobKinds, b.workers.testJobKinds);
  EXPECT_EQ(a.queue.pollInterval, b.queue.pollInterval);
  EXPECT_EQ(a.queue.lease, b.queue.lease);
  EXPECT_EQ(a.queue.heartbeatInterval, b.queue.heartbeatInterval);
  EXPECT_EQ(a.queue.rescueInterval, b.queue.rescueInterval);
  EXPECT_EQ(a.queue.timeoutGrace, b.queue.timeoutGrace);
  EXPECT_EQ(a.queue.shutdownGrace, b.queue.shutdownGrace);
  EXPECT_EQ(a.queue.retention, b.queue.retention);
  EXPECT_EQ(a.queue.claimBatch, b.queue.claimBatch);
  EXPECT_EQ(a.queue.initialTimeout, b.queue.initialTimeout);
  EXPECT_EQ(a.queue.incrementalTimeout, b.queue.incrementalTimeout);
  EXPECT_EQ(a.queue.backfillTimeout, b.queue.backfillTimeout);
  EXPECT_EQ(a.queue.defaultTimeout, b.queue.defaultTimeout);
  EXPECT_EQ(a.queue.defaultRetry.maxAttempts, b.queue.defaultRetry.maxAttempts);
  EXPECT_EQ(a.queue.defaultRetry.base, b.queue.defaultRetry.base);
  EXPECT_EQ(a.queue.defaultRetry.factor, b.queue.defaultRetry.factor);
  EXPECT_EQ(a.queue.defaultRetry.cap, b.queue.defaultRetry.cap);
  EXPECT_TRUE(a.queue.retryByKind.empty());
  EXPECT_EQ(a.sync.overlap, b.sync.overlap);
  EXPECT_EQ(a.sync.failureThreshold, b.sync.failureThreshold);
  EXPECT_EQ(a.sync.initialBatch, b.sync.initialBatch);
  EXPECT_EQ(a.sync.minBatch, b.sync.minBatch);
  EXPECT_EQ(a.sync.maxBatch, b.sync.maxBatch);
  EXPECT_EQ(a.sync.maxBatchAge, b.sync.maxBatchAge);
  EXPECT_EQ(a.sync.progressInterval, b.sync.progressInterval);
  EXPECT_EQ(a.http.timeout, b.http.timeout);
  EXPECT_EQ(a.http.maxInlineWait, b.http.maxInlineWait);
  EXPECT_EQ(a.http.quotaRecheck, b.http.quotaRecheck);
  EXPECT_EQ(a.http.caFile, b.http.caFile);
  EXPECT_EQ(a.http.retry.maxAttempts, b.http.retry.maxAttempts);
  EXPECT_EQ(a.http.retry.base, b.http.retry.base);
  EXPECT_EQ(a.http.retry.maxBackoff, b.http.retry.maxBackoff);
  EXPECT_EQ(a.http.pool.maxIdlePerHost, b.http.pool.maxIdlePerHost);
  EXPECT_EQ(a.http.pool.idleTimeout, b.http.pool.idleTimeout);
  EXPECT_EQ(a.http.pool.maxAge, b.http.pool.maxAge);
  EXPECT_EQ(a.secrets.keyFile, b.secrets.keyFile);
  EXPECT_EQ(a.scheduler.enabled, b.scheduler.enabled);
  EXPECT_EQ(a.scheduler.tick, b.scheduler.tick);
  EXPECT_EQ(a.scheduler.leaderLease, b.scheduler.leaderLease);
  EXPECT_EQ(a.scheduler.misfireGrace, b.scheduler.misfireGrace);
  EXPECT_EQ(a.scheduler.misfire, b.scheduler.misfire);
  EXPECT_EQ(a.webhooks.allowPrivate, b.webhooks.allowPrivate);
  EXPECT_EQ(a.webhooks.timeout, b.webhooks.timeout);
  EXPECT_EQ(a.webhooks.progressInterval, b.webhooks.progressInterval);
  EXPECT_EQ(a.webhooks.retrySchedule, b.webhooks.retrySchedule);
  EXPECT_EQ(a.webhooks.disableAfter, b.webhooks.disableAfter);
  EXPECT_EQ(a.webhooks.ordered, b.webhooks.ordered);
  EXPECT_EQ(a.webhooks.retention, b.webhooks.retention);
  EXPECT_EQ(a.webhooks.concurrency, b.webhooks.concurrency);
  EXPECT_EQ(a.webhooks.secretOverlap, b.webhooks.secretOverlap);
  EXPECT_EQ(a.webhooks.pollInterval, b.webhooks.pollInterval);
  EXPECT_EQ(a.alerts.staleAfter, b.alerts.staleAfter);
  EXPECT_EQ(a.alerts.backlogAfter, b.alerts.backlogAfter);
  EXPECT_EQ(a.alerts.checkInterval, b.alerts.checkInterval);
  EXPECT_EQ(a.logging.level, b.logging.level);
  EXPECT_EQ(a.logging.format, b.logging.format);
}

TEST(ConfigLoader, RetryPolicyPerKindInheritsTheDefault) {
  auto r = load("queue:\n  retry:\n    default: {max_attempts: 4, base: 1s}\n    sync: {cap: 10s}\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  const auto& sync = r.config.queue.retryFor("sync");
  EXPECT_EQ(sync.maxAttempts, 4);
  EXPECT_EQ(sync.base, std::chrono::seconds(1));
  EXPECT_EQ(sync.cap, std::chrono::seconds(10));
  EXPECT_EQ(r.config.queue.retryFor("noop").cap, std::chrono::minutes(5));
}

TEST(ConfigLoader, HeartbeatMustBeShorterThanTheLease) {
  auto r = load("queue: {lease: 5s, heartbeat_interval: 5s}\n");
  EXPECT_EQ(messages(r),
            std::vector<std::string>{"t.yaml:1:40: queue.heartbeat_interval: must be shorter than queue.lease, "
                                     "or every job would be rescued"});
}

TEST(ConfigLoader, SchedulerDefaults) {
  auto r = load("");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_TRUE(r.config.scheduler.enabled);
  EXPECT_EQ(r.config.scheduler.tick, std::chrono::seconds(1));
  EXPECT_EQ(r.config.scheduler.leaderLease, std::chrono::seconds(15));
  EXPECT_EQ(r.config.scheduler.misfireGrace, std::chrono::minutes(1));
  EXPECT_EQ(r.config.scheduler.misfire, MisfirePolicy::RunOnce);
}

TEST(ConfigLoader, ReadsTheSchedulerSection) {
  auto r = load(
      "scheduler: {enabled: false, tick: 200ms, leader_lease: 3s, misfire_grace: 2s, "
      "misfire: skip}\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_FALSE(r.config.scheduler.enabled);
  EXPECT_EQ(r.config.scheduler.tick, std::chrono::milliseconds(200));
  EXPECT_EQ(r.config.scheduler.leaderLease, std::chrono::seconds(3));
  EXPECT_EQ(r.config.scheduler.misfireGrace, std::chrono::seconds(2));
  EXPECT_EQ(r.config.scheduler.misfire, MisfirePolicy::Skip);
}

TEST(ConfigLoader, SchedulerTickMustBeShorterThanTheLease) {
  auto r = load("scheduler:\n  tick: 5s\n  leader_lease: 5s\n");
  EXPECT_EQ(messages(r), std::vector<std::string>{"t.yaml:2:9: scheduler.tick: must be shorter than "
                                                  "scheduler.leader_lease, or another host could not take over within "
                                                  "the lease"});
}

TEST(ConfigLoader, BadMisfirePolicySuggestsTheClosest) {
  auto r = load("scheduler:\n  misfire: run-once\n");
  EXPECT_EQ(messages(r), std::vector<std::string>{"t.yaml:2:12: scheduler.misfire: must be one of run_once, skip, got "
                                                  "\"run-once\" (did you mean \"run_once\"?)"});
}

TEST(ConfigLoader, DemoConfigIsValid) {
  auto r = ConfigLoader(fakeEnv({})).loadFile(test::sourceDir() / "config" / "demo.yaml");
  EXPECT_TRUE(r.ok()) << r.diagnostics.format();
}

}  // namespace config_loader_test
