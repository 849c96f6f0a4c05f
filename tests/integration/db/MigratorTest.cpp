#include "db/Migrator.h"

#include <gtest/gtest.h>

#include "TestSupport.h"
#include "common/Files.h"
#include "common/Hash.h"
#include "db/Connection.h"

using namespace tributary;

namespace {

struct MigratorFixture : ::testing::Test {
  test::TestDatabase db;
  test::TempDir dir;
  db::Connection conn{db.conninfo()};

  void SetUp() override {
    dir.write("migrations/001_accounts.sql", "CREATE TABLE accounts (id serial PRIMARY KEY, name text);\n");
    dir.write("migrations/002_deals.sql",
              "CREATE TABLE deals (id serial PRIMARY KEY, account_id int REFERENCES accounts(id));\n"
              "INSERT INTO accounts (name) VALUES ('seeded');\n");
  }
  std::filesystem::path migrations() const { return dir / "migrations"; }
};

}  // namespace

TEST_F(MigratorFixture, AppliesInOrderAndRecordsChecksums) {
  db::Migrator m(conn, migrations());
  auto applied = m.apply();
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(applied[0].name, "001_accounts");
  EXPECT_EQ(applied[1].name, "002_deals");
  auto r = conn.exec("SELECT version, name, checksum FROM schema_migrations ORDER BY version");
  ASSERT_EQ(r.rows(), 2);
  EXPECT_EQ(r.int64(0, 0), 1);
  EXPECT_EQ(r.text(1, 1), "002_deals");
  EXPECT_EQ(r.text(0, 2), hash::sha256Hex(files::readFile(migrations() / "001_accounts.sql")));
  EXPECT_EQ(conn.exec("SELECT count(*) FROM accounts").int64(0, 0), 1);
}

TEST_F(MigratorFixture, RerunIsANoOp) {
  db::Migrator m(conn, migrations());
  m.apply();
  EXPECT_TRUE(m.apply().empty());
  EXPECT_EQ(conn.exec("SELECT count(*) FROM accounts").int64(0, 0), 1) << "002 ran twice";
  auto st = m.status();
  EXPECT_TRUE(st.current());
  EXPECT_EQ(st.applied.size(), 2u);
}

TEST_F(MigratorFixture, StatusListsPendingBeforeApplying) {
  db::Migrator m(conn, migrations());
  auto st = m.status();
  EXPECT_TRUE(st.applied.empty());
  ASSERT_EQ(st.pending.size(), 2u);
  EXPECT_EQ(st.pending[1].name, "002_deals");
  EXPECT_FALSE(st.current());
}

TEST_F(MigratorFixture, ChangedFileAfterApplyIsRefusedNamingTheFile) {
  db::Migrator m(conn, migrations());
  m.apply();
  dir.write("migrations/001_accounts.sql", "CREATE TABLE accounts (id bigserial PRIMARY KEY);\n");
  try {
    m.apply();
    FAIL() << "drift was accepted";
  } catch (const std::exception& e) {
    std::string msg = e.what();
    EXPECT_NE(
        msg.find("migration " + (migrations() / "001_accounts.sql").string() + " was changed after it was applied on "),
        std::string::npos)
        << msg;
    EXPECT_NE(msg.find("released migrations are never edited, add a new one instead"), std::string::npos) << msg;
  }
  EXPECT_FALSE(m.status().problems.empty());
}

TEST_F(MigratorFixture, FailedMigrationRollsBackAndStopsThere) {
  dir.write("migrations/003_broken.sql", "CREATE TABLE ok_before_error (id int);\nSELECT nonsense FROM nowhere;\n");
  dir.write("migrations/004_after.sql", "CREATE TABLE after_broken (id int);\n");
  db::Migrator m(conn, migrations());
  try {
    m.apply();
    FAIL() << "a broken migration was accepted";
  } catch (const db::DbError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("migration " + (migrations() / "003_broken.sql").string() +
                                              " failed: ERROR:  relation \"nowhere\" does not exist",
                                          0),
              0u)
        << e.what();
  }
  EXPECT_EQ(conn.exec("SELECT count(*) FROM schema_migrations").int64(0, 0), 2);
  EXPECT_TRUE(conn.exec("SELECT to_regclass('ok_before_error')").isNull(0, 0)) << "not rolled back";
  EXPECT_TRUE(conn.exec("SELECT to_regclass('after_broken')").isNull(0, 0)) << "went past a failure";
}

TEST_F(MigratorFixture, BadFileNameIsRefused) {
  dir.write("migrations/3_short.sql", "SELECT 1;\n");
  db::Migrator m(conn, migrations());
  try {
    m.scan();
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              (migrations() / "3_short.sql").string() +
                  ": migration files are named NNN_name.sql (digits, underscore, letters, digits or "
                  "underscores)");
  }
}

TEST_F(MigratorFixture, DuplicateVersionIsRefused) {
  dir.write("migrations/002_other.sql", "SELECT 1;\n");
  db::Migrator m(conn, migrations());
  EXPECT_THROW(m.scan(), std::runtime_error);
}

TEST_F(MigratorFixture, AppliedVersionMissingOnDiskIsAProblem) {
  db::Migrator m(conn, migrations());
  m.apply();
  std::filesystem::remove(migrations() / "002_deals.sql");
  auto st = m.status();
  ASSERT_EQ(st.problems.size(), 1u);
  EXPECT_EQ(st.problems[0], "the database has migration 002_deals applied, which is not in " + migrations().string() +
                                ": this binary is older than the database schema");
}

TEST_F(MigratorFixture, MissingDirectoryIsNamed) {
  db::Migrator m(conn, dir / "nope");
  try {
    m.scan();
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "migrations directory " + (dir / "nope").string() + " does not exist (set --migrations-dir)");
  }
}

// Four `tributary migrate` processes start together on one database: every migration is
// applied exactly once, and all four succeed.
TEST_F(MigratorFixture, ConcurrentProcessesApplyEachMigrationExactlyOnce) {
  dir.write("migrations/003_slow.sql",
            "CREATE TABLE IF NOT EXISTS applied_runs (n int);\n"
            "INSERT INTO applied_runs VALUES (1);\n"
            "SELECT pg_sleep(0.3);\n");
  auto cfg = dir.write("tributary.yaml", "database:\n  url: \"" + db.conninfo() + "\"\n");
  std::vector<std::unique_ptr<test::ServerProcess>> procs;
  for (int i = 0; i < 4; ++i) {
    procs.push_back(std::make_unique<test::ServerProcess>(
        std::vector<std::string>{test::tributaryBinary().string(), "migrate", "--config", cfg.string(),
                                 "--migrations-dir", migrations().string()},
        dir / ("migrate" + std::to_string(i) + ".log")));
  }
  for (auto& p : procs) {
    auto st = p->waitForExit(std::chrono::seconds(60));
    ASSERT_TRUE(st.has_value());
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << p->log();
  }
  EXPECT_EQ(conn.exec("SELECT count(*) FROM applied_runs").int64(0, 0), 1);
  EXPECT_EQ(conn.exec("SELECT count(*) FROM accounts").int64(0, 0), 1);
  EXPECT_EQ(conn.exec("SELECT count(*), count(DISTINCT version) FROM schema_migrations").int64(0, 0), 3);
}

// The migrations this repository ships apply on an empty database and leave it current.
TEST(ShippedMigrations, ApplyCleanlyAndAreCurrent) {
  test::TestDatabase db;
  db::Connection conn(db.conninfo());
  db::Migrator m(conn, test::migrationsDir());
  auto applied = m.apply();
  EXPECT_FALSE(applied.empty());
  EXPECT_TRUE(m.status().current());
}
