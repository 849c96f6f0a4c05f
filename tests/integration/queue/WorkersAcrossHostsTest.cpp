// Review of the operations across hosts (issue 13): what a job remembers of the workers that
// declined it, what a busy worker reserves, what the supervisor tells `workers` of a worker that
// died, and how the maintenance leader keeps its lead.
#include <gtest/gtest.h>

#include <thread>

#include "QueueTestSupport.h"
#include "app/Maintenance.h"
#include "app/Supervisor.h"
#include "queue/JobHandler.h"
#include "queue/Worker.h"

using namespace tributary;
using namespace tributary::queue;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

JobQueue::WorkerInfo workerInfo(const std::string& id, const std::vector<std::string>& connections) {
  return {id, "host", {"sync", "t.sleep"}, connections, {"sync", "t.sleep"}, Json::object()};
}

int64_t count(test::QueueDatabase& q, const std::string& sql, const std::string& param) {
  auto c = q.pool->acquire();
  return c->exec(sql, param).int64(0, 0);
}

}  // namespace

TEST(WorkersAcrossHosts, TheSupervisorUnregistersAWorkerThatDied) {
  // A worker that stops unregisters itself; one that dies cannot. Its supervisor knows at once
  // and says so in `workers`, rather than leaving it there for ten leases as if it could run
  // jobs (no_worker marks wait on the live ones).
  test::QueueDatabase q;
  test::TempDir dir;
  const auto exe = dir.write("worker.sh", "#!/bin/sh\nsleep 1\nexit 3\n");
  std::filesystem::permissions(exe, std::filesystem::perms::owner_all);
  app::Supervisor::Options o;
  o.processes = 1;
  o.executable = exe;
  o.shutdownGrace = milliseconds(500);
  app::Supervisor sup(o, q.queue);
  sup.start();
  const auto first = sup.children().at(0).workerId;
  ASSERT_FALSE(first.empty());
  // What the worker process does first when it starts.
  q.queue->registerWorker(workerInfo(first, {}));
  ASSERT_TRUE(test::eventually([&] { return sup.children().at(0).restarts >= 1; }, seconds(10)));
  EXPECT_EQ(count(q, "SELECT count(*) FROM workers WHERE id = $1", first), 0)
      << "the dead worker " << first << " is still registered";
  sup.stop();
}
