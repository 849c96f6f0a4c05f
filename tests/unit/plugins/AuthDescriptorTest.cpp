// ABI 1.1 auth in the descriptor: the auth types the loader reads (fixture_auth_vendor.cpp, on
// sdk.hpp) with the host's defaults filled in, their JSON through a probe in a child process and
// back, and every refusal of DescriptorReader::validateAuth with its exact message.
#include <gtest/gtest.h>

#include "PluginTestSupport.h"
#include "plugins/DescriptorReader.h"
#include "plugins/PluginRegistry.h"

namespace tributary::plugins {
namespace {

using testing::loadPlugin;

std::filesystem::path authFixtureDir() { return TRIBUTARY_TEST_AUTH_FIXTURE_DIR; }
std::filesystem::path authFixture() { return authFixtureDir() / "fixture_auth_vendor.so"; }

TEST(auth_descriptor, TheFixtureDeclaresFourAuthTypesWithTheHostsDefaults) {
  auto p = loadPlugin(authFixture());
  EXPECT_EQ(p->name(), "tributary.fixture_auth");
  ASSERT_EQ(p->auths().size(), 4u);

  const AuthDescriptor* oauth = p->findAuth(AuthType::OAuth2);
  ASSERT_EQ(oauth, &p->auths()[0]) << "in the declared order";
  EXPECT_FALSE(oauth->inQuery || oauth->pkce || oauth->clientBasic);
  EXPECT_EQ(oauth->paramName, "Authorization") << "NULL param_name: the default header";
  EXPECT_EQ(oauth->valuePrefix, "Bearer ") << "NULL value_prefix: the default for oauth2";
  EXPECT_EQ(oauth->authorizeUrl, "https://login.salesforce.com/services/oauth2/authorize");
  EXPECT_EQ(oauth->tokenUrl, "https://login.salesforce.com/services/oauth2/token");
  EXPECT_EQ(oauth->scopes, "api refresh_token");
  EXPECT_EQ(oauth->authorizeParams, "");
  EXPECT_EQ(oauth->description, "Salesforce's OAuth 2.0 web server flow");

  const AuthDescriptor* bearer = p->findAuth(AuthType::Bearer);
  ASSERT_EQ(bearer, &p->auths()[1]);
  EXPECT_EQ(bearer->paramName, "Authorization");
  EXPECT_EQ(bearer->valuePrefix, "Bearer ");
  EXPECT_EQ(bearer->authorizeUrl, "");
  EXPECT_EQ(bearer->tokenUrl, "");
  EXPECT_EQ(bearer->scopes, "");

  const AuthDescriptor* basic = p->findAuth(AuthType::Basic);
  ASSERT_EQ(basic, &p->auths()[2]);
  EXPECT_EQ(basic->paramName, "Authorization");
  EXPECT_EQ(basic->valuePrefix, "") << "basic has no prefix of the connector's";

  const AuthDescriptor* key = p->findAuth(AuthType::ApiKey);
  ASSERT_EQ(key, &p->auths()[3]);
  EXPECT_FALSE(key->inQuery);
  EXPECT_EQ(key->paramName, "X-Api-Key");
  EXPECT_EQ(key->valuePrefix, "") << "NULL value_prefix: none for api_key";
  EXPECT_EQ(key->description, "A key in the X-Api-Key header");

  ASSERT_EQ(p->httpRules().size(), 1u);
  EXPECT_EQ(p->httpRules()[0].action, HttpRuleAction::RefreshAuth);
  EXPECT_EQ(p->httpRules()[0].status, 401);
  EXPECT_EQ(p->httpRules()[0].errorCode, "INVALID_SESSION_ID");
  EXPECT_EQ(p->httpRules()[0].limitClass, "");
  ASSERT_EQ(p->rateLimits().size(), 1u);
  EXPECT_EQ(p->rateLimits()[0].name, "api");
  for (const auto& k : p->configSchema()) EXPECT_FALSE(k.secret) << k.key << ": the fixture holds no credential";
}

TEST(auth_descriptor, AuthTypeNamesAreTheConnectionsAuthTypes) {
  for (auto [type, name] : {std::pair{AuthType::Bearer, "bearer"}, std::pair{AuthType::Basic, "basic"},
                            std::pair{AuthType::ApiKey, "api_key"}, std::pair{AuthType::OAuth2, "oauth2"}}) {
    EXPECT_EQ(toString(type), name);
    EXPECT_EQ(parseAuthType(name), type);
  }
  EXPECT_EQ(parseAuthType("oauth"), std::nullopt);
  EXPECT_EQ(parseAuthType("Bearer"), std::nullopt);
  EXPECT_EQ(authTypeName(TRIBUTARY_AUTH_API_KEY), "api_key");
  EXPECT_EQ(authTypeName(9), "unknown");
  EXPECT_EQ(toString(HttpRuleAction::RefreshAuth), "refresh_auth");
}

TEST(auth_descriptor, ToJsonListsTheAuthTypesAndFromJsonReadsThemBack) {
  auto p = loadPlugin(authFixture());
  const nlohmann::json j = p->toJson();
  ASSERT_EQ(j["auth"].size(), 4u);
  EXPECT_EQ(j["auth"][0], (nlohmann::json{{"type", "oauth2"},
                                          {"in_query", false},
                                          {"pkce", false},
                                          {"client_basic", false},
                                          {"param_name", "Authorization"},
                                          {"value_prefix", "Bearer "},
                                          {"authorize_url", "https://login.salesforce.com/services/oauth2/authorize"},
                                          {"token_url", "https://login.salesforce.com/services/oauth2/token"},
                                          {"scopes", "api refresh_token"},
                                          {"authorize_params", nullptr},
                                          {"description", "Salesforce's OAuth 2.0 web server flow"}}));
  EXPECT_EQ(j["auth"][3], (nlohmann::json{{"type", "api_key"},
                                          {"in_query", false},
                                          {"pkce", false},
                                          {"client_basic", false},
                                          {"param_name", "X-Api-Key"},
                                          {"value_prefix", ""},
                                          {"authorize_url", nullptr},
                                          {"token_url", nullptr},
                                          {"scopes", nullptr},
                                          {"authorize_params", nullptr},
                                          {"description", "A key in the X-Api-Key header"}}));
  EXPECT_EQ(j["http_rules"][0]["action"], "refresh_auth");

  auto back = ConnectorPlugin::fromJson(j);
  EXPECT_FALSE(back->hasCode());
  ASSERT_EQ(back->auths().size(), p->auths().size());
  for (size_t i = 0; i < p->auths().size(); ++i) {
    const auto &a = p->auths()[i], &b = back->auths()[i];
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.inQuery, b.inQuery);
    EXPECT_EQ(a.pkce, b.pkce);
    EXPECT_EQ(a.clientBasic, b.clientBasic);
    EXPECT_EQ(a.paramName, b.paramName);
    EXPECT_EQ(a.valuePrefix, b.valuePrefix);
    EXPECT_EQ(a.authorizeUrl, b.authorizeUrl);
    EXPECT_EQ(a.tokenUrl, b.tokenUrl);
    EXPECT_EQ(a.scopes, b.scopes);
    EXPECT_EQ(a.authorizeParams, b.authorizeParams);
    EXPECT_EQ(a.description, b.description);
  }
  EXPECT_EQ(back->httpRules()[0].action, HttpRuleAction::RefreshAuth);
  EXPECT_EQ(back->toJson(), j);
}

TEST(auth_descriptor, FromJsonRefusesABadAuthTypeNamingTheFieldAndReadsAnOlderProbeAsNone) {
  nlohmann::json j = loadPlugin(authFixture())->toJson();
  auto refusal = [](const nlohmann::json& bad) {
    try {
      ConnectorPlugin::fromJson(bad);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  nlohmann::json bad = j;
  bad["auth"][1]["type"] = "oauth";
  EXPECT_EQ(refusal(bad), "plugin.auth[1].type is not bearer, basic, api_key or oauth2");
  bad = j;
  bad["auth"][2].erase("param_name");
  EXPECT_EQ(refusal(bad), "plugin.auth[2] has no \"param_name\"");
  bad = j;
  bad["http_rules"][0]["action"] = "refresh";
  EXPECT_EQ(refusal(bad), "plugin.http_rules[0].action is not retry, rate_limit, quota or refresh_auth");
  // A probe of a host before 1.1 auth listed none.
  bad = j;
  bad.erase("auth");
  EXPECT_TRUE(ConnectorPlugin::fromJson(bad)->auths().empty());
}

// The probe path: `serve` and `plugins list` know a plugin from a child process's JSON, and must
// see the same auth types as loading here.
TEST(auth_descriptor, AProbeInAChildProcessReportsTheSameAuthTypes) {
  PluginRegistry loaded = PluginRegistry::scan({{authFixtureDir()}, {}});
  PluginRegistry::Options o;
  o.dirs = {authFixtureDir()};
  o.mode = PluginRegistry::Mode::Probe;
  o.probe.executable = TRIBUTARY_TEST_TRIBUTARY_BINARY;
  PluginRegistry probed = PluginRegistry::scan(o);
  ASSERT_EQ(probed.plugins().size(), 1u);
  EXPECT_TRUE(probed.refused().empty());
  EXPECT_FALSE(probed.plugins()[0]->hasCode());
  EXPECT_EQ(probed.toJson(), loaded.toJson());
  const AuthDescriptor* oauth = probed.plugins()[0]->findAuth(AuthType::OAuth2);
  ASSERT_TRUE(oauth);
  EXPECT_EQ(oauth->tokenUrl, "https://login.salesforce.com/services/oauth2/token");
  EXPECT_EQ(probed.plugins()[0]->findAuth(AuthType::ApiKey)->paramName, "X-Api-Key");
}

// The checks of the auth types, each with its message: the loader refuses such a plugin ("has an
// invalid descriptor: ...; fix the plugin").
class auth_descriptor_checks : public ::testing::Test {
 protected:
  void SetUp() override {
    plugin = loadPlugin(authFixture());
    d = plugin->descriptor();
    auths.assign(d.auths, d.auths + d.auth_count);
    rules.assign(d.http_rules, d.http_rules + d.http_rule_count);
    ASSERT_EQ(auths.size(), 4u);
    ASSERT_EQ(auths[0].type, uint32_t{TRIBUTARY_AUTH_OAUTH2});
    ASSERT_EQ(auths[1].type, uint32_t{TRIBUTARY_AUTH_BEARER});
    ASSERT_EQ(auths[2].type, uint32_t{TRIBUTARY_AUTH_BASIC});
    ASSERT_EQ(auths[3].type, uint32_t{TRIBUTARY_AUTH_API_KEY});
  }
  void point() {
    d.auths = auths.empty() ? nullptr : auths.data();
    d.auth_count = static_cast<uint32_t>(auths.size());
    d.http_rules = rules.empty() ? nullptr : rules.data();
    d.http_rule_count = static_cast<uint32_t>(rules.size());
  }
  std::string validate() {
    point();
    return DescriptorReader(d).validate();
  }
  // The host's reading of a descriptor that passed validate().
  std::shared_ptr<const ConnectorPlugin> read() {
    point();
    EXPECT_EQ(DescriptorReader(d).validate(), "");
    return std::make_shared<const ConnectorPlugin>(std::shared_ptr<const void>(), &d, "/nowhere/auth.so");
  }
  std::shared_ptr<const ConnectorPlugin> plugin;
  tributary_connector_v1 d{};
  std::vector<tributary_auth_v1> auths;
  std::vector<tributary_http_rule_v1> rules;
};

TEST_F(auth_descriptor_checks, TheFixtureIsValid) { EXPECT_EQ(validate(), ""); }

TEST_F(auth_descriptor_checks, RefusesAnUnknownType) {
  auths[1].type = 0;
  EXPECT_EQ(validate(), "auth type 1 has the type 0 (known: TRIBUTARY_AUTH_BEARER 1, BASIC 2, API_KEY 3, OAUTH2 4)");
  auths[1].type = 5;
  EXPECT_EQ(validate(), "auth type 1 has the type 5 (known: TRIBUTARY_AUTH_BEARER 1, BASIC 2, API_KEY 3, OAUTH2 4)");
}

TEST_F(auth_descriptor_checks, RefusesATypeDeclaredTwice) {
  auths[2] = auths[1];
  EXPECT_EQ(validate(), "auth type bearer is declared twice");
}

TEST_F(auth_descriptor_checks, RefusesMoreThanOneOfEachTypeOrACountWithoutAnArray) {
  auths.push_back(auths[1]);
  EXPECT_EQ(validate(), "it declares 5 auth types (at most 4, one of each)");
  d.auth_count = 2;
  d.auths = nullptr;
  EXPECT_EQ(DescriptorReader(d).validate(), "auth_count is 2 but auths is NULL");
}

TEST_F(auth_descriptor_checks, RefusesAnUnknownFlagBit) {
  auths[0].flags = TRIBUTARY_AUTH_PKCE | 0x8u;
  EXPECT_EQ(validate(),
            "auth type oauth2 has unknown flag bits 0x8 (known: TRIBUTARY_AUTH_IN_QUERY 0x1, TRIBUTARY_AUTH_PKCE 0x2, "
            "TRIBUTARY_AUTH_CLIENT_BASIC 0x4)");
}

TEST_F(auth_descriptor_checks, RefusesAFlagItsTypeCannotHave) {
  auths[1].flags = TRIBUTARY_AUTH_IN_QUERY;
  EXPECT_EQ(validate(), "auth type bearer has the flags 0x1, which it cannot");
  auths[1].flags = 0;
  auths[2].flags = TRIBUTARY_AUTH_CLIENT_BASIC;
  EXPECT_EQ(validate(), "auth type basic has the flags 0x4, which it cannot");
  auths[2].flags = 0;
  auths[3].flags = TRIBUTARY_AUTH_IN_QUERY | TRIBUTARY_AUTH_PKCE;
  EXPECT_EQ(validate(), "auth type api_key has the flags 0x2, which it cannot");
  auths[3].flags = TRIBUTARY_AUTH_IN_QUERY;
  auths[0].flags = TRIBUTARY_AUTH_IN_QUERY | TRIBUTARY_AUTH_CLIENT_BASIC;
  EXPECT_EQ(validate(), "auth type oauth2 has the flags 0x1, which it cannot");
  auths[0].flags = TRIBUTARY_AUTH_PKCE | TRIBUTARY_AUTH_CLIENT_BASIC;
  EXPECT_EQ(validate(), "") << "each type's own flags";
}

TEST_F(auth_descriptor_checks, RefusesReservedBitsInAnEntryOrInTheDescriptor) {
  auths[3].reserved = 2;
  EXPECT_EQ(validate(), "auth type api_key has reserved 0x2 (reserved: 0)");
  auths[3].reserved = 0;
  d.reserved_auth = 1;
  EXPECT_EQ(validate(), "reserved_auth is 0x1 (reserved: 0)");
}

TEST_F(auth_descriptor_checks, RefusesTruncatedEntries) {
  auths[0].struct_size = 8;
  EXPECT_EQ(validate(), "its auth entries are truncated (struct_size 8, ABI 1.1 needs at least " +
                            std::to_string(sizeof(tributary_auth_v1)) + ")");
}

TEST_F(auth_descriptor_checks, RefusesAnApiKeyWithoutTheParameterThatCarriesIt) {
  auths[3].param_name = nullptr;
  EXPECT_EQ(validate(), "auth type api_key names no param_name (the header or query parameter that carries the key)");
  auths[3].param_name = "";
  EXPECT_EQ(validate(), "auth type api_key names no param_name (the header or query parameter that carries the key)");
}

TEST_F(auth_descriptor_checks, RefusesABasicThatNamesAHeaderOrAPrefix) {
  auths[2].param_name = "X-Auth";
  EXPECT_EQ(validate(), "auth type basic has a param_name or value_prefix (basic always uses Authorization: Basic)");
  auths[2].param_name = nullptr;
  auths[2].value_prefix = "Basic ";
  EXPECT_EQ(validate(), "auth type basic has a param_name or value_prefix (basic always uses Authorization: Basic)");
}

TEST_F(auth_descriptor_checks, RefusesAHeaderNameThatIsNotOneButTakesAnyQueryParameter) {
  auths[3].param_name = "X Api:Key";
  EXPECT_EQ(validate(), "auth type api_key has the header name 'X Api:Key', which is not a header name");
  auths[3].param_name = "X-Api-Key";
  auths[1].param_name = "X-Token\r\n";
  EXPECT_EQ(validate(), "auth type bearer has the header name 'X-Token\r\n', which is not a header name");
  auths[1].param_name = nullptr;
  auths[3].flags = TRIBUTARY_AUTH_IN_QUERY;
  auths[3].param_name = "api.key";
  EXPECT_EQ(validate(), "") << "a query parameter is not a header";
}

TEST_F(auth_descriptor_checks, RefusesAnOAuth2WithoutItsEndpoints) {
  auths[0].authorize_url = nullptr;
  EXPECT_EQ(validate(), "auth type oauth2 has no http(s) authorize_url");
  auths[0].authorize_url = "login.salesforce.com/services/oauth2/authorize";
  EXPECT_EQ(validate(), "auth type oauth2 has no http(s) authorize_url");
  auths[0].authorize_url = "http://127.0.0.1:8080/services/oauth2/authorize";
  EXPECT_EQ(validate(), "") << "http is allowed (a simulator)";
  auths[0].token_url = "";
  EXPECT_EQ(validate(), "auth type oauth2 has no http(s) token_url");
  auths[0].token_url = "ftp://login.salesforce.com/token";
  EXPECT_EQ(validate(), "auth type oauth2 has no http(s) token_url");
}

TEST_F(auth_descriptor_checks, RefusesOAuthFieldsOnAnotherType) {
  const std::string only = " has OAuth URLs, scopes or authorize_params, which only oauth2 takes";
  auths[1].token_url = "https://vendor.example/token";
  EXPECT_EQ(validate(), "auth type bearer" + only);
  auths[1].token_url = nullptr;
  auths[2].authorize_url = "https://vendor.example/authorize";
  EXPECT_EQ(validate(), "auth type basic" + only);
  auths[2].authorize_url = nullptr;
  auths[3].scopes = "read";
  EXPECT_EQ(validate(), "auth type api_key" + only);
  auths[3].scopes = "";
  auths[3].authorize_params = "access_type=offline";
  EXPECT_EQ(validate(), "auth type api_key" + only);
  auths[3].authorize_params = "";
  EXPECT_EQ(validate(), "") << "empty is not set";
}

TEST_F(auth_descriptor_checks, RefusesARefreshAuthRuleWithoutAnOAuth2Type) {
  auths.erase(auths.begin());
  EXPECT_EQ(validate(), "HTTP rule 0 is a REFRESH_AUTH rule, but the connector declares no oauth2 auth type");
  auths.clear();
  EXPECT_EQ(validate(), "HTTP rule 0 is a REFRESH_AUTH rule, but the connector declares no oauth2 auth type");
  rules.clear();
  EXPECT_EQ(validate(), "") << "no auth types and no rule: a connection has no auth: section";
}

TEST_F(auth_descriptor_checks, RefusesARefreshAuthRuleNamingAClass) {
  rules[0].limit_class = "api";
  EXPECT_EQ(validate(), "HTTP rule 0 names the class 'api', which a REFRESH_AUTH rule cannot");
  rules[0].limit_class = "";
  EXPECT_EQ(validate(), "");
}

TEST_F(auth_descriptor_checks, TheHostReadsTheConnectorsHeaderAndPrefixOrItsDefaults) {
  auths[1].param_name = "X-Token";
  auths[1].value_prefix = "";  // the bare token
  auths[3].value_prefix = "Token ";
  auths[3].flags = TRIBUTARY_AUTH_IN_QUERY;
  auths[0].param_name = "";  // "" is NULL: Authorization
  auths[0].value_prefix = "OAuth ";
  auths[0].flags = TRIBUTARY_AUTH_PKCE | TRIBUTARY_AUTH_CLIENT_BASIC;
  auths[0].authorize_params = "prompt=consent";
  auto p = read();
  const AuthDescriptor* bearer = p->findAuth(AuthType::Bearer);
  EXPECT_EQ(bearer->paramName, "X-Token");
  EXPECT_EQ(bearer->valuePrefix, "");
  const AuthDescriptor* key = p->findAuth(AuthType::ApiKey);
  EXPECT_TRUE(key->inQuery);
  EXPECT_EQ(key->paramName, "X-Api-Key");
  EXPECT_EQ(key->valuePrefix, "Token ");
  const AuthDescriptor* oauth = p->findAuth(AuthType::OAuth2);
  EXPECT_EQ(oauth->paramName, "Authorization");
  EXPECT_EQ(oauth->valuePrefix, "OAuth ");
  EXPECT_TRUE(oauth->pkce);
  EXPECT_TRUE(oauth->clientBasic);
  EXPECT_FALSE(oauth->inQuery);
  EXPECT_EQ(oauth->authorizeParams, "prompt=consent");
  // And the probe's JSON of them reads back the same.
  auto back = ConnectorPlugin::fromJson(p->toJson());
  EXPECT_EQ(back->toJson(), p->toJson());
  EXPECT_EQ(back->findAuth(AuthType::ApiKey)->valuePrefix, "Token ");
  EXPECT_TRUE(back->findAuth(AuthType::OAuth2)->clientBasic);
  // Without auth types, none; findAuth finds nothing.
  auths.clear();
  rules.clear();
  auto none = read();
  EXPECT_TRUE(none->auths().empty());
  EXPECT_EQ(none->findAuth(AuthType::Bearer), nullptr);
  EXPECT_EQ(none->toJson()["auth"], nlohmann::json::array());
}

}  // namespace
}  // namespace tributary::plugins
