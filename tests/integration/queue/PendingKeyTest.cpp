// A pending key (EnqueueRequest::pendingKey): one pending job per key, which a second request
// joins; a running one does not count.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "QueueTestSupport.h"
#include "queue/JobQueue.h"

using namespace tributary;
using namespace tributary::queue;

namespace {

EnqueueRequest keyed(const std::string& key, Json payload = Json::object()) {
  EnqueueRequest r;
  r.kind = "noop";
  r.payload = std::move(payload);
  r.pendingKey = key;
  return r;
}

}  // namespace

TEST(JobQueue, APendingKeyJoinsThePendingJobButNotARunningOne) {
  test::QueueDatabase q;
  auto first = q.queue->enqueue(keyed("follow_up:a"));
  EXPECT_FALSE(first.existing);
  auto again = q.queue->enqueue(keyed("follow_up:a"));
  EXPECT_TRUE(again.existing);
  EXPECT_EQ(again.jobId, first.jobId);
  EXPECT_FALSE(q.queue->enqueue(keyed("follow_up:b")).existing) << "another key is another job";

  auto claimed = q.queue->claim("w1", 1, {"noop"});
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_EQ(claimed[0].id, first.jobId);
  auto behind = q.queue->enqueue(keyed("follow_up:a"));
  EXPECT_FALSE(behind.existing) << "the running one began before this request";
  EXPECT_NE(behind.jobId, first.jobId);
  EXPECT_EQ(q.queue->enqueue(keyed("follow_up:a")).jobId, behind.jobId);
}

TEST(JobQueue, APendingKeyNeedsATransactionAndNotTheBulkPath) {
  test::QueueDatabase q;
  auto conn = q.pool->acquire();
  try {
    q.queue->enqueue(*conn, keyed("k"));
    FAIL() << "enqueued outside a transaction";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), "enqueue: a job with a pending key (k) is enqueued inside a transaction");
  }
  try {
    q.queue->enqueueMany(*conn, {keyed("k")});
    FAIL() << "bulk-enqueued a pending key";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "enqueueMany: a job with a pending key goes through enqueue");
  }
}

// Until the enqueuer's transaction ends, the pending job it joined cannot be claimed, so its
// payload can still be changed; and a second enqueuer of the key waits rather than inserting a
// duplicate.
TEST(JobQueue, TheJoinedPendingJobStaysPendingUntilTheEnqueuerCommits) {
  test::QueueDatabase q;
  auto first = q.queue->enqueue(keyed("k", {{"window", {{"from", 5}}}}));
  auto conn = q.pool->acquire();
  db::Transaction tx(*conn);
  auto joined = q.queue->enqueue(*conn, keyed("k"));
  ASSERT_TRUE(joined.existing);
  EXPECT_TRUE(q.queue->claim("w1", 1, {"noop"}).empty()) << "locked by the enqueuer";

  std::string racer;
  std::atomic<bool> raced{false};
  std::thread other([&] {
    racer = q.queue->enqueue(keyed("k")).jobId;
    raced = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(raced) << "the second enqueuer waits for the first's transaction";
  EXPECT_TRUE(q.queue->changePendingPayload(*conn, first.jobId, [](const Json& p) -> std::optional<Json> {
    Json changed = p;
    changed["window"]["from"] = 1;
    return changed;
  }));
  tx.commit();
  other.join();
  EXPECT_EQ(racer, first.jobId);
  EXPECT_EQ(q.job(first.jobId).payload["window"]["from"], 1);
  EXPECT_EQ(q.queue->claim("w1", 1, {"noop"}).size(), 1u);
  auto c = q.pool->acquire();
  db::Transaction tx2(*c);
  EXPECT_FALSE(q.queue->changePendingPayload(*c, first.jobId, [](const Json&) { return std::optional<Json>(); }))
      << "no longer pending";
}
