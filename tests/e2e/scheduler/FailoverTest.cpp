// Scheduler hosts as separate processes on one database: the leader is killed (kill -9) or frozen
// (SIGSTOP), another host takes over within the lease and fires the next slot, and across all
// hosts no slot is ever fired twice.

#include <date/date.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "SchedulerTestSupport.h"
#include "TestSupport.h"
#include "common/Strings.h"

using namespace tributary;
using namespace std::chrono_literals;

namespace {

constexpr auto kLease = 2s;

// Marks pending sync jobs completed, as workers would, so that the next slot does not find the
// connection busy.
class CompletingWorker {
 public:
  explicit CompletingWorker(const std::string& conninfo)
      : thread_([this, conninfo] {
          db::Connection conn(conninfo);
          while (!stop_) {
            conn.exec(
                "UPDATE jobs SET status = 'completed', completed_at = now() "
                "WHERE kind = 'sync' AND status = 'pending'");
            std::this_thread::sleep_for(50ms);
          }
        }) {}
  ~CompletingWorker() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class SchedulerFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string ws = db.addWorkspace("acme");
    alpha = db.addConnection(ws, "alpha", "* * * * * *");
    beta = db.addConnection(ws, "beta", "* * * * * *");
    configFile = dir.write("tributary.yaml", "database:\n  url: \"" + db.conninfo() +
                                                 "\"\n  pool: {min: 0, max: 2}\n"
                                                 "scheduler:\n  tick: 100ms\n  leader_lease: 2s\n"
                                                 "  misfire_grace: 10s\n"
                                                 "logging:\n  level: debug\n");
  }

  void startHosts(int n) {
    for (int i = 0; i < n; ++i) {
      std::string id = "host-" + std::to_string(i);
      auto ready = dir / (id + ".ready");
      logs.push_back(dir / (id + ".log"));
      hosts.push_back(std::make_unique<test::ServerProcess>(
          std::vector<std::string>{(test::buildDir() / "bin" / "tributary-test-scheduler").string(), "--config",
                                   configFile.string(), "--host-id", id, "--ready-file", ready.string()},
          logs.back()));
      ASSERT_TRUE(hosts.back()->waitForReadyFile(ready)) << hosts.back()->log();
    }
  }

  // The index of the host whose session holds the lock, or -1.
  int leader() {
    auto r = db.sql().exec("SELECT application_name FROM scheduler_leader");
    if (r.empty()) return -1;
    std::string name = r.text(0, 0);
    for (size_t i = 0; i < hosts.size(); ++i) {
      if (name == "tributary scheduler host-" + std::to_string(i)) return static_cast<int>(i);
    }
    return -1;
  }

  int64_t jobs() { return db.count("SELECT count(*) FROM jobs"); }

  int64_t jobsWithSlotAfter(std::chrono::system_clock::time_point t) {
    return db.sql()
        .exec("SELECT count(*) FROM jobs WHERE (payload->>'slot')::timestamptz > $1::timestamptz",
              date::format("%FT%TZ", std::chrono::floor<std::chrono::milliseconds>(t)))
        .int64(0, 0);
  }

  // (connection, slot) pairs each host logged as queued.
  std::vector<std::set<std::string>> firedByHost() {
    static const std::regex kQueued(R"(queued (acme/\w+) for (\S+): job)");
    std::vector<std::set<std::string>> out;
    for (size_t i = 0; i < hosts.size(); ++i) {
      std::set<std::string> fired;
      std::string text = hosts[i]->log();
      for (std::sregex_iterator it(text.begin(), text.end(), kQueued), end; it != end; ++it) {
        fired.insert((*it)[1].str() + " " + (*it)[2].str());
      }
      out.push_back(std::move(fired));
    }
    return out;
  }

  void expectNoSlotFiredTwice() {
    EXPECT_EQ(db.count("SELECT count(*) - count(DISTINCT unique_key) FROM jobs"), 0);
    EXPECT_EQ(db.count("SELECT count(*) FROM (SELECT connection_id, payload->>'slot' FROM jobs "
                       "GROUP BY 1, 2 HAVING count(*) > 1) dup"),
              0);
    EXPECT_EQ(db.count("SELECT count(*) FROM jobs WHERE unique_key <> 'sync:' || connection_id "
                       "|| ':' || (payload->>'slot')"),
              0);
    // Every slot a host says it fired is in the queue, and no two hosts fired the same slot.
    auto fired = firedByHost();
    std::map<std::string, int> firers;
    for (const auto& set : fired) {
      for (const auto& slot : set) ++firers[slot];
    }
    for (const auto& [slot, count] : firers) EXPECT_EQ(count, 1) << slot << " fired by " << count;
    auto inQueue = db.sql().exec(
        "SELECT w.slug || '/' || c.name || ' ' || (j.payload->>'slot') FROM jobs j "
        "JOIN connections c ON c.id = j.connection_id JOIN workspaces w ON w.id = c.workspace_id");
    std::set<std::string> queued;
    for (int i = 0; i < inQueue.rows(); ++i) queued.insert(inQueue.text(i, 0));
    for (const auto& [slot, count] : firers) EXPECT_TRUE(queued.count(slot)) << slot;
  }

  test::SchedulerDatabase db;
  test::TempDir dir;
  std::filesystem::path configFile;
  std::string alpha, beta;
  std::vector<std::unique_ptr<test::ServerProcess>> hosts;
  std::vector<std::filesystem::path> logs;
};

}  // namespace

TEST_F(SchedulerFailoverTest, KilledLeaderIsReplacedWithinTheLeaseAndNoSlotFiresTwice) {
  CompletingWorker worker(db.conninfo());
  startHosts(3);
  std::set<int> alive = {0, 1, 2};
  std::vector<int> leaders;
  for (int round = 0; round < 2; ++round) {
    int current = -1;
    ASSERT_TRUE(test::eventually([&] { return alive.count(current = leader()) > 0; }, 10s));
    leaders.push_back(current);
    // The leader fires a few per-second slots of both connections.
    int64_t before = jobs();
    ASSERT_TRUE(test::eventually([&] { return jobs() >= before + 4; }, 10s));

    hosts[current]->signal(SIGKILL);
    ASSERT_TRUE(hosts[current]->waitForExit(10s));
    alive.erase(current);
    auto killedAt = std::chrono::system_clock::now();

    int next = -1;
    ASSERT_TRUE(test::eventually([&] { return alive.count(next = leader()) > 0; }, kLease))
        << "no surviving host took over within the lease";
    EXPECT_NE(next, current);
    // The new leader fires the next slots, for both connections.
    ASSERT_TRUE(test::eventually([&] { return jobsWithSlotAfter(killedAt) >= 4; }, 10s));
  }
  int last = leader();
  ASSERT_TRUE(alive.count(last));
  leaders.push_back(last);
  for (int i : alive) hosts[i]->stop();

  // Three different leaders, each of which fired slots, and never the same one.
  EXPECT_EQ(std::set<int>(leaders.begin(), leaders.end()).size(), 3u);
  auto fired = firedByHost();
  for (int i : leaders) EXPECT_GE(fired[i].size(), 2u) << "host-" << i << " fired nothing";
  expectNoSlotFiredTwice();
  EXPECT_GE(db.scheduledJobs(alpha), 6);
  EXPECT_GE(db.scheduledJobs(beta), 6);
}

TEST_F(SchedulerFailoverTest, FrozenLeaderLosesTheLeadWithinTheLeaseAndCannotFireWhenItWakes) {
  CompletingWorker worker(db.conninfo());
  startHosts(2);
  int frozen = -1;
  ASSERT_TRUE(test::eventually([&] { return (frozen = leader()) >= 0; }, 10s));
  int64_t before = jobs();
  ASSERT_TRUE(test::eventually([&] { return jobs() >= before + 2; }, 10s));

  // Frozen, its process keeps the socket open: only the server's idle-session timeout (the lease)
  // frees the lock.
  hosts[frozen]->signal(SIGSTOP);
  auto frozenAt = std::chrono::system_clock::now();
  int other = 1 - frozen;
  ASSERT_TRUE(test::eventually([&] { return leader() == other; }, kLease + 2s))
      << "the other host did not take over within the lease";
  ASSERT_TRUE(test::eventually([&] { return jobsWithSlotAfter(frozenAt) >= 4; }, 10s));

  // Woken, the old leader finds its session gone, steps down, and stands by.
  hosts[frozen]->signal(SIGCONT);
  ASSERT_TRUE(test::eventually(
      [&] {
        return hosts[frozen]->log().find("host-" + std::to_string(frozen) +
                                         " gave up the scheduler lead after an error") != std::string::npos;
      },
      10s))
      << hosts[frozen]->log();
  int64_t afterWake = jobs();
  ASSERT_TRUE(test::eventually([&] { return jobs() >= afterWake + 4; }, 10s));
  EXPECT_EQ(leader(), other);
  for (auto& h : hosts) h->stop();
  expectNoSlotFiredTwice();
}
