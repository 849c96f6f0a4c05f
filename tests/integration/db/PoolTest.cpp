#include "db/Pool.h"

#include <gtest/gtest.h>

#include <thread>

#include "TestSupport.h"

using namespace tributary;

TEST(Pool, ReusesConnections) {
  test::TestDatabase db;
  db::Pool pool(db.conninfo(), config::PoolConfig{});
  int first;
  {
    auto c = pool.acquire();
    first = c->backendPid();
  }
  auto c = pool.acquire();
  EXPECT_EQ(c->backendPid(), first);
  EXPECT_EQ(pool.stats().open, 1);
}

TEST(Pool, WaitsThenFailsWhenExhausted) {
  test::TestDatabase db;
  config::PoolConfig cfg;
  cfg.max = 2;
  db::Pool pool(db.conninfo(), cfg);
  auto a = pool.acquire();
  auto b = pool.acquire();
  try {
    pool.acquire(std::chrono::milliseconds(200));
    FAIL() << "a third connection was handed out";
  } catch (const db::DbError& e) {
    EXPECT_EQ(std::string(e.what()), "no database connection free after 200 ms (pool max 2; raise database.pool.max)");
  }
  std::thread giver([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    a = db::PooledConnection();
  });
  auto c = pool.acquire(std::chrono::seconds(5));
  EXPECT_TRUE(c->ping());
  giver.join();
}

TEST(Pool, ReplacesAConnectionTheServerClosed) {
  test::TestDatabase db;
  db::Pool pool(db.conninfo(), config::PoolConfig{});
  int victim;
  {
    auto c = pool.acquire();
    victim = c->backendPid();
  }
  db::Connection admin(db.conninfo());
  admin.exec("SELECT pg_terminate_backend($1)", victim);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past the trust window
  auto c = pool.acquire();
  EXPECT_NE(c->backendPid(), victim);
  EXPECT_EQ(c->exec("SELECT 41 + 1").int64(0, 0), 42);
}

TEST(Pool, ConnectionLeftInATransactionIsNotReused) {
  test::TestDatabase db;
  db::Pool pool(db.conninfo(), config::PoolConfig{});
  int pid;
  {
    auto c = pool.acquire();
    pid = c->backendPid();
    c->execScript("BEGIN");
  }
  auto c = pool.acquire();
  EXPECT_NE(c->backendPid(), pid);
  EXPECT_FALSE(c->inTransaction());
}

TEST(Connection, NamesTheTargetWhenItCannotConnect) {
  try {
    db::Connection c("host=/nonexistent-dir port=5999 dbname=x user=y connect_timeout=2");
    FAIL();
  } catch (const db::DbError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cannot connect to database \"x\" on /nonexistent-dir port 5999 as y: ", 0),
              0u)
        << e.what();
  }
}

TEST(Connection, CopyInAndNotifications) {
  test::TestDatabase db;
  db::Connection c(db.conninfo());
  c.execScript("CREATE TABLE t (id int, name text)");
  int batches = 0;
  auto rows = c.copyIn("COPY t (id, name) FROM STDIN", [&](std::string& buf) {
    for (int i = 0; i < 1000; ++i) buf += std::to_string(batches * 1000 + i) + "\tn" + std::to_string(i) + "\n";
    return ++batches < 3;
  });
  EXPECT_EQ(rows, 3000);
  EXPECT_EQ(c.exec("SELECT count(DISTINCT id) FROM t").int64(0, 0), 3000);

  db::Connection listener(db.conninfo());
  listener.listen("jobs");
  c.exec("SELECT pg_notify('jobs', 'hello')");
  auto n = listener.waitForNotifications(std::chrono::seconds(5));
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].channel, "jobs");
  EXPECT_EQ(n[0].payload, "hello");
  EXPECT_TRUE(listener.waitForNotifications(std::chrono::milliseconds(50)).empty());
}

TEST(Connection, ErrorsCarrySqlstate) {
  test::TestDatabase db;
  db::Connection c(db.conninfo());
  c.execScript("CREATE TABLE u (id int PRIMARY KEY)");
  c.exec("INSERT INTO u VALUES ($1)", 1);
  try {
    c.exec("INSERT INTO u VALUES ($1)", 1);
    FAIL();
  } catch (const db::DbError& e) {
    EXPECT_TRUE(e.isUniqueViolation()) << e.sqlstate();
  }
}
