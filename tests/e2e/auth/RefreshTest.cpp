// OAuth refresh owned by the host (issue 16, item 2): however many jobs and hosts see a token
// expire at once, one refresh reaches the vendor and every job goes on with the new token; a
// single-use refresh token lost to a kill -9 between the vendor's answer and the store is named,
// with when and by whom, instead of failing as an unexplained invalid_grant.
#include <gtest/gtest.h>
#include <signal.h>

#include <set>
#include <thread>

#include "AuthE2eSupport.h"
#include "common/Strings.h"

using namespace tributary;
using namespace tributary::test;
using namespace tributary::test::auth_e2e;

namespace {

constexpr int kRecords = 120;  // per object: 12 pages of 10

Json credentialRow(QueueDatabase& q) {
  auto c = q.pool->acquire();
  auto r = c->exec(
      "SELECT json_build_object('version', version, 'refresh_count', refresh_count, 'failure', failure,"
      " 'refresh_started_at', refresh_started_at, 'refresh_started_by', refresh_started_by) FROM auth_credentials");
  return r.empty() ? Json() : Json::parse(r.text(0, 0));
}

}  // namespace

TEST(TokenRefresh, AnAccessTokenExpiringMidSyncUnderFourJobsOnTwoHostsIsRefreshedOnceAndEveryJobFinishes) {
  Simulator sim(salesforceScenario(kRecords, false, kRecords, kRecords));
  // Each page takes 100 ms, so that the four runs overlap for more than a second.
  sim.addFaults(Json::array({{{"kind", "latency"}, {"path", "/services/data"}, {"latency_ms", 100}}}), "salesforce");
  test::QueueDatabase q;
  Secrets secrets;
  // Four connections on one shared credential (one vendor grant): one connect flow connects them
  // all, and each runs its own job.
  const std::vector<std::pair<std::string, std::string>> streams{
      {"sf1", "opportunities"}, {"sf2", "contacts"}, {"sf3", "accounts"}, {"sf4", "opportunities"}};
  std::string conns;
  for (const auto& [name, stream] : streams) conns += oauthConnectionYaml(name, sim, secrets, "", "", "crm");
  std::vector<std::unique_ptr<AuthHost>> hosts;
  hosts.push_back(startAuthHost(q, "host-a", secrets, conns, 2));
  hosts.push_back(startAuthHost(q, "host-b", secrets, conns, 2));
  auto logs = [&] {
    std::string all;
    for (size_t i = 0; i < hosts.size(); ++i) all += "---- host " + std::to_string(i) + "\n" + hosts[i]->log();
    return all;
  };
  ASSERT_EQ(connect(*hosts[0], "sf1").status, 200) << logs();
  std::vector<std::string> tokens = storedTokens(q, secrets, "sf1", "crm");

  std::vector<std::string> jobs;
  for (const auto& [name, stream] : streams) jobs.push_back(enqueue(q, name, {stream}));
  // Once every job is reading, the vendor ends every session at once.
  ASSERT_TRUE(eventually(
      [&] {
        auto c = q.pool->acquire();
        return c->exec("SELECT count(*) FROM jobs WHERE status = 'running'").int64(0, 0) == 4;
      },
      std::chrono::seconds(20)))
      << "the four jobs did not run at once\n"
      << logs();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(httpRequest("POST", sim.adminUrl("salesforce") + "/tokens/expire").status, 200);

  std::set<std::string> workers;
  for (const auto& id : jobs) {
    auto j = http_e2e::waitJob(q, id, std::chrono::seconds(60), logs());
    ASSERT_EQ(j.status, queue::JobStatus::Completed) << j.toJson().dump(2) << logs();
    EXPECT_EQ(j.attempts, 1) << j.toJson().dump(2);
    for (const auto& w : http_e2e::runWorkers(q, id)) workers.insert(w);
  }
  EXPECT_GE(workers.size(), 2u) << "the jobs did not run on both hosts";
  for (const auto& [name, stream] : streams) {
    EXPECT_EQ(liveIds(q, name, stream).size(), static_cast<size_t>(kRecords)) << name;
  }

  const auto tokenPosts = tokenRequests(sim);
  // The code exchange, then exactly one refresh for all four jobs on both hosts.
  EXPECT_EQ(tokenPosts.size(), 2u) << http_e2e::describe(tokenPosts);
  const Json row = credentialRow(q);
  EXPECT_EQ(row["refresh_count"], 1) << row.dump();
  EXPECT_EQ(row["version"], 2) << row.dump();
  EXPECT_TRUE(row["refresh_started_at"].is_null()) << row.dump();
  int refused = 0;
  for (const auto& r : sim.requests("/services/data", "salesforce")) refused += r.status == 401;
  EXPECT_GE(refused, 2) << "fewer than two requests saw the expired session: the test proves little\n"
                        << http_e2e::describe(sim.requests("", "salesforce")) << logs();

  // The refreshed access token, the first one and the refresh token: in clear nowhere.
  for (auto& t : storedTokens(q, secrets, "sf2", "crm")) tokens.push_back(std::move(t));
  tokens.push_back("salesforce-secret");
  const auto hits = sweep(q, tokens, {hosts[0].get(), hosts[1].get()});
  EXPECT_TRUE(hits.empty()) << strings::join(hits, "\n");
}

TEST(TokenRefresh, ASingleUseRefreshTokenLostToAKillBetweenTheVendorsAnswerAndTheStoreIsNamedAndReconnectingHeals) {
  Simulator sim(salesforceScenario(30, /*rotate=*/true));
  test::QueueDatabase q;
  Secrets secrets;
  auto host = startAuthHost(q, "host-a", secrets, oauthConnectionYaml("sf", sim, secrets), 1);
  ASSERT_EQ(connect(*host, "sf").status, 200) << host->log();
  std::vector<std::string> tokens = storedTokens(q, secrets, "sf");

  // The vendor rotates the refresh token as it answers, then takes 5 s to send the answer: long
  // enough to kill the worker between the two.
  sim.addFaults(Json::array({{{"kind", "latency"},
                              {"method", "POST"},
                              {"path", "/services/oauth2/token"},
                              {"latency_ms", 5000},
                              {"count", 1}}}),
                "salesforce");
  ASSERT_EQ(httpRequest("POST", sim.adminUrl("salesforce") + "/tokens/expire").status, 200);
  const std::string job = enqueue(q, "sf");
  ASSERT_TRUE(eventually([&] { return !credentialRow(q)["refresh_started_at"].is_null(); }, std::chrono::seconds(20)))
      << host->log();
  ASSERT_TRUE(eventually([&] { return tokenRequests(sim).size() == 2; }, std::chrono::seconds(5)))
      << "the refresh did not reach the vendor\n"
      << http_e2e::describe(tokenRequests(sim));
  const std::string refresher = credentialRow(q)["refresh_started_by"].get<std::string>();
  for (int pid : host->workerPids()) ::kill(pid, SIGKILL);

  // The job is rescued and run again; the refresh token it holds is the one the vendor replaced.
  auto j = http_e2e::waitJob(q, job, std::chrono::seconds(60), host->log());
  ASSERT_EQ(j.status, queue::JobStatus::Failed) << j.toJson().dump(2) << host->log();
  const std::string error = j.lastError.value_or("");
  EXPECT_NE(error.find("invalid_grant"), std::string::npos) << error;
  EXPECT_NE(error.find("never stored its answer"), std::string::npos) << error;
  EXPECT_NE(error.find(refresher), std::string::npos) << "the message does not name the refresher: " << error;
  EXPECT_NE(error.find("tributary oauth authorize acme sf"), std::string::npos) << error;
  EXPECT_FALSE(credentialRow(q)["failure"].is_null());

  // Connecting again heals it.
  ASSERT_EQ(connect(*host, "sf").status, 200) << host->log();
  EXPECT_TRUE(credentialRow(q)["failure"].is_null());
  auto again = http_e2e::waitJob(q, enqueue(q, "sf"), std::chrono::seconds(40), host->log());
  EXPECT_EQ(again.status, queue::JobStatus::Completed) << again.toJson().dump(2) << host->log();
  EXPECT_EQ(liveIds(q, "sf", "opportunities").size(), 30u);

  for (auto& t : storedTokens(q, secrets, "sf")) tokens.push_back(std::move(t));
  tokens.push_back("salesforce-secret");
  const auto hits = sweep(q, tokens, {host.get()});
  EXPECT_TRUE(hits.empty()) << strings::join(hits, "\n");
}
