// The session settings on real connections: a pool built as a worker builds its pool has every
// one, over TCP (where the keepalives apply) and from either form of connection string; an idle
// transaction is ended and its locks freed; a rescue behind a held job row gives up instead of
// waiting without end.
#include "db/SessionSettings.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <future>
#include <map>

#include "QueueTestSupport.h"
#include "config/ConfigLoader.h"
#include "db/Pool.h"

using namespace tributary;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::map<std::string, std::string> parse(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  std::map<std::string, std::string> out;
  if (!opts) {
    if (err) PQfreemem(err);
    return out;
  }
  for (auto* o = opts; o->keyword; ++o) {
    if (o->val) out[o->keyword] = o->val;
  }
  PQconninfoFree(opts);
  return out;
}

// The test database over the fixture's loopback port, as a key=value string or a URL.
std::string overTcp(const test::TestDatabase& db, bool url) {
  auto p = parse(db.conninfo());
  const std::string port = p.count("port") ? p["port"] : "5432";
  const std::string user = p.count("user") ? p["user"] : "";
  if (url) return "postgresql://" + user + "@127.0.0.1:" + port + "/" + db.name() + "?sslmode=disable";
  return "host=127.0.0.1 port=" + port + (user.empty() ? "" : " user=" + user) + " dbname=" + db.name() +
         " sslmode=disable";
}

config::Config loadConfig(const std::string& yaml) {
  auto r = config::ConfigLoader().loadString(yaml, "t.yaml", "/etc/trib");
  EXPECT_TRUE(r.ok()) << r.diagnostics.format();
  return r.config;
}

// pg_settings' raw value (in the setting's own unit: ms for timeouts, s for keepalives).
std::map<std::string, std::string> settingsOf(db::Connection& c) {
  auto r = c.exec(
      "SELECT name, setting FROM pg_settings WHERE name IN ('idle_in_transaction_session_timeout', 'lock_timeout',"
      " 'statement_timeout', 'tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count',"
      " 'tcp_user_timeout', 'idle_session_timeout')");
  std::map<std::string, std::string> out;
  for (int i = 0; i < r.rows(); ++i) out[r.text(i, 0)] = r.text(i, 1);
  return out;
}

}  // namespace

TEST(SessionSettings, APoolBuiltAsAWorkerBuildsItsPoolHasEverySetting) {
  test::TestDatabase db;
  const auto cfg = loadConfig(
      "database:\n  session: {idle_in_transaction_timeout: 7s, lock_timeout: 3s, statement_timeout: 11m, "
      "tcp_keepalive: 20s}\n");
  for (bool url : {false, true}) {
    SCOPED_TRACE(url ? "from a URL" : "from a key=value string");
    db::Pool pool(db::withSessionSettings(overTcp(db, url), cfg.sessionTimeouts()), cfg.database.pool);
    auto c = pool.acquire();
    EXPECT_EQ(c->exec("SHOW idle_in_transaction_session_timeout").text(0, 0), "7s");
    EXPECT_EQ(c->exec("SHOW lock_timeout").text(0, 0), "3s");
    EXPECT_EQ(c->exec("SHOW statement_timeout").text(0, 0), "11min");
    auto s = settingsOf(*c);
    EXPECT_EQ(s["tcp_keepalives_idle"], "10");
    EXPECT_EQ(s["tcp_keepalives_interval"], "3");
    EXPECT_EQ(s["tcp_keepalives_count"], "3");
    EXPECT_EQ(s["tcp_user_timeout"], "20000");
    EXPECT_EQ(s["idle_session_timeout"], "0") << "an idle pooled session (or the LISTEN one) is never ended";
  }
}

TEST(SessionSettings, DerivedSettingsFollowTheLease) {
  test::TestDatabase db;
  const auto cfg = loadConfig("queue: {lease: 4s, heartbeat_interval: 1s}\n");
  db::Connection c(db::withSessionSettings(overTcp(db, false), cfg.sessionTimeouts()));
  auto s = settingsOf(c);
  EXPECT_EQ(s["idle_in_transaction_session_timeout"], "8000");
  EXPECT_EQ(s["lock_timeout"], "4000");
  EXPECT_EQ(s["statement_timeout"], "240000");
  EXPECT_EQ(s["tcp_keepalives_idle"], "5");
  EXPECT_EQ(s["tcp_user_timeout"], "10000");
}

TEST(SessionSettings, TheUnixSocketOfTheFixtureTakesThemToo) {
  test::TestDatabase db;
  db::Connection c(db::withSessionSettings(db.conninfo(), loadConfig("").sessionTimeouts()));
  auto s = settingsOf(c);
  EXPECT_EQ(s["idle_in_transaction_session_timeout"], "60000");
  EXPECT_EQ(s["lock_timeout"], "30000");
  EXPECT_EQ(s["statement_timeout"], "1800000");
}

TEST(SessionSettings, ASessionIdleInItsTransactionIsEndedAndItsLocksFreed) {
  test::TestDatabase db;
  config::SessionTimeouts t;
  t.idleInTransaction = milliseconds(300);
  db::Connection admin(db.conninfo());
  admin.execScript("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)");
  db::Connection frozen(db::withSessionSettings(db.conninfo(), t));
  frozen.execScript("BEGIN; UPDATE t SET v = 1 WHERE id = 1");
  // Waits for the row until the server ends the idle session; without the setting, for ever.
  auto waiter = std::async(std::launch::async, [&] {
    db::Connection other(db.conninfo());
    return other.exec("UPDATE t SET v = 2 WHERE id = 1").affected();
  });
  if (waiter.wait_for(seconds(30)) != std::future_status::ready) {
    frozen.execScript("ROLLBACK");
    FAIL() << "the row stayed locked by a session idle in its transaction";
  }
  EXPECT_EQ(waiter.get(), 1);
  EXPECT_THROW(frozen.execScript("COMMIT"), db::DbError);
  EXPECT_TRUE(frozen.isBroken());
  EXPECT_EQ(admin.exec("SELECT v FROM t").text(0, 0), "2") << "the idle transaction's write was rolled back";
}

TEST(SessionSettings, ARescueBehindAHeldJobRowGivesUpInsteadOfWaitingForever) {
  auto qcfg = test::QueueDatabase::fastQueueConfig();
  qcfg.lease = milliseconds(200);
  test::QueueDatabase q(qcfg);
  queue::EnqueueRequest r;
  r.kind = "test.noop";
  const auto id = q.queue->enqueue(r).jobId;
  ASSERT_EQ(q.queue->claim("frozen:1", 1).size(), 1u);
  auto c = q.pool->acquire();
  ASSERT_TRUE(test::eventually(
      [&] { return c->exec("SELECT lease_expires_at < now() FROM jobs WHERE id = $1::uuid", id).boolean(0, 0); }));

  // A worker frozen inside its fence: the job row held FOR SHARE in an open transaction.
  db::Connection holder(q.db.conninfo());
  holder.execScript("BEGIN");
  holder.exec("SELECT 1 FROM jobs WHERE id = $1::uuid FOR SHARE", id);

  config::SessionTimeouts t;
  t.lock = milliseconds(300);
  auto pool = std::make_shared<db::Pool>(db::withSessionSettings(q.db.conninfo(), t), config::PoolConfig{});
  auto watchdogQueue = app::makeJobQueue(pool, qcfg);
  auto rescue = std::async(std::launch::async, [&] { return watchdogQueue->rescueExpired(); });
  if (rescue.wait_for(seconds(30)) != std::future_status::ready) {
    holder.execScript("ROLLBACK");
    rescue.wait();
    FAIL() << "the rescue waited behind the held job row";
  }
  try {
    rescue.get();
    FAIL() << "the rescue went through a held row";
  } catch (const db::DbError& e) {
    EXPECT_EQ(e.sqlstate(), "55P03") << e.what();
  }
  holder.execScript("ROLLBACK");
  EXPECT_EQ(watchdogQueue->rescueExpired(), 1) << "the next round rescues it";
  EXPECT_EQ(q.job(id).status, queue::JobStatus::Pending);
}
