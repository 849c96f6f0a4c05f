// ABI 1.1 auth at the host API: get_auth_value (the tokens refused, a value host-owned until the
// hook returns, the services' refusals as the plugin and the hook see them), TRIBUTARY_HTTP_NO_AUTH
// reaching http::HttpRequest::noAuth, and the auth fixture on sdk.hpp driven through the loader:
// it reads instance_url from the host, pages through nextRecordsUrl and sends no credential of its
// own.
#include <cstddef>

#include <gtest/gtest.h>

#include "PluginTestSupport.h"
#include "common/Strings.h"
#include "plugins/HostContext.h"

namespace tributary::plugins::auth_host_api_test {

using testing::loadPlugin;
using testing::makeInstance;
using testing::RecordingRunServices;

tributary_str str(std::string_view s) { return {s.data(), s.size()}; }
std::string text(tributary_str v) { return std::string(v.data ? v.data : "", v.size); }

// Services with a credential: answers get_auth_value from `values` (or throws `refusal`), and keeps
// the facts and counters the fixture sets.
class AuthServices : public RecordingRunServices {
 public:
  std::string authValue(std::string_view name) override {
    asked.emplace_back(name);
    if (refusal) throw *refusal;
    auto it = values.find(std::string(name));
    return it == values.end() ? "" : it->second;
  }
  void setRunFact(std::string_view name, std::string_view json) override {
    facts[std::string(name)] = std::string(json);
  }
  void addRunCounter(std::string_view name, int64_t delta) override { counters[std::string(name)] += delta; }

  std::map<std::string, std::string> values;
  std::optional<RunStopped> refusal;
  std::vector<std::string> asked;
  std::map<std::string, std::string> facts;
  std::map<std::string, int64_t> counters;
};

tributary_host_ctx hookCtx(RunServices& services) {
  tributary_host_ctx ctx;
  ctx.services = &services;
  ctx.pluginMinor = 1;
  ctx.hook = "initial_sync";
  return ctx;
}

std::filesystem::path authFixture() {
  return std::filesystem::path(TRIBUTARY_TEST_AUTH_FIXTURE_DIR) / "fixture_auth_vendor.so";
}

SyncRequest stream(const std::string& name, const std::string& cursor = "") {
  SyncRequest r;
  r.stream = name;
  r.cursorJson = cursor;
  return r;
}

bool hasHeader(const http::HttpRequest& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (strings::toLower(n) == strings::toLower(name)) return true;
  }
  return false;
}

TEST(auth_host_api, GetAuthValueRefusesEachTokenAsFatalAndNeverAsksTheServices) {
  for (const std::string token :
       {"access_token", "refresh_token", "id_token", "Access-Token", "client_secret", "session_token", "password"}) {
    AuthServices services;
    services.values[token] = "must never leave the host";
    tributary_host_ctx ctx = hookCtx(services);
    tributary_str out{"junk", 4};
    EXPECT_EQ(hostApiTable()->get_auth_value(&ctx, str(token), &out), TRIBUTARY_FATAL) << token;
    EXPECT_EQ(out.data, nullptr);
    EXPECT_EQ(out.size, 0u);
    ASSERT_TRUE(ctx.hostFailure);
    EXPECT_EQ(ctx.hostFailure->code, ResultCode::Fatal);
    EXPECT_EQ(ctx.hostFailure->message, "get_auth_value: '" + token +
                                            "' is a token or a secret, which the host adds to requests itself and "
                                            "never hands to a plugin");
    EXPECT_TRUE(services.asked.empty()) << token;
  }
}

TEST(auth_host_api, GetAuthValueGivesHostOwnedValuesThatLastUntilTheHookReturns) {
  AuthServices services;
  services.values["instance_url"] = "https://na1.my.salesforce.com";
  services.values["api_base_url_for_customer"] = "https://us-4242.api.gong.io";
  tributary_host_ctx ctx = hookCtx(services);
  tributary_str first{nullptr, 0}, second{nullptr, 0}, none{"junk", 4};
  ASSERT_EQ(hostApiTable()->get_auth_value(&ctx, str("instance_url"), &first), TRIBUTARY_OK);
  ASSERT_EQ(hostApiTable()->get_auth_value(&ctx, str("api_base_url_for_customer"), &second), TRIBUTARY_OK);
  ASSERT_EQ(hostApiTable()->get_auth_value(&ctx, str("no_such_field"), &none), TRIBUTARY_OK);
  EXPECT_EQ(text(first), "https://na1.my.salesforce.com") << "still valid after later calls";
  EXPECT_EQ(text(second), "https://us-4242.api.gong.io");
  EXPECT_EQ(text(none), "") << "a field the token answer did not have";
  EXPECT_EQ(services.asked, (std::vector<std::string>{"instance_url", "api_base_url_for_customer", "no_such_field"}));
  EXPECT_FALSE(ctx.hostFailure);
}

TEST(auth_host_api, GetAuthValueStopsTheHookWithTheServicesCodeAndMessage) {
  for (const auto& [code, abi] :
       {std::pair{ResultCode::Fatal, TRIBUTARY_FATAL}, std::pair{ResultCode::Retry, TRIBUTARY_RETRY},
        std::pair{ResultCode::Cancelled, TRIBUTARY_CANCELLED}}) {
    AuthServices services;
    services.refusal = RunStopped(code, "connection acme/sf is not connected: run `tributary oauth authorize`");
    tributary_host_ctx ctx = hookCtx(services);
    tributary_str out{"junk", 4};
    EXPECT_EQ(hostApiTable()->get_auth_value(&ctx, str("instance_url"), &out), abi);
    EXPECT_EQ(out.data, nullptr);
    ASSERT_TRUE(ctx.hostFailure);
    EXPECT_EQ(ctx.hostFailure->code, code);
    EXPECT_EQ(ctx.hostFailure->message, "connection acme/sf is not connected: run `tributary oauth authorize`");
  }
}

TEST(auth_host_api, GetAuthValueWithoutAConnectionOrOutsideARunIsFatalSayingSo) {
  RecordingRunServices services;  // RunServices' own authValue: no vendor client
  tributary_host_ctx ctx = hookCtx(services);
  tributary_str out{nullptr, 0};
  EXPECT_EQ(hostApiTable()->get_auth_value(&ctx, str("instance_url"), &out), TRIBUTARY_FATAL);
  ASSERT_TRUE(ctx.hostFailure);
  EXPECT_EQ(ctx.hostFailure->message,
            "get_auth_value(\"instance_url\"): this call has no connection whose credential it could read");

  tributary_host_ctx create;
  create.hook = "create";  // no services
  EXPECT_EQ(hostApiTable()->get_auth_value(&create, str("instance_url"), &out), TRIBUTARY_FATAL);
  ASSERT_TRUE(create.hostFailure);
  EXPECT_EQ(create.hostFailure->message,
            "plugin called get_auth_value during create, where it is not available; fix the plugin");
}

TEST(auth_host_api, NoAuthReachesTheRequestAndA10RequestNeverHasIt) {
  RecordingRunServices services;
  services.httpHandler = [](const http::HttpRequest&) { return http::HttpResponse{200, {}, "{}"}; };
  tributary_host_ctx ctx = hookCtx(services);
  tributary_http_request_v1 r{};
  r.struct_size = sizeof r;
  r.method = str("GET");
  r.url = str("https://files.vendor.test/presigned?sig=abc");
  r.flags = TRIBUTARY_HTTP_NO_AUTH;
  const tributary_http_response_v1* out = nullptr;
  ASSERT_EQ(hostApiTable()->http_request(&ctx, &r, &out), TRIBUTARY_OK);
  r.flags = TRIBUTARY_HTTP_NO_AUTH | TRIBUTARY_HTTP_IDEMPOTENT;
  r.method = str("POST");
  ASSERT_EQ(hostApiTable()->http_request(&ctx, &r, &out), TRIBUTARY_OK);
  r.flags = 0;
  ASSERT_EQ(hostApiTable()->http_request(&ctx, &r, &out), TRIBUTARY_OK);
  r.flags = TRIBUTARY_HTTP_NO_AUTH;
  r.struct_size = offsetof(tributary_http_request_v1, flags);  // 1.0: flags lie beyond it
  ctx.pluginMinor = 0;
  ASSERT_EQ(hostApiTable()->http_request(&ctx, &r, &out), TRIBUTARY_OK);
  ASSERT_EQ(services.httpRequests.size(), 4u);
  EXPECT_TRUE(services.httpRequests[0].noAuth);
  EXPECT_FALSE(services.httpRequests[0].idempotent);
  EXPECT_TRUE(services.httpRequests[1].noAuth);
  EXPECT_TRUE(services.httpRequests[1].idempotent);
  EXPECT_FALSE(services.httpRequests[2].noAuth) << "without the flag the credential is added";
  EXPECT_FALSE(services.httpRequests[3].noAuth) << "a 1.0 plugin's request always carries it";
}

TEST(auth_host_api, AnUnknownFlagBitIsFatalAndTheMessageListsNoAuth) {
  RecordingRunServices services;
  tributary_host_ctx ctx = hookCtx(services);
  tributary_http_request_v1 r{};
  r.struct_size = sizeof r;
  r.method = str("GET");
  r.url = str("https://vendor.test/items");
  r.flags = TRIBUTARY_HTTP_NO_AUTH | 0x10u;
  const tributary_http_response_v1* out = nullptr;
  EXPECT_EQ(hostApiTable()->http_request(&ctx, &r, &out), TRIBUTARY_FATAL);
  EXPECT_EQ(text(out->error),
            "http_request: GET https://vendor.test/items has unknown flag bits 0x10 (known: TRIBUTARY_HTTP_IDEMPOTENT "
            "0x1, TRIBUTARY_HTTP_NO_AUTH 0x2)");
  EXPECT_TRUE(services.httpRequests.empty());
}

// --- The auth fixture (sdk.hpp) through the loader ---

// Two pages of the Salesforce query endpoint at `instance`.
void serveTwoPages(AuthServices& services, const std::string& instance) {
  services.httpHandler = [instance](const http::HttpRequest& r) -> http::HttpResponse {
    if (r.url.rfind(instance + "/services/data/v59.0/query?q=", 0) == 0) {
      return {200,
              {},
              R"({"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v59.0/query/01gsim-2","records":[)"
              R"({"Id":"006A","LastModifiedDate":"2024-05-01T10:00:00.000+0000"},)"
              R"({"Id":"006B","LastModifiedDate":"2024-05-02T10:00:00.000+0000"}]})"};
    }
    if (r.url == instance + "/services/data/v59.0/query/01gsim-2") {
      return {200, {}, R"({"totalSize":3,"done":true,"records":[{"Id":"006C","LastModifiedDate":null}]})"};
    }
    if (r.url == instance + "/services/data/v59.0/limits") return {200, {}, "{}"};
    return {404, {}, R"([{"errorCode":"NOT_FOUND"}])"};
  };
}

TEST(auth_host_api, TheAuthFixtureReadsTheInstanceFromTheHostAndSendsNoCredentialOfItsOwn) {
  auto instance = makeInstance(loadPlugin(authFixture()), {});
  AuthServices services;
  services.values["instance_url"] = "https://na1.sf.test/";
  serveTwoPages(services, "https://na1.sf.test");
  CallResult r = instance->sync(SyncMode::Initial, stream("opportunities"), services);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(services.asked, std::vector<std::string>{"instance_url"}) << "once per hook";
  ASSERT_EQ(services.httpRequests.size(), 2u);
  EXPECT_EQ(services.httpRequests[0].url,
            "https://na1.sf.test/services/data/v59.0/query?q=SELECT+Id,Name,Amount,StageName,LastModifiedDate+FROM+"
            "Opportunity");
  EXPECT_EQ(services.httpRequests[1].url, "https://na1.sf.test/services/data/v59.0/query/01gsim-2");
  for (const auto& req : services.httpRequests) {
    EXPECT_FALSE(hasHeader(req, "Authorization")) << req.url << ": the host adds the credential";
    EXPECT_FALSE(hasHeader(req, "Sforce-Query-Options")) << "page_size 0: the vendor's page size";
    EXPECT_FALSE(req.noAuth);
  }
  EXPECT_EQ(services.ids(), (std::vector<std::string>{"006A", "006B", "006C"}));
  EXPECT_EQ(services.records[0].stream, "opportunities");
  EXPECT_EQ(services.records[0].modifiedAtMs, 1714557600000);
  EXPECT_EQ(services.records[2].modifiedAtMs, std::nullopt);
  ASSERT_EQ(services.checkpoints.size(), 2u) << "one per page";
  EXPECT_EQ(services.checkpoints[0].cursorJson, R"({"next":"/services/data/v59.0/query/01gsim-2"})");
  EXPECT_EQ(services.checkpoints[0].recordsBefore, 2u);
  EXPECT_EQ(services.checkpoints[1].cursorJson, R"({"next":""})");
}

TEST(auth_host_api, TheAuthFixtureResumesFromItsCursorAndTakesBaseUrlOverTheInstance) {
  auto instance =
      makeInstance(loadPlugin(authFixture()), {{"base_url", "http://127.0.0.1:9999"}, {"page_size", "500"}});
  AuthServices services;
  serveTwoPages(services, "http://127.0.0.1:9999");
  CallResult r = instance->sync(SyncMode::Initial,
                                stream("opportunities", R"({"next":"/services/data/v59.0/query/01gsim-2"})"), services);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_TRUE(services.asked.empty()) << "base_url given: no get_auth_value";
  ASSERT_EQ(services.httpRequests.size(), 1u);
  EXPECT_EQ(services.httpRequests[0].url, "http://127.0.0.1:9999/services/data/v59.0/query/01gsim-2");
  EXPECT_TRUE(hasHeader(services.httpRequests[0], "Sforce-Query-Options"));
  EXPECT_EQ(services.ids(), std::vector<std::string>{"006C"});
}

TEST(auth_host_api, TheAuthFixturesNoAuthProbeIsMarkedAndItsStatusBecomesAFact) {
  auto instance = makeInstance(loadPlugin(authFixture()), {{"no_auth_probe", "true"}});
  AuthServices services;
  services.values["instance_url"] = "https://na1.sf.test";
  serveTwoPages(services, "https://na1.sf.test");
  auto serve = services.httpHandler;
  services.httpHandler = [serve](const http::HttpRequest& r) -> http::HttpResponse {
    if (r.noAuth) return {401, {}, R"([{"errorCode":"INVALID_SESSION_ID"}])"};  // no credential came
    return serve(r);
  };
  CallResult r = instance->sync(SyncMode::Initial, stream("opportunities"), services);
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(services.httpRequests.size(), 3u);
  EXPECT_EQ(services.httpRequests[0].url, "https://na1.sf.test/services/data/v59.0/limits");
  EXPECT_TRUE(services.httpRequests[0].noAuth);
  EXPECT_FALSE(services.httpRequests[1].noAuth);
  EXPECT_EQ(services.facts["no_auth_probe_status"], "401");
}

TEST(auth_host_api, TheAuthFixturesCheckMakesOneRequestAndCallsARefused401Fatal) {
  auto instance = makeInstance(loadPlugin(authFixture()), {});
  AuthServices services;
  services.values["instance_url"] = "https://na1.sf.test";
  serveTwoPages(services, "https://na1.sf.test");
  CallResult ok = instance->check(services);
  ASSERT_TRUE(ok.ok()) << ok.message;
  ASSERT_EQ(services.httpRequests.size(), 1u);
  EXPECT_EQ(services.httpRequests[0].url, "https://na1.sf.test/services/data/v59.0/limits");

  services.httpHandler = [](const http::HttpRequest&) {
    return http::HttpResponse{
        401, {}, R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])"};
  };
  CallResult refused = instance->check(services);
  EXPECT_EQ(refused.code, ResultCode::Fatal);
  EXPECT_EQ(refused.message,
            "GET https://na1.sf.test/services/data/v59.0/limits answered 401: "
            R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])"
            "; the connection's credential was refused: reconnect it (`tributary oauth authorize`) or fix its auth: "
            "section");
}

TEST(auth_host_api, TheAuthFixtureWithNeitherBaseUrlNorAnInstanceUrlIsFatalSayingWhatToDo) {
  auto instance = makeInstance(loadPlugin(authFixture()), {});
  AuthServices services;  // the token answer had no instance_url
  CallResult r = instance->sync(SyncMode::Initial, stream("opportunities"), services);
  EXPECT_EQ(r.code, ResultCode::Fatal);
  EXPECT_EQ(r.message,
            "base_url is not set and the connection's token answer has no instance_url: set base_url, or give the "
            "connection auth: {type: oauth2, ...} and connect it (`tributary oauth authorize`)");
  EXPECT_TRUE(services.httpRequests.empty());
}

TEST(auth_host_api, TheAuthFixtureReturnsTheHostsRefusalOfGetAuthValueAsItIs) {
  auto instance = makeInstance(loadPlugin(authFixture()), {});
  AuthServices services;
  services.refusal = RunStopped(ResultCode::Fatal, "connection acme/sf is not connected yet");
  CallResult r = instance->sync(SyncMode::Initial, stream("opportunities"), services);
  EXPECT_EQ(r.code, ResultCode::Fatal);
  EXPECT_EQ(r.message, "connection acme/sf is not connected yet");
  services.refusal = RunStopped(ResultCode::Retry, "the token endpoint answered 503");
  r = instance->sync(SyncMode::Initial, stream("opportunities"), services);
  EXPECT_EQ(r.code, ResultCode::Retry);
  EXPECT_EQ(r.message, "the token endpoint answered 503");
  EXPECT_TRUE(services.httpRequests.empty());
}

}  // namespace tributary::plugins::auth_host_api_test
