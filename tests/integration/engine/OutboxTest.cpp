#include "engine/Outbox.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "EngineRoom.h"

using namespace tributary;
using namespace tributary::engine;

using Outbox = test::EngineRoom;

TEST_F(Outbox, EventsOfEveryScopeAreReadBackInOrderWithTheirScope) {
  auto c = q.pool->acquire();
  {
    db::Transaction tx(*c);
    outbox::emit(*c, EventScope::host(), "queue.backlog", Json{{"pending", 12}});
    outbox::emit(*c, EventScope::workspace(ws), "webhook.endpoint_disabled", Json{{"endpoint", "e1"}});
    EventScope ofJob = EventScope::connection(ws, conn);
    ofJob.jobId = job.id;
    outbox::emit(*c, ofJob, "sync.started", Json{{"n", 1}});
    tx.commit();
  }
  auto page = outbox::read(*c, 0, 10);
  ASSERT_EQ(page.events.size(), 3u);
  EXPECT_EQ(page.events[0].type, "queue.backlog");
  EXPECT_FALSE(page.events[0].scope.workspaceId);
  EXPECT_EQ(page.events[0].payload["pending"], 12);
  EXPECT_EQ(page.events[1].scope.workspaceId, ws);
  EXPECT_FALSE(page.events[1].scope.connectionId);
  EXPECT_EQ(page.events[2].scope.connectionId, conn);
  EXPECT_EQ(page.events[2].scope.jobId, job.id);
  EXPECT_LT(page.events[0].position, page.events[1].position);
  EXPECT_LT(page.events[1].position, page.events[2].position);
  EXPECT_EQ(page.next, page.events[2].position);
  EXPECT_GT(page.events[0].createdAtMs, 0);
}

TEST_F(Outbox, AReaderPagesOnFromWhereItStoppedAndFiltersByScopeAndType) {
  auto c = q.pool->acquire();
  auto other = q.workspace("other");
  {
    db::Transaction tx(*c);
    for (int i = 0; i < 5; ++i) {
      outbox::emit(*c, EventScope::connection(ws, conn), i % 2 ? "sync.progress" : "sync.completed", Json{{"i", i}});
    }
    outbox::emit(*c, EventScope::workspace(other), "sync.completed", Json{{"i", 99}});
    tx.commit();
  }
  auto first = outbox::read(*c, 0, 2);
  ASSERT_EQ(first.events.size(), 2u);
  auto second = outbox::read(*c, first.next, 10);
  ASSERT_EQ(second.events.size(), 4u);
  EXPECT_EQ(second.events[0].payload["i"], 2);
  auto end = outbox::read(*c, second.next, 10);
  EXPECT_TRUE(end.events.empty());
  EXPECT_EQ(end.next, second.next) << "nothing new: the position stays";

  OutboxFilter mine;
  mine.workspaceId = ws;
  mine.types = {"sync.completed"};
  auto completed = outbox::read(*c, 0, 10, mine);
  ASSERT_EQ(completed.events.size(), 3u);
  for (const auto& e : completed.events) EXPECT_EQ(e.scope.workspaceId, ws);
  OutboxFilter byConnection;
  byConnection.connectionId = conn;
  EXPECT_EQ(outbox::read(*c, 0, 10, byConnection).events.size(), 5u);
}

TEST_F(Outbox, AnEventExistsOnlyIfItsTransactionCommits) {
  auto c = q.pool->acquire();
  {
    db::Transaction tx(*c);
    outbox::emit(*c, EventScope::connection(ws, conn), "sync.started", Json::object());
  }  // rolled back
  EXPECT_TRUE(outbox::read(*c, 0, 10).events.empty());
}

TEST_F(Outbox, AnEventThatCannotBeDeliveredIsRefusedWithTheReason) {
  auto c = q.pool->acquire();
  EventScope noWorkspace;
  noWorkspace.connectionId = conn;
  try {
    outbox::emit(*c, noWorkspace, "sync.started", Json::object());
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "event sync.started names connection " + conn + " but no workspace");
  }
  EXPECT_THROW(outbox::emit(*c, EventScope::host(), "x.y", Json::object()), std::logic_error)
      << "outside a transaction, an event would not commit with the change it announces";
  db::Transaction tx(*c);
  EXPECT_THROW(outbox::emit(*c, EventScope::host(), "", Json::object()), std::invalid_argument);
  EXPECT_THROW(outbox::emit(*c, EventScope::host(), "x.y", Json::array()), std::invalid_argument);
  EXPECT_THROW(outbox::read(*c, 0, 0), std::invalid_argument);
  EXPECT_TRUE(outbox::read(*c, 0, 10).events.empty());
}

TEST_F(Outbox, AReaderSeesEveryEventExactlyOnceInOrderWhileWritersCommitOutOfOrder) {
  constexpr int kWriters = 4, kEach = 150;
  std::atomic<int> writing{kWriters};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto c = q.pool->acquire();
      std::mt19937 rng(static_cast<unsigned>(w));
      for (int i = 0; i < kEach; ++i) {
        db::Transaction tx(*c);
        outbox::emit(*c, EventScope::connection(ws, conn), "sync.progress", Json{{"w", w}, {"i", i}});
        // Transactions that began in one order commit in another.
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
        tx.commit();
      }
      --writing;
    });
  }
  std::vector<OutboxEvent> seen;
  {
    auto c = q.pool->acquire();
    int64_t next = 0;
    for (bool last = false; !last;) {
      last = writing == 0;  // one more full read after every writer finished
      for (auto page = outbox::read(*c, next, 50);; page = outbox::read(*c, next, 50)) {
        next = page.next;
        for (auto& e : page.events) seen.push_back(std::move(e));
        if (page.events.size() < 50) break;
      }
    }
  }
  for (auto& t : writers) t.join();
  std::set<std::pair<int, int>> unique;
  for (size_t k = 0; k < seen.size(); ++k) {
    unique.insert({seen[k].payload["w"].get<int>(), seen[k].payload["i"].get<int>()});
    if (k > 0) {
      ASSERT_LT(seen[k - 1].position, seen[k].position) << "out of order at " << k;
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kWriters * kEach)) << "events read twice or not at all";
  EXPECT_EQ(unique.size(), static_cast<size_t>(kWriters * kEach)) << "some committed event was never read";
}

TEST_F(Outbox, EventsPastTheRetentionArePrunedAndAReaderBehindThemLearnsItMissedSome) {
  auto c = q.pool->acquire();
  {
    db::Transaction tx(*c);
    for (int i = 0; i < 25; ++i) outbox::emit(*c, EventScope::workspace(ws), "sync.progress", Json{{"i", i}});
    tx.commit();
  }
  // The first twenty are a day old.
  c->exec("UPDATE events SET created_at = now() - interval '1 day' WHERE (payload->>'i')::int < 20");
  auto all = outbox::read(*c, 0, 100).events;
  ASSERT_EQ(all.size(), 25u);
  const int64_t caughtUp = all[4].position;  // a reader that got through the fifth event

  EXPECT_EQ(outbox::prune(*c, std::chrono::hours(1), 7), 20) << "in batches of 7, until none is left";
  EXPECT_EQ(outbox::prune(*c, std::chrono::hours(1)), 0);
  auto page = outbox::read(*c, caughtUp, 100);
  EXPECT_TRUE(page.truncated) << "events it never read were pruned";
  ASSERT_EQ(page.events.size(), 5u);
  EXPECT_EQ(page.events[0].payload["i"], 20);
  auto current = outbox::read(*c, page.next, 100);
  EXPECT_FALSE(current.truncated);
  EXPECT_TRUE(current.events.empty());
  auto fromStart = outbox::read(*c, all[19].position, 100);
  EXPECT_FALSE(fromStart.truncated) << "a reader that had read everything pruned missed nothing";
  EXPECT_EQ(fromStart.events.size(), 5u);
}
