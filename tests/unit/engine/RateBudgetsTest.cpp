// What the HTTP client enforces for a connection: its budgets per class, and the account that owns them.
#include "engine/RateBudgets.h"

#include <gtest/gtest.h>

#include "common/Hash.h"

using namespace tributary;
using namespace std::chrono_literals;

namespace {

// Like HubSpot's: 100 per 10 s, a points-priced search, and a daily quota counting every request.
std::vector<plugins::RateLimitDescriptor> hubspotLike() {
  return {{"rest", 100, 10'000, false, false, false, "per app, every 10 s"},
          {"search", 40, 1'000, true, false, false, "points per second"},
          {"daily", 250'000, 86'400'000, false, true, true, "per account, per day"}};
}

config::ConnectionConfig connection(const std::string& workspace, const std::string& name,
                                    std::map<std::string, std::string> settings,
                                    const std::string& connector = "tributary.hubspot") {
  config::ConnectionConfig c;
  c.workspace = workspace;
  c.name = name;
  c.connector = connector;
  for (auto& [k, v] : settings) {
    auto& setting = c.settings[k];
    setting.value = v;
    setting.source = config::ValueSource::Environment;
  }
  return c;
}

config::RateLimitOverride override(uint64_t requests, std::chrono::milliseconds per) {
  config::RateLimitOverride o;
  o.requests = requests;
  o.per = per;
  return o;
}

const std::vector<std::string> kSecrets = {"token", "client_secret"};

}  // namespace

TEST(RateBudgets, WithoutOverridesEachDeclaredClassKeepsItsBudgetAtTheDefaultHeadroomInDeclaredOrder) {
  config::ConnectionRateLimit limits;  // rate_limit: absent
  auto b = engine::effectiveBudgets(limits, hubspotLike());
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].name, "rest");
  EXPECT_EQ(b[1].name, "search");
  EXPECT_EQ(b[2].name, "daily");
  EXPECT_EQ(b[0].requests, 100u);
  EXPECT_EQ(b[0].per, 10s);
  EXPECT_DOUBLE_EQ(b[0].headroom, 0.9);
  EXPECT_DOUBLE_EQ(b[0].effective(), 90.0) << "100 per 10 s less the 10% headroom";
  EXPECT_FALSE(b[0].overridden);
  EXPECT_FALSE(b[0].points);
  EXPECT_TRUE(b[1].points);
  EXPECT_FALSE(b[1].quota);
  EXPECT_TRUE(b[2].quota);
  EXPECT_TRUE(b[2].everyRequest);
  EXPECT_EQ(b[2].per, 24h);
  EXPECT_DOUBLE_EQ(b[2].effective(), 225'000.0);
}

TEST(RateBudgets, AnOverrideReplacesRequestsAndWindowKeepsTheKindAndTakesTheConnectionsHeadroom) {
  config::ConnectionRateLimit limits;
  limits.headroom = 0.5;
  limits.classes["rest"] = override(190, 10s);  // HubSpot Pro's, above the declared 100
  limits.classes["daily"] = override(500'000, 24h);
  auto b = engine::effectiveBudgets(limits, hubspotLike());
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].requests, 190u);
  EXPECT_EQ(b[0].per, 10s);
  EXPECT_TRUE(b[0].overridden);
  EXPECT_DOUBLE_EQ(b[0].effective(), 95.0);
  EXPECT_FALSE(b[1].overridden) << "search keeps its declared budget";
  EXPECT_EQ(b[1].requests, 40u);
  EXPECT_DOUBLE_EQ(b[1].headroom, 0.5) << "the headroom is the connection's, for every class";
  EXPECT_DOUBLE_EQ(b[1].effective(), 20.0);
  EXPECT_TRUE(b[2].overridden);
  EXPECT_TRUE(b[2].quota) << "an override keeps its class's kind";
  EXPECT_TRUE(b[2].everyRequest);
  EXPECT_EQ(b[2].requests, 500'000u);
}

TEST(RateBudgets, AConnectorThatDeclaresNoClassHasNoBudget) {
  config::ConnectionRateLimit limits;
  limits.headroom = 0.8;
  EXPECT_TRUE(engine::effectiveBudgets(limits, {}).empty());
}

TEST(RateBudgets, AGivenAccountOwnsTheBudgetsWhateverTheCredential) {
  auto a = connection("acme", "crm", {{"token", "pat-1"}});
  auto b = connection("beta", "crm", {{"token", "pat-2"}});
  a.rateLimit.account = "hubspot-portal-42";
  b.rateLimit.account = "hubspot-portal-42";
  EXPECT_EQ(engine::rateLimitAccount(a, kSecrets), "hubspot-portal-42");
  EXPECT_EQ(engine::rateLimitAccount(b, kSecrets), "hubspot-portal-42");
}

TEST(RateBudgets, ConnectionsWithTheSameCredentialShareAnAccountAndOthersDoNot) {
  const auto first =
      engine::rateLimitAccount(connection("acme", "crm", {{"token", "pat-1"}, {"page_size", "50"}}), kSecrets);
  const auto same =
      engine::rateLimitAccount(connection("beta", "sales", {{"token", "pat-1"}, {"page_size", "100"}}), kSecrets);
  const auto other = engine::rateLimitAccount(connection("acme", "crm", {{"token", "pat-2"}}), kSecrets);
  const auto otherConnector =
      engine::rateLimitAccount(connection("acme", "crm", {{"token", "pat-1"}}, "tributary.salesforce"), kSecrets);
  EXPECT_EQ(first, same) << "another workspace and name, other non-secret settings: the same vendor account";
  EXPECT_NE(first, other);
  EXPECT_NE(first, otherConnector) << "one token at two vendors is two accounts";
  EXPECT_EQ(first.rfind("cred:", 0), 0u) << first;
  EXPECT_EQ(first.size(), 5u + 64u) << "cred: and a hex SHA-256";
}

TEST(RateBudgets, TheCredentialsAccountIsTheSha256OfConnectorAndSortedSecretSettingsAndHoldsNoSecret) {
  auto c = connection("acme", "crm", {{"token", "pat-na1-0123secret"}, {"client_secret", "cs-9876"}, {"portal", "42"}});
  const auto account = engine::rateLimitAccount(c, kSecrets);
  EXPECT_EQ(account, "cred:" + hash::sha256Hex("tributary.hubspot\nclient_secret=cs-9876\ntoken=pat-na1-0123secret"));
  EXPECT_EQ(engine::rateLimitAccount(c, {"client_secret", "token"}), account) << "the order of the declared keys";
  EXPECT_EQ(account.find("pat-na1"), std::string::npos);
  EXPECT_EQ(account.find("0123secret"), std::string::npos);
  EXPECT_EQ(account.find("cs-9876"), std::string::npos);
}

TEST(RateBudgets, AConnectionWithNoSecretIsAnAccountOfItsOwn) {
  EXPECT_EQ(engine::rateLimitAccount(connection("acme", "example", {{"records", "500"}}), {}), "conn:acme/example");
  EXPECT_EQ(engine::rateLimitAccount(connection("acme", "crm", {{"portal", "42"}}), kSecrets), "conn:acme/crm")
      << "a secret key declared but not set";
}
