#include "engine/ConnectionStreamsStore.h"

#include <gtest/gtest.h>

#include "EngineRoom.h"
#include "engine/StreamDiscovery.h"

using namespace tributary;
using namespace tributary::engine;

namespace {

const std::vector<plugins::StreamDescriptor> kTwo = {
    {"orders", "id", "updated_at", "", "the orders table", TRIBUTARY_STREAM_MODIFICATION_ORDER},
    {"people", "id", "", "contacts", "", TRIBUTARY_STREAM_FULL_REFRESH | TRIBUTARY_STREAM_MODIFICATION_ORDER},
};

struct ConnectionStreamsStoreTest : test::EngineRoom {
  db::PooledConnection c;
  void SetUp() override {
    EngineRoom::SetUp();
    c = q.pool->acquire();
  }
};

}  // namespace

TEST_F(ConnectionStreamsStoreTest, AConnectionNeverDiscoveredHasNothingStored) {
  EXPECT_FALSE(ConnectionStreamsStore(conn).load(*c));
}

TEST_F(ConnectionStreamsStoreTest, ADiscoveryIsStoredWholeAndReadBackAsItWasDeclared) {
  const ConnectionStreamsStore store(conn);
  store.store(*c, kTwo, true, "tributary.pg", "1.2.0", job.id);
  auto s = store.load(*c);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->streams);
  ASSERT_EQ(s->streams->size(), 2u);
  const auto& people = (*s->streams)[1];
  EXPECT_EQ(people.name, "people");
  EXPECT_EQ(people.primaryKey, "id");
  EXPECT_EQ(people.cursorField, "");
  EXPECT_EQ(people.entity, "contacts");
  EXPECT_EQ(people.flags, TRIBUTARY_STREAM_FULL_REFRESH | TRIBUTARY_STREAM_MODIFICATION_ORDER);
  EXPECT_EQ((*s->streams)[0].description, "the orders table");
  EXPECT_TRUE(s->discovered);
  EXPECT_EQ(s->plugin, "tributary.pg");
  EXPECT_EQ(s->pluginVersion, "1.2.0");
  EXPECT_EQ(s->jobId, job.id);
  EXPECT_EQ(s->discoveredAt.size(), 24u) << s->discoveredAt;  // 2026-01-02T03:04:05.678Z
  EXPECT_FALSE(s->lastError);
  // Readers that are not C++ read the same JSON.
  EXPECT_EQ(sql("SELECT streams -> 1 FROM connection_streams").text(0, 0),
            R"({"name": "people", "flags": ["modification_order", "full_refresh"], "entity": "contacts", )"
            R"("description": "", "primary_key": "id", "cursor_field": ""})");
}

TEST_F(ConnectionStreamsStoreTest, AFailedDiscoveryKeepsTheStoredListAndRecordsWhyUntilTheNextSuccess) {
  const ConnectionStreamsStore store(conn);
  store.storeFailure(*c, "discover failed: the source is down", job.id);
  auto s = store.load(*c);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->streams) << "no discovery has succeeded";
  EXPECT_EQ(s->lastError, "discover failed: the source is down");

  store.store(*c, kTwo, true, "tributary.pg", "1.2.0", job.id);
  store.storeFailure(*c, "declare_stream: discovered stream 'x' is declared twice", job.id);
  s = store.load(*c);
  ASSERT_TRUE(s->streams);
  EXPECT_EQ(s->streams->size(), 2u) << "the list before the failure stays";
  EXPECT_EQ(s->lastError, "declare_stream: discovered stream 'x' is declared twice");
  EXPECT_EQ(s->lastErrorJobId, job.id);
  EXPECT_TRUE(s->lastErrorAt);

  store.store(*c, {kTwo[0]}, true, "tributary.pg", "1.2.1", job.id);
  s = store.load(*c);
  EXPECT_EQ(s->streams->size(), 1u) << "a discovery replaces the list whole";
  EXPECT_FALSE(s->lastError);
  EXPECT_EQ(s->pluginVersion, "1.2.1");
}

TEST_F(ConnectionStreamsStoreTest, AnEmptyDiscoveryIsStoredAsNoStreams) {
  const ConnectionStreamsStore store(conn);
  store.store(*c, {}, true, "tributary.pg", "1.2.0", job.id);
  auto s = store.load(*c);
  ASSERT_TRUE(s && s->streams);
  EXPECT_TRUE(s->streams->empty());
  EXPECT_EQ(s->toJson()["streams"], Json::array());
}

TEST_F(ConnectionStreamsStoreTest, StoringChecksTheJobsClaimLastAndALostJobStoresNothing) {
  Discovery d;
  d.streams = kTwo;
  loseTheJob();
  auto f = fence();
  EXPECT_THROW(StreamDiscovery::store(*q.pool, *f, conn, job.id, "tributary.pg", "1.2.0", d), queue::ClaimLost);
  EXPECT_FALSE(ConnectionStreamsStore(conn).load(*c)) << "a run that lost its job wrote the list";
}
