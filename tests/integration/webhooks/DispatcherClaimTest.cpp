// The dispatcher's claim (webhooks::Dispatcher, migrations/018) against a real PostgreSQL, at
// interleavings of two senders an end-to-end run reaches only by chance: one holds a delivery's
// row (it is recording an attempt) while the other claims.
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
  std::string workspace;
  std::string endpoint;

  Room() : workspace(qdb.workspace()) {
    webhooks::NewEndpoint e;
    e.url = receiver.url("/hook");
    e.secret = webhooks::generateSecret();
    endpoint = webhooks::EndpointStore(*ring).create(conn, workspace, e).id;
  }
  config::WebhooksConfig cfg() const {
    config::WebhooksConfig c;
    c.allowPrivate = {"127.0.0.0/8"};
    c.timeout = std::chrono::milliseconds(2000);
    return c;
  }
  std::string delivery(const std::string& to = "") {
    return conn
        .exec(
            "INSERT INTO webhook_deliveries (endpoint_id, message_id, event_type, body)"
            " VALUES ($1::uuid, 'msg_test', 'test', '{}') RETURNING id",
            to.empty() ? endpoint : to)
        .text(0, 0);
  }
};

// Another sender holds the delivery's row (it is recording an attempt): a claim skips it at
// once, without waiting for the lock, and takes another endpoint's due delivery instead. (All
// senders want the longest-due delivery; waiting for it, all but one would find nothing.)
TEST(DispatcherClaim, AClaimSkipsADeliveryAnotherSenderHoldsAndTakesAnotherEndpoints) {
  Room room;
  const std::string held = room.delivery();
  webhooks::NewEndpoint second;
  second.url = room.receiver.url("/other");
  second.secret = webhooks::generateSecret();
  const std::string other = webhooks::EndpointStore(*room.ring).create(room.conn, room.workspace, second).id;
  const std::string free = room.delivery(other);
  room.conn.exec("UPDATE webhook_deliveries SET next_attempt_at = now() - interval '1 minute' WHERE id = $1::uuid",
                 held);  // the longest-due one
  webhooks::Dispatcher dispatcher(room.qdb.db.conninfo(), room.qdb.pool, room.ring, room.cfg(), "host-b");

  db::Connection holder(room.qdb.db.conninfo());
  db::Transaction tx(holder);
  holder.exec("SELECT 1 FROM webhook_deliveries WHERE id = $1::uuid FOR UPDATE", held);
  auto sent = std::async(std::launch::async, [&] { return dispatcher.sendOne(); });
  if (sent.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    tx.rollback();  // lets the claim go on, so that the test ends
    FAIL() << "the claim waited for the lock";
  }
  EXPECT_TRUE(sent.get());
  ASSERT_EQ(room.receiver.count(), 1u);
  EXPECT_EQ(room.receiver.arrivals()[0].uri, "/other");
  auto status = [&](const std::string& id) {
    return room.conn.exec("SELECT status FROM webhook_deliveries WHERE id = $1::uuid", id).text(0, 0);
  };
  EXPECT_EQ(status(free), "succeeded");
  EXPECT_EQ(status(held), "pending");

  // The holder records a retry an hour away: nothing is claimable now.
  holder.exec(
      "UPDATE webhook_deliveries SET attempts = 1, next_attempt_at = now() + interval '1 hour', last_status = 500"
      " WHERE id = $1::uuid",
      held);
  tx.commit();
  EXPECT_FALSE(dispatcher.sendOne()) << "a delivery whose retry is an hour away was claimed";
  EXPECT_EQ(room.receiver.count(), 1u);
}

// An ordered endpoint's second delivery is not claimable while its first is held by another
// sender: skipping a locked head never takes the delivery behind it.
TEST(DispatcherClaim, SkippingAHeldDeliveryNeverTakesTheOneBehindIt) {
  Room room;
  const std::string first = room.delivery();
  room.delivery();
  webhooks::Dispatcher dispatcher(room.qdb.db.conninfo(), room.qdb.pool, room.ring, room.cfg(), "host-b");
  db::Connection holder(room.qdb.db.conninfo());
  db::Transaction tx(holder);
  holder.exec("SELECT 1 FROM webhook_deliveries WHERE id = $1::uuid FOR UPDATE", first);
  EXPECT_FALSE(dispatcher.sendOne());
  EXPECT_EQ(room.receiver.count(), 0u);
  tx.rollback();
  EXPECT_TRUE(dispatcher.sendOne());
  EXPECT_TRUE(dispatcher.sendOne());
  ASSERT_EQ(room.receiver.count(), 2u);
  auto order = room.conn.exec(
      "SELECT id FROM webhook_deliveries WHERE endpoint_id = $1::uuid ORDER BY completed_at, seq", room.endpoint);
  EXPECT_EQ(order.text(0, 0), first);
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
