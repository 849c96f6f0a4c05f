// A connection's auth: {type, ...}, as the loader reads it. (Whether the connector accepts the type
// is checked against the plugin: app::validateAuth.)
#include <gtest/gtest.h>

#include "common/Redact.h"
#include "config/ConfigLoader.h"

using namespace tributary;
using namespace tributary::config;

namespace auth_config_test {

LoadResult load(const std::string& yaml) {
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "SF_SECRET") return std::string("the-client-secret");
    if (name == "HS_TOKEN") return std::string("pat-na1-0123");
    if (name == "HS_LONG") return std::string("pat-na1-0123456789");
    return std::nullopt;
  };
  return ConfigLoader(env).loadString(yaml, "t.yaml", "/etc/trib");
}

std::vector<std::string> messages(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics.items()) out.push_back(d.format());
  return out;
}

// Lines 1-5; the connection's own keys follow from line 6.
const std::string kConnection =
    "workspaces:\n  - {slug: acme}\nconnections:\n  - workspace: acme\n    connector: tributary.salesforce\n";

LoadResult withAuth(const std::string& auth) { return load(kConnection + "    auth: " + auth + "\n"); }

TEST(AuthConfig, AbsentMeansNoAuth) {
  auto r = load(kConnection);
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_FALSE(r.config.connections[0].auth.given());
}

TEST(AuthConfig, ReadsAnOauth2ConnectionWithItsOverrides) {
  auto r = withAuth(
      "{type: oauth2, client_id: 3MVG9, client_secret: \"${SF_SECRET}\", scopes: \"api refresh_token\","
      " authorize_url: \"https://test.salesforce.com/services/oauth2/authorize\","
      " token_url: \"https://test.salesforce.com/services/oauth2/token\","
      " redirect_uri: \"https://trib.example.com/oauth/callback\"}");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  const AuthConfig& a = r.config.connections[0].auth;
  EXPECT_EQ(a.type, "oauth2");
  EXPECT_EQ(a.value("client_id"), "3MVG9");
  EXPECT_EQ(a.value("client_secret"), "the-client-secret");
  EXPECT_EQ(a.values.at("client_secret").source, ValueSource::Environment);
  EXPECT_EQ(a.scopes.value_or(""), "api refresh_token");
  EXPECT_EQ(a.tokenUrl.value_or(""), "https://test.salesforce.com/services/oauth2/token");
  EXPECT_EQ(a.redirectUri.value_or(""), "https://trib.example.com/oauth/callback");
  EXPECT_EQ(a.path, "connections[0].auth");
}

TEST(AuthConfig, ASecretWrittenInTheFileIsRefusedNamingTheKey) {
  EXPECT_EQ(messages(withAuth("{type: bearer, token: pat-na1-literal}")),
            std::vector<std::string>{"t.yaml:6:33: connections[0].auth.token: auth.token is a secret: give it as "
                                     "${ENV_VAR} or {secret_file: PATH}, never in the file"});
  auto ok = withAuth("{type: bearer, token: \"${HS_TOKEN}\"}");
  ASSERT_TRUE(ok.ok()) << ok.diagnostics.format();
  EXPECT_EQ(ok.config.connections[0].auth.value("token"), "pat-na1-0123");
}

TEST(AuthConfig, EachTypeNamesWhatItNeedsAndRefusesWhatItDoesNotTake) {
  EXPECT_EQ(messages(withAuth("{type: basic, username: me}")),
            std::vector<std::string>{"t.yaml:6:11: connections[0].auth.password: auth type basic needs password"});
  EXPECT_EQ(messages(withAuth("{type: api_key}")),
            std::vector<std::string>{"t.yaml:6:11: connections[0].auth.key: auth type api_key needs key"});
  const auto r = withAuth("{type: bearer, token: \"${HS_TOKEN}\", client_id: x}");
  ASSERT_EQ(messages(r).size(), 1u);
  EXPECT_NE(messages(r)[0].find("connections[0].auth.client_id"), std::string::npos) << messages(r)[0];
  EXPECT_EQ(messages(withAuth("{client_id: x}")),
            std::vector<std::string>{"t.yaml:6:11: connections[0].auth.type: auth: needs a type: bearer, basic, "
                                     "api_key or oauth2 (one the connector declares)"});
  const auto bad = messages(withAuth("{type: oauth}"));
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].find("must be one of bearer, basic, api_key, oauth2, got \"oauth\" (did you mean \"oauth2\"?)"),
            std::string::npos)
      << bad[0];
  const auto url = messages(withAuth("{type: oauth2, client_id: x, token_url: login.salesforce.com}"));
  ASSERT_EQ(url.size(), 1u);
  EXPECT_NE(url[0].find("auth.token_url must be an http:// or https:// URL"), std::string::npos) << url[0];
}

TEST(AuthConfig, TheServersPublicUrlMakesTheDefaultRedirect) {
  auto r = load("server: {public_url: \"https://trib.example.com/\"}\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(r.config.server.baseUrl(), "https://trib.example.com");
  auto d = load("server: {bind: 0.0.0.0, port: 9000}\n");
  EXPECT_EQ(d.config.server.baseUrl(), "http://127.0.0.1:9000");
  EXPECT_EQ(messages(load("server: {public_url: trib.example.com}\n")).size(), 1u);
}

TEST(AuthConfig, ACredentialsSecretsAreRedactedFromEveryLineOnceLoaded) {
  redact::forgetAllForTesting();
  EXPECT_EQ(redact::text("sent pat-na1-0123456789"), "sent pat-na1-0123456789");
  auto r = load(kConnection + "    auth: {type: bearer, token: \"${HS_LONG}\"}\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(redact::text("sent pat-na1-0123456789"), "sent [redacted]");
  auto basic = load(kConnection + "    auth: {type: basic, username: me, password: \"${SF_SECRET}\"}\n");
  ASSERT_TRUE(basic.ok()) << basic.diagnostics.format();
  // The password, and the header it makes (base64 of me:the-client-secret).
  EXPECT_EQ(redact::text("pw the-client-secret"), "pw [redacted]");
  EXPECT_EQ(redact::text("hdr bWU6dGhlLWNsaWVudC1zZWNyZXQ="), "hdr [redacted]");
  redact::forgetAllForTesting();
}

}  // namespace auth_config_test
