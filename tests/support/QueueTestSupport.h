#pragma once

#include <memory>

#include "TestSupport.h"
#include "app/JobKinds.h"
#include "config/Config.h"
#include "db/Connection.h"
#include "db/Migrator.h"
#include "db/Pool.h"
#include "queue/JobQueue.h"

namespace tributary::test {

// A migrated test database with a pool and a queue whose timings suit tests.
struct QueueDatabase {
  TestDatabase db;
  std::shared_ptr<db::Pool> pool;
  std::shared_ptr<queue::JobQueue> queue;
  config::QueueConfig cfg;

  explicit QueueDatabase(config::QueueConfig c = fastQueueConfig(), const std::string& suffix = "")
      : db(suffix), cfg(c) {
    db::Connection conn(db.conninfo());
    db::Migrator(conn, migrationsDir()).apply();
    config::PoolConfig p;
    p.max = 40;
    pool = std::make_shared<db::Pool>(db.conninfo(), p);
    queue = app::makeJobQueue(pool, cfg);
  }

  static config::QueueConfig fastQueueConfig() {
    using std::chrono::milliseconds;
    config::QueueConfig c;
    c.pollInterval = milliseconds(200);
    c.lease = milliseconds(2000);
    c.heartbeatInterval = milliseconds(300);
    c.rescueInterval = milliseconds(200);
    c.timeoutGrace = milliseconds(1000);
    c.shutdownGrace = milliseconds(2000);
    c.defaultRetry.base = milliseconds(20);
    c.defaultRetry.cap = milliseconds(100);
    return c;
  }

  std::string workspace(const std::string& slug = "acme") {
    auto c = pool->acquire();
    return c->exec("INSERT INTO workspaces (slug, name) VALUES ($1, $1) RETURNING id", slug).text(0, 0);
  }
  std::string connection(const std::string& workspaceId, const std::string& name = "example") {
    auto c = pool->acquire();
    return c
        ->exec(
            "INSERT INTO connections (workspace_id, name, connector) VALUES ($1::uuid, $2, 'tributary.example')"
            " RETURNING id",
            workspaceId, name)
        .text(0, 0);
  }
  queue::Job job(const std::string& id) { return *queue->get(id); }
};

}  // namespace tributary::test
