// db/'s COPY streams, transactions and savepoints, against a real PostgreSQL.

#include <gtest/gtest.h>

#include "TestSupport.h"
#include "db/Connection.h"

using namespace tributary;

namespace {

struct Db : ::testing::Test {
  test::TestDatabase db;
  db::Connection c{db.conninfo()};
  void SetUp() override { c.execScript("CREATE TABLE t (id int PRIMARY KEY, name text)"); }
  int64_t count() { return c.exec("SELECT count(*) FROM t").int64(0, 0); }
};

}  // namespace

TEST_F(Db, CopyInSendsWhatIsPutAPieceAtATimeAndEndCountsTheRows) {
  db::CopyIn copy(c, "COPY t (id, name) FROM STDIN");
  EXPECT_TRUE(copy.open());
  // Far more than one send buffer, in pieces that split rows and fields.
  for (int i = 0; i < 50'000; ++i) {
    const std::string row = std::to_string(i) + "\tname " + std::to_string(i) + "\n";
    copy.put(row.substr(0, 3));
    copy.put(row.substr(3));
  }
  EXPECT_EQ(copy.end(), 50'000);
  EXPECT_FALSE(copy.open());
  EXPECT_EQ(count(), 50'000);
  EXPECT_EQ(c.exec("SELECT name FROM t WHERE id = 49999").text(0, 0), "name 49999");
}

TEST_F(Db, AnAbortedOrAbandonedCopyKeepsNothingAndTheConnectionStaysUsable) {
  {
    db::CopyIn copy(c, "COPY t (id, name) FROM STDIN");
    copy.put("1\tone\n");
    copy.abort("changed my mind");
    EXPECT_FALSE(copy.open());
  }
  {
    db::CopyIn copy(c, "COPY t (id, name) FROM STDIN");
    copy.put("2\ttwo\n");
  }  // abandoned
  EXPECT_EQ(count(), 0);
  EXPECT_FALSE(c.inTransaction());
  c.exec("INSERT INTO t VALUES (3, 'three')");
  EXPECT_EQ(count(), 1);
}

TEST_F(Db, ARowTheServerRefusesFailsTheCopyWithTheServersWordsAndKeepsNothing) {
  db::CopyIn copy(c, "COPY t (id, name) FROM STDIN");
  copy.put("1\tone\nnot-a-number\ttwo\n");
  try {
    copy.end();
    FAIL() << "a bad row was accepted";
  } catch (const db::DbError& e) {
    EXPECT_EQ(e.sqlstate(), "22P02");
    EXPECT_NE(std::string(e.what()).find("invalid input syntax for type integer: \"not-a-number\""), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(count(), 0);
}

TEST_F(Db, ACopyThatCannotStartSaysWhy) {
  try {
    db::CopyIn copy(c, "COPY missing (id) FROM STDIN");
    FAIL();
  } catch (const db::DbError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
  }
  try {
    db::CopyIn copy(c, "SELECT 1");
    FAIL();
  } catch (const db::DbError& e) {
    EXPECT_EQ(std::string(e.what()), "not a COPY ... FROM STDIN: SELECT 1");
  }
  c.exec("INSERT INTO t VALUES (1, 'one')");
  EXPECT_EQ(count(), 1);
}

TEST_F(Db, CopyOutHandsOverEveryRow) {
  c.execScript("INSERT INTO t SELECT i, 'n' || i FROM generate_series(1, 20000) i");
  std::string out;
  EXPECT_EQ(c.copyOut("COPY (SELECT id, name FROM t ORDER BY id) TO STDOUT",
                      [&](std::string_view data) { out.append(data); }),
            20'000);
  EXPECT_EQ(out.substr(0, 11), "1\tn1\n2\tn2\n3");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 20'000);
}

TEST_F(Db, ATransactionRollsBackUnlessCommittedAndMovesWithItsOwnership) {
  {
    db::Transaction tx(c);
    c.exec("INSERT INTO t VALUES (1, 'one')");
  }
  EXPECT_EQ(count(), 0);
  {
    std::optional<db::Transaction> held;
    db::Transaction tx(c);
    c.exec("INSERT INTO t VALUES (2, 'two')");
    held.emplace(std::move(tx));
    EXPECT_FALSE(tx.active());
    EXPECT_TRUE(held->active());
    held->commit();
    EXPECT_FALSE(held->active());
  }
  EXPECT_EQ(count(), 1);
  db::Transaction tx(c);
  c.exec("INSERT INTO t VALUES (3, 'three')");
  tx.rollback();
  EXPECT_FALSE(c.inTransaction());
  EXPECT_EQ(count(), 1);
  EXPECT_THROW(tx.commit(), db::DbError) << "a transaction ends once";
}

TEST_F(Db, ASavepointUndoesOnlyWhatFollowedItEvenAfterAnError) {
  db::Transaction tx(c);
  c.exec("INSERT INTO t VALUES (1, 'one')");
  {
    db::Savepoint sp(c, "trib_a");
    c.exec("INSERT INTO t VALUES (2, 'two')");
    EXPECT_THROW(c.exec("INSERT INTO t VALUES (1, 'again')"), db::DbError);
    sp.rollback();
  }
  {
    db::Savepoint sp(c, "trib_b");
    c.exec("INSERT INTO t VALUES (3, 'three')");
  }  // neither released nor rolled back: rolled back
  {
    db::Savepoint sp(c, "trib_c");
    c.exec("INSERT INTO t VALUES (4, 'four')");
    sp.release();
  }
  tx.commit();
  auto r = c.exec("SELECT string_agg(id::text, ',' ORDER BY id) FROM t");
  EXPECT_EQ(r.text(0, 0), "1,4");
}
