#include "engine/Outbox.h"

#include <gtest/gtest.h>

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
  for (int i = 0; i < 5; ++i) {
    outbox::emit(*c, EventScope::connection(ws, conn), i % 2 ? "sync.progress" : "sync.completed", Json{{"i", i}});
  }
  outbox::emit(*c, EventScope::workspace(other), "sync.completed", Json{{"i", 99}});
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
  EXPECT_THROW(outbox::emit(*c, EventScope::host(), "", Json::object()), std::invalid_argument);
  EXPECT_THROW(outbox::emit(*c, EventScope::host(), "x.y", Json::array()), std::invalid_argument);
  EXPECT_THROW(outbox::read(*c, 0, 0), std::invalid_argument);
  EXPECT_TRUE(outbox::read(*c, 0, 10).events.empty());
}
