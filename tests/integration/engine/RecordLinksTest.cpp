// Links through the stream writer (ABI 1.1, emit_link): record_links and the columns that link
// types own, on the test database. The engine end to end, with plugins in C and C++, is
// tests/e2e/engine/LinksTest.cpp.
#include <gtest/gtest.h>

#include "QueueTestSupport.h"
#include "engine/StreamWriter.h"

using namespace tributary;
using namespace tributary::engine;

namespace {

struct NoHook : BatchCommitHook {
  void beforeCommit(db::Connection&, const CommitInfo&) override {}
};

const std::vector<plugins::LinkTypeDescriptor> kLinkTypes = {
    {"deal_account", "deals", "accounts", "account_id", ""},
    {"contact_account", "contacts", "accounts", "account_id", ""},
    {"deal_contact", "deals", "contacts", "", ""},
};

const plugins::LinkTypeDescriptor& type(std::string_view name) {
  for (const auto& t : kLinkTypes) {
    if (t.name == name) return t;
  }
  throw std::invalid_argument("no link type " + std::string(name));
}

struct Links : ::testing::Test {
  test::QueueDatabase q;
  db::PooledConnection a = q.pool->acquire();
  db::PooledConnection b = q.pool->acquire();
  std::string ws, conn;
  NoHook hook;

  void SetUp() override {
    ws = q.workspace();
    conn = q.connection(ws, "crm");
  }

  // A writer of one stream, committing at every checkpoint, double-buffered unless told.
  std::unique_ptr<StreamWriter> writer(const std::string& stream, const std::string& entity, int connections = 2,
                                       StreamWriter::Options o = {}) {
    o.initialBatch = o.minBatch = o.maxBatch = 1;
    o.linkTypes = kLinkTypes;
    std::vector<db::Connection*> cs = {&*a};
    if (connections == 2) cs.push_back(&*b);
    return std::make_unique<StreamWriter>(cs, StreamTarget{ws, "crm", conn, stream, findEntity(entity)}, o, hook);
  }

  static plugins::RecordView rec(std::string_view stream, std::string_view id, std::string_view fields) {
    return plugins::RecordView{stream, id, std::nullopt, false, 0, fields, "{}"};
  }
  static void link(StreamWriter& w, std::string_view t, std::string_view from, std::string_view to,
                   bool removed = false) {
    w.addLink(type(t), plugins::LinkView{"s", t, from, to, removed});
  }

  // "type:from>to" for each link, "(removed)" after the removed ones, in key order.
  std::vector<std::string> links() {
    auto r = sql(
        "SELECT type || ':' || from_id || '>' || to_id || CASE WHEN deleted_at IS NULL THEN '' ELSE ' (removed)' END"
        " FROM record_links ORDER BY type, from_id, to_id");
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
    return out;
  }
  // The owned column of one row: "(null)" for NULL, "(no row)" when there is none.
  std::string accountOf(const std::string& table, const std::string& id) {
    auto r = sql("SELECT coalesce(account_id, '(null)') FROM " + table + " WHERE source_id = $1", id);
    return r.empty() ? "(no row)" : r.text(0, 0);
  }
  template <typename... Args>
  db::Result sql(const std::string& statement, const Args&... args) {
    auto c = q.pool->acquire();
    return c->exec(statement, args...);
  }
};

}  // namespace

TEST_F(Links, LinksCommitWithTheirBatchAndAnAbortedBatchLeavesNeitherItsRecordsNorItsLinks) {
  auto w = writer("deals", "deals");
  w->add(rec("deals", "d1", R"({"name":"one"})"));
  link(*w, "deal_account", "d1", "a1");
  link(*w, "deal_contact", "d1", "c1");
  ASSERT_TRUE(w->checkpoint(R"({"page":1})"));
  w->add(rec("deals", "d2", R"({"name":"two"})"));
  link(*w, "deal_account", "d2", "a2");
  link(*w, "deal_contact", "d1", "c2");
  w->abort();  // the run failed before its second checkpoint
  EXPECT_EQ(links(), (std::vector<std::string>{"deal_account:d1>a1", "deal_contact:d1>c1"}));
  EXPECT_EQ(accountOf("deals", "d1"), "a1");
  EXPECT_EQ(accountOf("deals", "d2"), "(no row)");
  auto r =
      sql("SELECT workspace_id::text, connection_id::text, from_entity, to_entity FROM record_links"
          " WHERE type = 'deal_account'");
  EXPECT_EQ(r.text(0, 0), ws);
  EXPECT_EQ(r.text(0, 1), conn);
  EXPECT_EQ(r.text(0, 2), "deals");
  EXPECT_EQ(r.text(0, 3), "accounts");
}

TEST_F(Links, ARemovedLinkKeepsItsRowWithDeletedAtAndALinkEmittedAgainBringsItBack) {
  auto w = writer("deals", "deals", 1);
  link(*w, "deal_contact", "d1", "c1");
  link(*w, "deal_contact", "d1", "c2");
  w->checkpoint("{}");
  link(*w, "deal_contact", "d1", "c1", true);
  w->checkpoint("{}");
  EXPECT_EQ(links(), (std::vector<std::string>{"deal_contact:d1>c1 (removed)", "deal_contact:d1>c2"}));
  const std::string removedAt = sql("SELECT deleted_at::text FROM record_links WHERE to_id = 'c1'").text(0, 0);
  link(*w, "deal_contact", "d1", "c1", true);  // removed again: it stays removed since then
  w->checkpoint("{}");
  EXPECT_EQ(sql("SELECT deleted_at::text FROM record_links WHERE to_id = 'c1'").text(0, 0), removedAt);
  link(*w, "deal_contact", "d1", "c1");
  w->finish();
  EXPECT_EQ(links(), (std::vector<std::string>{"deal_contact:d1>c1", "deal_contact:d1>c2"}));
  EXPECT_EQ(w->totals().links, 5);
  EXPECT_EQ(w->totals().linksDeleted, 2);
}

TEST_F(Links, TheLastWordOnALinkInOneBatchWinsAndAnUnchangedLinkIsNotRewritten) {
  auto w = writer("deals", "deals", 1);
  link(*w, "deal_contact", "d1", "c1");
  link(*w, "deal_contact", "d1", "c1", true);
  link(*w, "deal_contact", "d1", "c2", true);
  link(*w, "deal_contact", "d1", "c2");
  w->checkpoint("{}");
  EXPECT_EQ(links(), (std::vector<std::string>{"deal_contact:d1>c1 (removed)", "deal_contact:d1>c2"}));
  const std::string before =
      sql("SELECT xmin::text || updated_at::text FROM record_links WHERE to_id = 'c2'").text(0, 0);
  link(*w, "deal_contact", "d1", "c2");
  w->finish();
  EXPECT_EQ(sql("SELECT xmin::text || updated_at::text FROM record_links WHERE to_id = 'c2'").text(0, 0), before)
      << "a link emitted again unchanged was rewritten";
}

TEST_F(Links, TheRowUpsertLeavesAnOwnedColumnAloneAndALinkWritesIt) {
  auto w = writer("deals", "deals", 1);
  w->add(rec("deals", "d1", R"({"name":"one","account_id":"from-the-record"})"));
  w->add(rec("deals", "d2", R"({"name":"two","owner_id":"u1"})"));
  w->checkpoint("{}");
  EXPECT_EQ(accountOf("deals", "d1"), "(null)") << "a value for an owned column was written";
  EXPECT_EQ(w->ownedValuesIgnored(), 1);
  link(*w, "deal_account", "d1", "a1");
  w->checkpoint("{}");
  EXPECT_EQ(accountOf("deals", "d1"), "a1");
  // A later upsert of the deal, with new content and another value for the column, keeps it.
  w->add(rec("deals", "d1", R"({"name":"one, renamed","account_id":"other"})"));
  w->finish();
  auto r = sql("SELECT name, coalesce(account_id, '(null)') FROM deals WHERE source_id = 'd1'");
  EXPECT_EQ(r.text(0, 0), "one, renamed");
  EXPECT_EQ(r.text(0, 1), "a1");
  EXPECT_EQ(sql("SELECT owner_id FROM deals WHERE source_id = 'd2'").text(0, 0), "u1") << "other columns are written";
  EXPECT_EQ(w->ownedValuesIgnored(), 2);
}

TEST_F(Links, AStreamOfAnotherEntityLeavesTheColumnsOfOtherEntitiesToTheirRecords) {
  // contact_account owns contacts.account_id only: a deals stream of a plugin with no deal_account
  // type writes deals.account_id from its records.
  StreamWriter::Options o;
  o.initialBatch = o.minBatch = o.maxBatch = 1;
  o.linkTypes = {kLinkTypes[1]};
  std::vector<db::Connection*> cs = {&*a};
  StreamWriter w(cs, StreamTarget{ws, "crm", conn, "deals", findEntity("deals")}, o, hook);
  w.add(rec("deals", "d1", R"({"account_id":"from-the-record"})"));
  w.finish();
  EXPECT_EQ(accountOf("deals", "d1"), "from-the-record");
  EXPECT_EQ(w.ownedValuesIgnored(), 0);
}

TEST_F(Links, ARemovedLinkClearsTheColumnOnlyIfItStillHoldsThatTarget) {
  auto w = writer("deals", "deals", 1);
  w->add(rec("deals", "d1", R"({"name":"one"})"));
  link(*w, "deal_account", "d1", "a1");
  w->checkpoint("{}");
  link(*w, "deal_account", "d1", "a9", true);  // never the column's
  w->checkpoint("{}");
  EXPECT_EQ(accountOf("deals", "d1"), "a1");
  link(*w, "deal_account", "d1", "a1", true);
  w->finish();
  EXPECT_EQ(accountOf("deals", "d1"), "(null)");
}

TEST_F(Links, RemovingTheLinkAColumnHoldsHandsItToTheRowsNewestOtherLiveLink) {
  auto w = writer("deals", "deals", 1);
  w->add(rec("deals", "d1", R"({"name":"one"})"));
  link(*w, "deal_account", "d1", "a1");
  w->checkpoint("{}");
  link(*w, "deal_account", "d1", "a2");
  w->checkpoint("{}");
  EXPECT_EQ(accountOf("deals", "d1"), "a2") << "the last live link committed holds the column";
  link(*w, "deal_account", "d1", "a2", true);
  w->checkpoint("{}");
  EXPECT_EQ(accountOf("deals", "d1"), "a1") << "the deal still has a live link to a1";
  // In one batch: moved from a1 to a3 (emitted live, then the old one removed).
  link(*w, "deal_account", "d1", "a3");
  link(*w, "deal_account", "d1", "a1", true);
  w->finish();
  EXPECT_EQ(accountOf("deals", "d1"), "a3");
}

TEST_F(Links, ALinkBeforeItsRowFillsTheRowWhenItArrives) {
  {
    // The association pass runs first: no deal, no contact yet.
    auto pass = writer("deal_links", "");
    link(*pass, "deal_account", "d1", "a1");
    link(*pass, "contact_account", "p1", "a7");
    link(*pass, "deal_account", "d2", "a2");
    link(*pass, "deal_account", "d2", "a2", true);
    pass->finish();
  }
  EXPECT_EQ(accountOf("deals", "d1"), "(no row)");
  EXPECT_EQ(links().size(), 3u);
  auto deals = writer("deals", "deals");
  deals->add(rec("deals", "d1", R"({"name":"one","account_id":"from-the-record"})"));
  deals->add(rec("deals", "d2", R"({"name":"two"})"));
  deals->add(rec("deals", "d3", R"({"name":"three"})"));
  deals->finish();
  EXPECT_EQ(accountOf("deals", "d1"), "a1");
  EXPECT_EQ(accountOf("deals", "d2"), "(null)") << "a removed link filled a row";
  EXPECT_EQ(accountOf("deals", "d3"), "(null)");
  // The first sync into an empty target inserts with no conflict handling: the same rule.
  StreamWriter::Options o;
  o.targetEmpty = true;
  auto contacts = writer("contacts", "contacts", 1, o);
  contacts->add(rec("contacts", "p1", R"({"email":"p@x.test"})"));
  contacts->finish();
  EXPECT_EQ(accountOf("contacts", "p1"), "a7");
}

TEST_F(Links, ALinkOfAnotherEntitysTypeWritesThatEntitysColumn) {
  auto contacts = writer("contacts", "contacts", 1);
  contacts->add(rec("contacts", "p1", R"({"email":"p@x.test"})"));
  contacts->finish();
  auto deals = writer("deals", "deals", 1);
  link(*deals, "contact_account", "p1", "a5");  // the deals stream carries the contacts' links
  deals->finish();
  EXPECT_EQ(accountOf("contacts", "p1"), "a5");
}

TEST_F(Links, ADryRunCountsLinksAndWritesNothing) {
  StreamWriter::Options o;
  o.dryRun = true;
  db::Transaction tx(*a);
  auto w = writer("deals", "deals", 1, o);
  w->add(rec("deals", "d1", R"({"name":"one"})"));
  link(*w, "deal_account", "d1", "a1");
  link(*w, "deal_contact", "d1", "c1", true);
  w->checkpoint("{}");
  link(*w, "deal_contact", "d1", "c2");
  w->finish();
  tx.rollback();
  EXPECT_EQ(w->totals().links, 3);
  EXPECT_EQ(w->totals().linksDeleted, 1);
  EXPECT_TRUE(links().empty());
  EXPECT_EQ(accountOf("deals", "d1"), "(no row)");
}

TEST_F(Links, LinksBeyondTheBufferBetweenTwoCheckpointsAreStagedOnTheWayAndLandOnce) {
  // Long ids fill the 4 MiB link buffer in a few thousand links; records go on around them.
  auto w = writer("deals", "deals", 1);
  const std::string pad(1000, 'x');
  for (int i = 0; i < 3000; ++i) {
    const std::string id = "d" + std::to_string(i);
    if (i % 100 == 0) w->add(rec("deals", id, R"({"name":"deal"})"));
    link(*w, "deal_contact", id, pad + std::to_string(i));
    link(*w, "deal_contact", id, pad + std::to_string(i));  // twice: stored once
  }
  w->finish();
  auto stored = sql("SELECT count(*), count(DISTINCT (from_id, to_id)) FROM record_links");
  EXPECT_EQ(stored.int64(0, 0), 3000);
  EXPECT_EQ(stored.int64(0, 1), 3000);
  EXPECT_EQ(sql("SELECT count(*) FROM deals").int64(0, 0), 30);
  EXPECT_EQ(w->totals().links, 6000);
  EXPECT_EQ(w->totals().batches, 1);
}
