// The host API table's trampolines, called as a plugin would call them.
#include <gtest/gtest.h>

#include "PluginTestSupport.h"
#include "http/HttpError.h"
#include "plugins/HostContext.h"

using namespace tributary::plugins;
using namespace tributary::plugins::testing;

namespace {

tributary_str str(std::string_view s) { return {s.data(), s.size()}; }
std::string s(tributary_str v) { return std::string(v.data ? v.data : "", v.size); }

tributary_http_request_v1 get(const char* url) {
  tributary_http_request_v1 r{};
  r.struct_size = sizeof r;
  r.method = str("GET");
  r.url = str(url);
  return r;
}

}  // namespace

TEST(host_api, TableDeclaresItsSizeAndVersion) {
  const tributary_host_api_v1* api = hostApiTable();
  EXPECT_EQ(api->struct_size, sizeof(tributary_host_api_v1));
  EXPECT_EQ(api->abi_version, TRIBUTARY_ABI_VERSION);
  EXPECT_TRUE(TRIBUTARY_HOST_HAS(api, get_secret));
}

TEST(host_api, EmitForwardsAViewOfTheRecord) {
  RecordingRunServices services;
  tributary_host_ctx ctx;
  ctx.services = &services;
  tributary_record_v1 r{};
  r.struct_size = sizeof r;
  r.flags = TRIBUTARY_RECORD_DELETED | 0x80u;
  r.stream = str("deals");
  r.source_id = str("d-1");
  r.modified_at_ms = TRIBUTARY_TIME_NONE;
  r.raw_json = str("{}");
  EXPECT_EQ(hostApiTable()->emit_record(&ctx, &r), TRIBUTARY_OK);
  ASSERT_EQ(services.records.size(), 1u);
  EXPECT_EQ(services.records[0].sourceId, "d-1");
  EXPECT_TRUE(services.records[0].deleted);
  EXPECT_FALSE(services.records[0].modifiedAtMs);
}

TEST(host_api, TruncatedRecordIsFatalForTheCall) {
  RecordingRunServices services;
  tributary_host_ctx ctx;
  ctx.services = &services;
  tributary_record_v1 r{};
  r.struct_size = 40;
  EXPECT_EQ(hostApiTable()->emit_record(&ctx, &r), TRIBUTARY_FATAL);
  ASSERT_TRUE(ctx.hostFailure);
  EXPECT_EQ(ctx.hostFailure->message,
            "plugin emitted a record with struct_size 40 (ABI 1.0 needs 80); rebuild it against "
            "TributarySDK 1");
  EXPECT_TRUE(services.records.empty());
  EXPECT_EQ(hostApiTable()->is_cancelled(&ctx), 1);  // a failed call tells the plugin to stop
}

TEST(host_api, RunServicesAreNotAvailableDuringCreate) {
  tributary_host_ctx ctx;
  ctx.hook = "create";
  EXPECT_EQ(hostApiTable()->commit_checkpoint(&ctx, str("s"), str("{}")), TRIBUTARY_FATAL);
  ASSERT_TRUE(ctx.hostFailure);
  EXPECT_EQ(ctx.hostFailure->message,
            "plugin called commit_checkpoint during create, where it is not available; fix the plugin");
}

TEST(host_api, HttpGoesThroughRunServicesAndResponsesAreHostOwned) {
  RecordingRunServices services;
  services.httpHandler = [](const tributary::http::HttpRequest& r) {
    tributary::http::HttpResponse res;
    res.status = 201;
    res.body = "made " + r.url;
    res.headers = {{"Retry-After", "5"}};
    return res;
  };
  tributary_host_ctx ctx;
  ctx.services = &services;
  tributary_http_header header{str("Authorization"), str("Bearer x")};
  tributary_http_request_v1 req = get("http://vendor.test/a");
  req.headers = &header;
  req.header_count = 1;
  req.timeout_ms = 1500;
  const tributary_http_response_v1* res = nullptr;
  ASSERT_EQ(hostApiTable()->http_request(&ctx, &req, &res), TRIBUTARY_OK);
  ASSERT_NE(res, nullptr);
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(s(res->body), "made http://vendor.test/a");
  ASSERT_EQ(res->header_count, 1u);
  EXPECT_EQ(s(res->headers[0].name), "Retry-After");
  EXPECT_EQ(s(res->error), "");
  ASSERT_EQ(services.httpRequests.size(), 1u);
  EXPECT_EQ(services.httpRequests[0].headers.at(0).second, "Bearer x");
  EXPECT_EQ(services.httpRequests[0].timeout.count(), 1500);
  EXPECT_EQ(ctx.responses.size(), 1u);
  hostApiTable()->http_response_free(&ctx, res);
  EXPECT_TRUE(ctx.responses.empty());
}

TEST(host_api, HttpTransportFailureIsRetryAndInvalidUrlIsFatal) {
  RecordingRunServices services;
  services.httpHandler = [](const tributary::http::HttpRequest& r) -> tributary::http::HttpResponse {
    if (r.url == "http://down.test/") {
      throw tributary::http::HttpError(tributary::http::HttpError::Kind::Transient,
                                       "GET http://down.test/: Connection refused");
    }
    throw tributary::http::HttpError(tributary::http::HttpError::Kind::InvalidRequest,
                                     "URL 'x' must start with http:// or https://");
  };
  tributary_host_ctx ctx;
  ctx.services = &services;
  const tributary_http_response_v1* res = nullptr;
  tributary_http_request_v1 down = get("http://down.test/");
  EXPECT_EQ(hostApiTable()->http_request(&ctx, &down, &res), TRIBUTARY_RETRY);
  EXPECT_EQ(res->status, 0);
  EXPECT_EQ(s(res->error), "GET http://down.test/: Connection refused");
  tributary_http_request_v1 bad = get("x");
  EXPECT_EQ(hostApiTable()->http_request(&ctx, &bad, &res), TRIBUTARY_FATAL);
  EXPECT_EQ(s(res->error), "URL 'x' must start with http:// or https://");
  EXPECT_FALSE(ctx.hostFailure);        // the plugin decides what a failed request means
  EXPECT_EQ(ctx.responses.size(), 2u);  // not freed by the plugin: freed with the ctx
}

TEST(host_api, ConfigAndSecretsComeFromTheirOwnMaps) {
  tributary_host_instance instance;
  instance.options.settings["page_size"] = "10";
  instance.options.secrets["api_key"] = "s3cret";
  tributary_str out{};
  EXPECT_EQ(hostApiTable()->get_config(&instance, str("page_size"), &out), 1);
  EXPECT_EQ(s(out), "10");
  EXPECT_EQ(hostApiTable()->get_config(&instance, str("api_key"), &out), 0);
  EXPECT_EQ(out.data, nullptr);
  EXPECT_EQ(hostApiTable()->get_secret(&instance, str("api_key"), &out), 1);
  EXPECT_EQ(s(out), "s3cret");
  EXPECT_EQ(hostApiTable()->get_secret(&instance, str("page_size"), &out), 0);
}

TEST(host_api, ExampleCheckReachesTheNetworkOnlyThroughTheHost) {
  auto plugin = loadPlugin(examplePlugin());
  auto instance = makeInstance(plugin, {{"base_url", "http://vendor.test"}});
  RecordingRunServices services;
  int status = 200;
  services.httpHandler = [&](const tributary::http::HttpRequest&) {
    tributary::http::HttpResponse res;
    res.status = status;
    return res;
  };
  EXPECT_TRUE(instance->check(services).ok());
  ASSERT_EQ(services.httpRequests.size(), 1u);
  EXPECT_EQ(services.httpRequests[0].url, "http://vendor.test/health");
  status = 503;
  CallResult r = instance->check(services);
  EXPECT_EQ(r.code, ResultCode::Retry);
  EXPECT_EQ(r.message, "GET http://vendor.test/health answered 503");
  status = 404;
  r = instance->check(services);
  EXPECT_EQ(r.code, ResultCode::Fatal);
  EXPECT_EQ(r.message, "GET http://vendor.test/health answered 404; check base_url");
}

namespace {

// Keeps the links that get past the trampoline's checks.
struct LinkRecordingServices : RecordingRunServices {
  std::vector<std::string> links;
  void emitLink(const LinkView& l) override {
    links.push_back(std::string(l.stream) + "/" + std::string(l.type) + ":" + std::string(l.fromId) + ">" +
                    std::string(l.toId) + (l.deleted ? " removed" : ""));
  }
};

tributary_link_v1 link(const char* type, const char* from, const char* to, uint32_t flags = 0) {
  tributary_link_v1 l{};
  l.struct_size = sizeof l;
  l.flags = flags;
  l.stream = str("deals");
  l.type = str(type);
  l.from_id = str(from);
  l.to_id = str(to);
  return l;
}

// The call's result and the message it ended with ("" when none).
std::pair<tributary_result, std::string> emitLink(const tributary_link_v1& l, LinkRecordingServices& services) {
  tributary_host_ctx ctx;
  ctx.hook = "incremental_sync";
  ctx.pluginMinor = 1;
  ctx.services = &services;
  tributary_result rc = hostApiTable()->emit_link(&ctx, &l);
  return {rc, ctx.hostFailure ? ctx.hostFailure->message : ""};
}

}  // namespace

TEST(host_api, EmitLinkForwardsAViewOfTheLinkWithItsRemovalFlag) {
  LinkRecordingServices services;
  EXPECT_EQ(emitLink(link("deal_account", "d1", "a1"), services), std::pair(TRIBUTARY_OK, std::string()));
  EXPECT_EQ(emitLink(link("deal_account", "d1", "a2", TRIBUTARY_LINK_DELETED), services),
            std::pair(TRIBUTARY_OK, std::string()));
  EXPECT_EQ(services.links, (std::vector<std::string>{"deals/deal_account:d1>a1", "deals/deal_account:d1>a2 removed"}));
}

TEST(host_api, EmitLinkWithAnEmptyIdUnknownFlagBitsOrATruncatedStructIsFatalNamingIt) {
  LinkRecordingServices services;
  EXPECT_EQ(
      emitLink(link("deal_account", "", "a1"), services),
      std::pair(TRIBUTARY_FATAL, std::string("emit_link: link 'deal_account' from '' to 'a1' has an empty from_id")));
  EXPECT_EQ(
      emitLink(link("deal_account", "d1", ""), services),
      std::pair(TRIBUTARY_FATAL, std::string("emit_link: link 'deal_account' from 'd1' to '' has an empty to_id")));
  EXPECT_EQ(emitLink(link("deal_account", "d1", "a1", 0x6u), services),
            std::pair(TRIBUTARY_FATAL, std::string("emit_link: link 'deal_account' from 'd1' to 'a1' has unknown flag "
                                                   "bits 0x6 (known: TRIBUTARY_LINK_DELETED 0x1)")));
  tributary_link_v1 old = link("deal_account", "d1", "a1");
  old.struct_size = 16;
  EXPECT_EQ(emitLink(old, services),
            std::pair(TRIBUTARY_FATAL, "emit_link: struct_size 16 is too small (ABI 1.1 needs " +
                                           std::to_string(sizeof(tributary_link_v1)) + ")"));
  EXPECT_TRUE(services.links.empty());
}

TEST(host_api, EmitLinkWhereTheHookOffersNoLinksIsFatal) {
  RecordingRunServices services;  // a RunServices that offers no emitLink, as during check
  tributary_host_ctx ctx;
  ctx.hook = "check";
  ctx.services = &services;
  tributary_link_v1 l = link("deal_account", "d1", "a1");
  EXPECT_EQ(hostApiTable()->emit_link(&ctx, &l), TRIBUTARY_FATAL);
  ASSERT_TRUE(ctx.hostFailure);
  EXPECT_EQ(ctx.hostFailure->message,
            "plugin called emit_link during check, where it is not available; fix the plugin");
}
