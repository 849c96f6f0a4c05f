#include <gtest/gtest.h>

#include <Poco/URI.h>

#include "SimProcess.h"

using tributary::sim::testing::SimProcess;

namespace {

const std::map<std::string, std::string> kForm = {{"Content-Type", "application/x-www-form-urlencoded"}};

std::string codeFrom(const std::string& location) {
  const Poco::URI uri(location);
  for (const auto& [key, value] : uri.getQueryParameters()) {
    if (key == "code") return value;
  }
  return "";
}

}  // namespace

TEST(oauth, HubSpotAuthorizeCodeTokenExpiryRefreshAndRevocation) {
  SimProcess sim("vendors:\n  hubspot:\n    objects: {deals: 2}\n    auth: {access_token_ttl_s: 1800}\n");
  const std::string base = sim.baseUrl("hubspot");
  const auto redirect = SimProcess::request(
      "GET", base +
                 "/oauth/"
                 "authorize?client_id=hubspot-client&redirect_uri=http%3A%2F%2Flocalhost%2Fcb&state=xyz");
  ASSERT_EQ(redirect.status, 302);
  const std::string location = redirect.headers.at("Location");
  EXPECT_EQ(location.rfind("http://localhost/cb?code=", 0), 0u) << location;
  EXPECT_NE(location.find("state=xyz"), std::string::npos);
  const auto token =
      SimProcess::request("POST", base + "/oauth/v1/token",
                          "grant_type=authorization_code&client_id=hubspot-client&client_secret=hubspot-secret"
                          "&redirect_uri=http%3A%2F%2Flocalhost%2Fcb&code=" +
                              codeFrom(location),
                          kForm);
  ASSERT_EQ(token.status, 200) << token.body;
  const auto grant = token.json();
  EXPECT_EQ(grant["expires_in"], 1800);
  EXPECT_EQ(grant["token_type"], "bearer");
  const std::map<std::string, std::string> auth = {
      {"Authorization", "Bearer " + grant["access_token"].get<std::string>()}};
  const auto ok = SimProcess::request("GET", base + "/crm/v3/objects/deals", "", auth);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.headers.count("X-HubSpot-RateLimit-Daily"), 0u) << "OAuth apps get no daily headers";
  // Expiry follows the simulated clock.
  SimProcess::request("POST", sim.adminUrl("hubspot") + "/clock/advance", R"({"seconds":1801})");
  const auto expired = SimProcess::request("GET", base + "/crm/v3/objects/deals", "", auth);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.json()["category"], "EXPIRED_AUTHENTICATION");
  const std::string refreshBody =
      "grant_type=refresh_token&client_id=hubspot-client&client_secret=hubspot-secret&refresh_"
      "token=" +
      grant["refresh_token"].get<std::string>();
  const auto refreshed = SimProcess::request("POST", base + "/oauth/v1/token", refreshBody, kForm);
  ASSERT_EQ(refreshed.status, 200);
  EXPECT_EQ(SimProcess::request("GET", base + "/crm/v3/objects/deals", "",
                                {{"Authorization", "Bearer " + refreshed.json()["access_token"].get<std::string>()}})
                .status,
            200);
  EXPECT_EQ(
      SimProcess::request("DELETE", base + "/oauth/v1/refresh-tokens/" + grant["refresh_token"].get<std::string>())
          .status,
      204);
  const auto revoked = SimProcess::request("POST", base + "/oauth/v1/token", refreshBody, kForm);
  EXPECT_EQ(revoked.status, 400);
  EXPECT_EQ(revoked.json()["status"], "BAD_REFRESH_TOKEN");
  // A code is single-use.
  EXPECT_EQ(SimProcess::request("POST", base + "/oauth/v1/token",
                                "grant_type=authorization_code&client_id=hubspot-client&client_secret=hubspot-secret"
                                "&redirect_uri=http%3A%2F%2Flocalhost%2Fcb&code=" +
                                    codeFrom(location),
                                kForm)
                .status,
            400);
}

TEST(oauth, SalesforceTokenHasNoExpiresInAndSessionsTimeOutOnTheClock) {
  SimProcess sim("vendors:\n  salesforce:\n    auth: {session_timeout_s: 7200}\n");
  const std::string base = sim.baseUrl("salesforce");
  const auto redirect = SimProcess::request("GET", base +
                                                       "/services/oauth2/"
                                                       "authorize?response_type=code&client_id=salesforce-client&"
                                                       "redirect_uri=http%3A%2F%2Flocalhost%2Fcb");
  ASSERT_EQ(redirect.status, 302);
  const auto token =
      SimProcess::request("POST", base + "/services/oauth2/token",
                          "grant_type=authorization_code&client_id=salesforce-client&client_secret=salesforce-secret"
                          "&redirect_uri=http%3A%2F%2Flocalhost%2Fcb&code=" +
                              codeFrom(redirect.headers.at("Location")),
                          kForm);
  ASSERT_EQ(token.status, 200) << token.body;
  const auto grant = token.json();
  EXPECT_FALSE(grant.contains("expires_in"));
  EXPECT_EQ(grant["instance_url"], base);
  EXPECT_EQ(grant["token_type"], "Bearer");
  EXPECT_EQ(grant["issued_at"], "1717200000000") << "milliseconds, as a string, on the simulated clock";
  EXPECT_TRUE(grant.contains("refresh_token"));
  const std::string query = base + "/services/data/v60.0/query?q=SELECT+Id+FROM+Account+LIMIT+1";
  const std::map<std::string, std::string> auth = {
      {"Authorization", "Bearer " + grant["access_token"].get<std::string>()}};
  EXPECT_EQ(SimProcess::request("GET", query, "", auth).status, 200);
  SimProcess::request("POST", sim.adminUrl("salesforce") + "/clock/advance", R"({"seconds":7201})");
  const auto expired = SimProcess::request("GET", query, "", auth);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.body, R"([{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}])");
  const auto refreshed = SimProcess::request("POST", base + "/services/oauth2/token",
                                             "grant_type=refresh_token&client_id=salesforce-client&"
                                             "client_secret=salesforce-secret&refresh_token=" +
                                                 grant["refresh_token"].get<std::string>(),
                                             kForm);
  ASSERT_EQ(refreshed.status, 200);
  EXPECT_FALSE(refreshed.json().contains("refresh_token")) << "no rotation unless configured";
  EXPECT_FALSE(refreshed.json().contains("expires_in"));
  EXPECT_EQ(SimProcess::request("GET", query, "",
                                {{"Authorization", "Bearer " + refreshed.json()["access_token"].get<std::string>()}})
                .status,
            200);
  EXPECT_EQ(SimProcess::request("POST", base + "/services/oauth2/revoke",
                                "token=" + grant["refresh_token"].get<std::string>(), kForm)
                .status,
            200);
  const auto afterRevoke = SimProcess::request("POST", base + "/services/oauth2/token",
                                               "grant_type=refresh_token&client_id=salesforce-client&client_secret="
                                               "salesforce-secret&refresh_token=" +
                                                   grant["refresh_token"].get<std::string>(),
                                               kForm);
  EXPECT_EQ(afterRevoke.status, 400);
  EXPECT_EQ(afterRevoke.json()["error"], "invalid_grant");
}
