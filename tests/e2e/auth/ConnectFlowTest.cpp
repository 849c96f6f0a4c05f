// The connect flow end to end (issue 16, item 3): `tributary oauth authorize` prints the vendor's
// authorize URL, the simulator's authorize page redirects to the host's GET /oauth/callback with a
// code and the state, the host exchanges the code and stores the tokens sealed; the sync then
// sends them (the fixture reads no token itself) and reads the instance_url of the token answer.
// A forged and a replayed state are refused and store nothing.
#include <gtest/gtest.h>

#include "AuthE2eSupport.h"
#include "common/Strings.h"

using namespace tributary;
using namespace tributary::test;
using namespace tributary::test::auth_e2e;

namespace {

int64_t credentialRows(QueueDatabase& q) {
  auto c = q.pool->acquire();
  return c->exec("SELECT count(*) FROM auth_credentials").int64(0, 0);
}

}  // namespace

TEST(ConnectFlow, TheCallbackStoresSealedTokensThatTheSyncSendsAndReadsTheInstanceUrlOf) {
  Simulator sim(salesforceScenario(35, false));
  test::QueueDatabase q;
  Secrets secrets;
  auto host = startAuthHost(q, "host-a", secrets, oauthConnectionYaml("sf", sim, secrets));

  // Not connected yet: the sync fails at once, naming the command that connects it.
  {
    auto j = http_e2e::waitJob(q, enqueue(q, "sf"), std::chrono::seconds(30), host->log());
    ASSERT_EQ(j.status, queue::JobStatus::Failed) << j.toJson().dump(2);
    EXPECT_NE(j.lastError.value_or("").find("tributary oauth authorize acme sf"), std::string::npos)
        << j.toJson().dump(2);
  }

  const auto answer = connect(*host, "sf");
  ASSERT_EQ(answer.status, 200) << answer.body << host->log();
  EXPECT_EQ(answer.json()["connection"], "acme/sf");
  EXPECT_EQ(credentialRows(q), 1);

  auto j = http_e2e::waitJob(q, enqueue(q, "sf"), std::chrono::seconds(40), host->log());
  ASSERT_EQ(j.status, queue::JobStatus::Completed) << j.toJson().dump(2) << host->log();
  EXPECT_EQ(liveIds(q, "sf", "opportunities").size(), 35u);

  // One code exchange, no refresh: the token stayed good.
  EXPECT_EQ(tokenRequests(sim).size(), 1u) << http_e2e::describe(tokenRequests(sim));

  std::string out, err;
  ASSERT_EQ(runTributary(*host, {"oauth", "status", "acme", "sf", "--json"}, out, err), 0) << out;
  const Json status = Json::parse(out.substr(out.find('{')));
  EXPECT_TRUE(status["connected"].get<bool>()) << status.dump(2);
  EXPECT_TRUE(status["has_refresh_token"].get<bool>()) << status.dump(2);
  EXPECT_NE(std::find(status["values"].begin(), status["values"].end(), "instance_url"), status["values"].end());
  const auto tokens = storedTokens(q, secrets, "sf");
  ASSERT_EQ(tokens.size(), 2u) << "an access and a refresh token";
  for (const auto& token : tokens) EXPECT_EQ(out.find(token), std::string::npos) << "oauth status printed a token";

  // Nothing secret in clear: no column, no pg_dump line, no log line holds a token or the client's secret.
  std::vector<std::string> secretsUsed = tokens;
  secretsUsed.push_back("salesforce-secret");
  const auto hits = sweep(q, secretsUsed, {host.get()});
  EXPECT_TRUE(hits.empty()) << strings::join(hits, "\n");
}

TEST(ConnectFlow, AForgedAStateForAnotherConnectionAndAReplayedStateAreRefusedAndStoreNothing) {
  Simulator sim(salesforceScenario(5, false));
  test::QueueDatabase q;
  Secrets secrets;
  auto host = startAuthHost(q, "host-a", secrets,
                            oauthConnectionYaml("sf", sim, secrets) + oauthConnectionYaml("other", sim, secrets));

  // Forged: a state of the right shape whose signature is not the host's.
  std::string callback;
  {
    std::string out, err;
    ASSERT_EQ(
        runTributary(
            *host, {"oauth", "authorize", "acme", "sf", "--json", "--redirect-uri", host->apiUrl() + "/oauth/callback"},
            out, err),
        0)
        << out;
    const Json printed = Json::parse(out.substr(out.find('{')));
    const std::string url = printed["url"];
    const auto at = url.find("state=") + 6;
    std::string state = url.substr(at, url.find('&', at) - at);
    // A character inside the MAC (its last one carries padding bits a decoder may ignore).
    char& c = state[state.size() - 5];
    c = c == 'A' ? 'B' : 'A';
    auto r = httpGet(host->apiUrl() + "/oauth/callback?code=whatever&state=" + state);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["error"]["code"], "invalid_state") << r.body;
    auto garbage = httpGet(host->apiUrl() + "/oauth/callback?code=whatever&state=v1.not-a-state");
    EXPECT_EQ(garbage.status, 400) << garbage.body;
  }
  EXPECT_EQ(credentialRows(q), 0);

  // A state signed for one connection does not connect another: the signature covers the
  // connection, so rewriting it breaks the signature.
  {
    std::string out, err;
    ASSERT_EQ(
        runTributary(
            *host, {"oauth", "authorize", "acme", "sf", "--json", "--redirect-uri", host->apiUrl() + "/oauth/callback"},
            out, err),
        0);
    const std::string url = Json::parse(out.substr(out.find('{')))["url"];
    const auto at = url.find("state=") + 6;
    std::string state = url.substr(at, url.find('&', at) - at);
    const std::string sfId = http_e2e::connectionId(q, "sf");
    const std::string otherId = http_e2e::connectionId(q, "other");
    state.replace(state.find(sfId), sfId.size(), otherId);
    auto r = httpGet(host->apiUrl() + "/oauth/callback?code=whatever&state=" + state);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(credentialRows(q), 0);
  }

  // Replayed: the same callback twice. The first connects; the second is refused as used.
  const auto first = connect(*host, "sf", &callback);
  ASSERT_EQ(first.status, 200) << first.body << host->log();
  auto c = q.pool->acquire();
  const int64_t version = c->exec("SELECT version FROM auth_credentials").int64(0, 0);
  const auto replay = httpGet(callback);
  EXPECT_EQ(replay.status, 400) << replay.body;
  EXPECT_EQ(replay.json()["error"]["code"], "used_state") << replay.body;
  EXPECT_EQ(c->exec("SELECT version FROM auth_credentials").int64(0, 0), version) << "the replay stored something";
  EXPECT_EQ(tokenRequests(sim).size(), 1u) << "the replay reached the vendor";

  // The vendor's refusal (the user said no) stores nothing either.
  auto denied = httpGet(host->apiUrl() + "/oauth/callback?error=access_denied&error_description=end-user+denied");
  EXPECT_EQ(denied.status, 400) << denied.body;
  EXPECT_NE(denied.body.find("access_denied"), std::string::npos) << denied.body;
}

// The API's route to the same flow (issue 17): an authenticated GET .../oauth/authorize answers
// 302 to the vendor's authorize URL; following it connects the connection as the CLI's URL does.
// A connection without oauth2 is a 409 naming why, and no token a 401.
TEST(ConnectFlow, TheApisAuthorizeRouteRedirectsToTheVendorAndConnects) {
  Simulator sim(salesforceScenario(5, false));
  test::QueueDatabase q;
  Secrets secrets;
  auto host = startAuthHost(q, "host-a", secrets, oauthConnectionYaml("sf", sim, secrets));
  std::string out, err;
  ASSERT_EQ(runTributary(*host, {"tokens", "create", "--admin", "--name", "ci"}, out, err), 0) << out << err;
  const std::string token = out.substr(out.find("trb_"), 47);
  const std::string route = host->apiUrl() +
                            "/api/workspaces/acme/connections/sf/oauth/authorize?redirect_uri=" + host->apiUrl() +
                            "/oauth/callback";
  EXPECT_EQ(httpGet(route).status, 401);
  auto r = httpRequest("GET", route, "", {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(r.status, 302) << r.body << host->log();
  const std::string location = r.headers["location"];
  EXPECT_EQ(location.rfind(sim.baseUrl("salesforce"), 0), 0u) << location;
  EXPECT_NE(location.find("state=v1."), std::string::npos) << location;
  auto page = httpGet(location);
  ASSERT_EQ(page.status, 302) << page.body;
  auto answer = httpGet(page.headers["location"]);
  ASSERT_EQ(answer.status, 200) << answer.body << host->log();
  EXPECT_EQ(answer.json()["connection"], "acme/sf");
  EXPECT_EQ(credentialRows(q), 1);
  auto j = http_e2e::waitJob(q, enqueue(q, "sf"), std::chrono::seconds(40), host->log());
  EXPECT_EQ(j.status, queue::JobStatus::Completed) << j.toJson().dump(2);
  // ?format=json gives the URL instead of a redirect.
  auto asJson = httpRequest("GET", route + "&format=json", "", {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(asJson.status, 200) << asJson.body;
  EXPECT_EQ(asJson.json()["url"].get<std::string>().rfind(sim.baseUrl("salesforce"), 0), 0u);
}
