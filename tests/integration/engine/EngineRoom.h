#pragma once

// A workspace, a connection and a claimed sync job of it on a test database: what the engine's
// parts (StreamStateStore, RunRecorder, the outbox) write about, with a real claim to fence on.

#include <gtest/gtest.h>

#include "QueueTestSupport.h"
#include "engine/RunFence.h"
#include "engine/StreamPlanner.h"
#include "queue/JobClaim.h"

namespace tributary::test {

struct EngineRoom : ::testing::Test {
  QueueDatabase q;
  std::string ws, conn;
  queue::Job job;

  void SetUp() override {
    ws = q.workspace();
    conn = q.connection(ws);
    job = claimSync();
  }

  // Enqueues and claims a sync job of the connection as worker w1.
  queue::Job claimSync(const std::string& kind = "sync") {
    queue::EnqueueRequest r;
    r.kind = kind;
    r.workspaceId = ws;
    r.connectionId = conn;
    q.queue->enqueue(r);
    auto jobs = q.queue->claim("w1", 1);
    EXPECT_EQ(jobs.size(), 1u);
    return jobs.at(0);
  }
  std::unique_ptr<engine::RunFence> fence() { return std::make_unique<engine::RunFence>(queue::JobClaim::of(job)); }
  // The job's claim, broken: its worker died and the job was rescued.
  void loseTheJob() { ASSERT_EQ(q.queue->rescueWorker("w1", "worker lost: test"), 1); }

  db::Result sql(const std::string& statement) {
    auto c = q.pool->acquire();
    return c->exec(statement);
  }
  template <typename... Args>
  db::Result sql(const std::string& statement, const Args&... args) {
    auto c = q.pool->acquire();
    return c->exec(statement, args...);
  }
};

}  // namespace tributary::test
