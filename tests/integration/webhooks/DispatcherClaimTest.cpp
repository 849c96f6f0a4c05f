// The dispatcher's claim (webhooks::Dispatcher, migrations/018) against a real PostgreSQL, at
// the interleavings an end-to-end run reaches only by chance: a sender whose statement began
// before another sender claimed, attempted and recorded the same delivery.
#include <gtest/gtest.h>

#include <future>

#include "LoopbackServer.h"
#include "QueueTestSupport.h"
#include "secrets/KeyRing.h"
#include "webhooks/Dispatcher.h"
#include "webhooks/EndpointStore.h"
#include "webhooks/Signing.h"

using namespace tributary;

namespace dispatcher_claim_test {

struct Room {
  test::QueueDatabase qdb;
  test::TempDir dir;
  std::shared_ptr<secrets::KeyRing> ring = secrets::KeyRing::loadOrCreate(dir / "secret.key");
  http::testing::LoopbackServer receiver;
  db::Connection conn{qdb.db.conninfo()};
  std::string endpoint;

  Room() {
    webhooks::NewEndpoint e;
    e.url = receiver.url("/hook");
    e.secret = webhooks::generateSecret();
    endpoint = webhooks::EndpointStore(*ring).create(conn, qdb.workspace(), e).id;
  }
  config::WebhooksConfig cfg() const {
    config::WebhooksConfig c;
    c.allowPrivate = {"127.0.0.0/8"};
    c.timeout = std::chrono::milliseconds(2000);
    return c;
  }
  std::string delivery() {
    return conn
        .exec(
            "INSERT INTO webhook_deliveries (endpoint_id, message_id, event_type, body)"
            " VALUES ($1::uuid, 'msg_test', 'test', '{}') RETURNING id",
            endpoint)
        .text(0, 0);
  }
  // Waits until a statement matching `like` waits for a row lock.
  bool waitingForALock(const std::string& like) {
    for (int i = 0; i < 1000; ++i) {
      if (!conn.exec("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1", like).empty()) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
};

// A sender's claim chose a due delivery, then waited for its row while another sender attempted
// it (and failed) and recorded its retry for later: the waiting claim sees the retry's time on
// the row's newest version and leaves it, where it used to send it again at once.
TEST(DispatcherClaim, AClaimThatWaitedForTheRowLeavesADeliveryWhoseRetryAnotherSenderPutOff) {
  Room room;
  const std::string id = room.delivery();
  webhooks::Dispatcher dispatcher(room.qdb.db.conninfo(), room.qdb.pool, room.ring, room.cfg(), "host-b");

  // The other sender, at its record: the row is locked, the attempt is being written down.
  db::Connection other(room.qdb.db.conninfo());
  db::Transaction tx(other);
  other.exec("SELECT 1 FROM webhook_deliveries WHERE id = $1::uuid FOR UPDATE", id);

  auto sent = std::async(std::launch::async, [&] { return dispatcher.sendOne(); });
  ASSERT_TRUE(room.waitingForALock("%UPDATE webhook_deliveries w SET claimed_until%"))
      << "the claim never reached the row";
  other.exec(
      "UPDATE webhook_deliveries SET attempts = 1, next_attempt_at = now() + interval '1 hour',"
      " claimed_until = NULL, claimed_by = NULL, last_status = 500 WHERE id = $1::uuid",
      id);
  tx.commit();

  EXPECT_FALSE(sent.get()) << "a delivery whose retry is an hour away was claimed";
  EXPECT_EQ(room.receiver.count(), 0u);
  auto row = room.conn.exec("SELECT attempts, claimed_by IS NULL FROM webhook_deliveries WHERE id = $1::uuid", id);
  EXPECT_EQ(row.int64(0, 0), 1);
  EXPECT_TRUE(row.boolean(0, 1));
}

// The same wait ending in a success: the delivery is left alone, not sent twice.
TEST(DispatcherClaim, AClaimThatWaitedForTheRowLeavesADeliveryAnotherSenderDelivered) {
  Room room;
  const std::string id = room.delivery();
  webhooks::Dispatcher dispatcher(room.qdb.db.conninfo(), room.qdb.pool, room.ring, room.cfg(), "host-b");
  db::Connection other(room.qdb.db.conninfo());
  db::Transaction tx(other);
  other.exec("SELECT 1 FROM webhook_deliveries WHERE id = $1::uuid FOR UPDATE", id);
  auto sent = std::async(std::launch::async, [&] { return dispatcher.sendOne(); });
  ASSERT_TRUE(room.waitingForALock("%UPDATE webhook_deliveries w SET claimed_until%"));
  other.exec(
      "UPDATE webhook_deliveries SET status = 'succeeded', attempts = 1, completed_at = now() WHERE id = $1::uuid", id);
  tx.commit();
  EXPECT_FALSE(sent.get());
  EXPECT_EQ(room.receiver.count(), 0u);
}

// And a due delivery nobody holds is claimed and sent (the claim is not simply refusing).
TEST(DispatcherClaim, ADueDeliveryIsClaimedAndSent) {
  Room room;
  const std::string id = room.delivery();
  webhooks::Dispatcher dispatcher(room.qdb.db.conninfo(), room.qdb.pool, room.ring, room.cfg(), "host-b");
  EXPECT_TRUE(dispatcher.sendOne());
  EXPECT_EQ(room.receiver.count(), 1u);
  EXPECT_EQ(room.conn.exec("SELECT status FROM webhook_deliveries WHERE id = $1::uuid", id).text(0, 0), "succeeded");
  EXPECT_FALSE(dispatcher.sendOne()) << "nothing else is due";
}

}  // namespace dispatcher_claim_test
