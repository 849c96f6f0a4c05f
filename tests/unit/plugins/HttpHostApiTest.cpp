// ABI 1.1 http at the host API: http_request's 1.1 fields and flags, the host's WaitRequired as
// the plugin sees it (TRIBUTARY_WAIT for 1.1, TRIBUTARY_RETRY for 1.0) and as the hook's result
// (Wait, with the reason and time), and report_rate_limit. Through the trampolines directly, the
// C++ SDK's fixture_http_vendor, and a plugin written here as a 1.0 plugin would be.
#include <cstddef>

#include <gtest/gtest.h>

#include "PluginTestSupport.h"
#include "http/HttpError.h"
#include "plugins/DescriptorReader.h"
#include "plugins/HostContext.h"

namespace tributary::plugins::http_host_api_test {

using testing::loadPlugin;
using testing::makeInstance;
using testing::RecordingRunServices;

tributary_str str(std::string_view s) { return {s.data(), s.size()}; }
std::string text(tributary_str v) { return std::string(v.data ? v.data : "", v.size); }

constexpr uint32_t kRequestSize10 = offsetof(tributary_http_request_v1, flags);
constexpr int64_t kUntil = 1'900'000'000'000;

tributary_http_request_v1 request(const char* method, const char* url) {
  tributary_http_request_v1 r{};
  r.struct_size = sizeof r;
  r.method = str(method);
  r.url = str(url);
  return r;
}

// Records what report_rate_limit forwards.
class RateReportingServices : public RecordingRunServices {
 public:
  struct Report {
    std::string cls;
    int64_t remaining;
    std::optional<int64_t> resetAtMs;
  };
  void reportRateLimit(std::string_view cls, int64_t remaining, std::optional<int64_t> resetAtMs) override {
    reports.push_back({std::string(cls), remaining, resetAtMs});
  }
  std::vector<Report> reports;
};

// Services whose vendor client says the job must wait.
void parkEveryRequest(RecordingRunServices& services, const std::string& reason) {
  services.httpHandler = [reason](const http::HttpRequest& r) -> http::HttpResponse {
    throw http::WaitRequired(kUntil, reason, r.method + " " + r.url + ": the job waits");
  };
}

std::filesystem::path httpFixture() {
  return std::filesystem::path(TRIBUTARY_TEST_HTTP_FIXTURE_DIR) / "fixture_http_vendor.so";
}

// --- A plugin as one built against ABI 1.0 is: a 1.0 descriptor, and requests that end at
// `body`. Its sync makes one request and returns what it got, with the error as its message. ---
const tributary_host_api_v1* gHost10 = nullptr;
int gSelf10 = 0;

tributary_result create10(const tributary_host_api_v1* host, tributary_host_instance*, tributary_host_ctx*,
                          tributary_instance** out) {
  gHost10 = host;
  *out = reinterpret_cast<tributary_instance*>(&gSelf10);
  return TRIBUTARY_OK;
}
void destroy10(tributary_instance*) {}
tributary_result check10(tributary_instance*, tributary_host_ctx*) { return TRIBUTARY_OK; }
tributary_result sync10(tributary_instance*, tributary_host_ctx* ctx, const tributary_sync_request_v1*) {
  tributary_http_request_v1 r = request("GET", "http://vendor.test/deals");
  r.struct_size = kRequestSize10;
  const tributary_http_response_v1* out = nullptr;
  tributary_result rc = gHost10->http_request(ctx, &r, &out);
  if (rc != TRIBUTARY_OK) {
    const std::string message = "GET /deals failed: " + text(out->error);
    gHost10->set_error(ctx, str(message));
  }
  gHost10->http_response_free(ctx, out);
  return rc;
}

const tributary_connector_v1& descriptor10() {
  static const tributary_stream_v1 stream = [] {
    tributary_stream_v1 s{};
    s.struct_size = sizeof s;
    s.name = "deals";
    s.primary_key = "id";
    s.cursor_field = "updated";
    s.entity = "";
    s.description = "";
    return s;
  }();
  static const tributary_connector_v1 d = [] {
    tributary_connector_v1 c{};
    c.abi_version = uint32_t{1} << 16;  // 1.0
    c.struct_size = kDescriptorSize10;
    c.name = "tributary.test_http_v10";
    c.version = "1.0.0";
    c.description = "a 1.0 plugin that makes one request";
    c.streams = &stream;
    c.stream_count = 1;
    c.create = &create10;
    c.destroy = &destroy10;
    c.check = &check10;
    c.initial_sync = &sync10;
    c.incremental_sync = &sync10;
    c.backfill = &sync10;
    return c;
  }();
  return d;
}

std::shared_ptr<const ConnectorPlugin> plugin10() {
  return std::make_shared<const ConnectorPlugin>(std::shared_ptr<const void>(), &descriptor10(),
                                                 "/nowhere/test_http_v10.so");
}

SyncRequest stream(const std::string& name) {
  SyncRequest r;
  r.stream = name;
  return r;
}

TEST(http_host_api, ARequestWithAnUnknownFlagBitIsFatalNamingTheBitsAndIsNeverSent) {
  RecordingRunServices services;
  tributary_host_ctx ctx;
  ctx.services = &services;
  ctx.pluginMinor = 1;
  tributary_http_request_v1 r = request("POST", "http://vendor.test/search");
  r.flags = TRIBUTARY_HTTP_IDEMPOTENT | 0xCu;
  const tributary_http_response_v1* out = nullptr;
  EXPECT_EQ(hostApiTable()->http_request(&ctx, &r, &out), TRIBUTARY_FATAL);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->status, 0);
  EXPECT_EQ(text(out->error),
            "http_request: POST http://vendor.test/search has unknown flag bits 0xc (known: TRIBUTARY_HTTP_IDEMPOTENT "
            "0x1, TRIBUTARY_HTTP_NO_AUTH 0x2)");
  EXPECT_TRUE(services.httpRequests.empty());
}

TEST(http_host_api, The11FieldsReachTheServicesAndACostOf0Is1) {
  RecordingRunServices services;
  services.httpHandler = [](const http::HttpRequest&) { return http::HttpResponse{200, {}, "{}"}; };
  tributary_host_ctx ctx;
  ctx.services = &services;
  ctx.pluginMinor = 1;
  tributary_http_request_v1 r = request("POST", "http://vendor.test/search");
  r.flags = TRIBUTARY_HTTP_IDEMPOTENT;
  r.limit_class = str("search");
  r.cost = 7;
  const tributary_http_response_v1* out = nullptr;
  ASSERT_EQ(hostApiTable()->http_request(&ctx, &r, &out), TRIBUTARY_OK);
  r = request("GET", "http://vendor.test/items");
  ASSERT_EQ(hostApiTable()->http_request(&ctx, &r, &out), TRIBUTARY_OK);
  ASSERT_EQ(services.httpRequests.size(), 2u);
  EXPECT_TRUE(services.httpRequests[0].idempotent);
  EXPECT_EQ(services.httpRequests[0].limitClass, "search");
  EXPECT_EQ(services.httpRequests[0].cost, 7u);
  EXPECT_FALSE(services.httpRequests[1].idempotent);
  EXPECT_EQ(services.httpRequests[1].limitClass, "");
  EXPECT_EQ(services.httpRequests[1].cost, 1u);
}

TEST(http_host_api, A10RequestIsReadOnlyUpToItsBody) {
  RecordingRunServices services;
  services.httpHandler = [](const http::HttpRequest&) { return http::HttpResponse{200, {}, "{}"}; };
  tributary_host_ctx ctx;
  ctx.services = &services;
  ctx.pluginMinor = 0;
  tributary_http_request_v1 r = request("POST", "http://vendor.test/orders");
  r.struct_size = kRequestSize10;
  r.flags = 0xFFu;  // beyond its struct_size: whatever lies there is not the plugin's
  r.limit_class = str("nope");
  r.cost = 99;
  const tributary_http_response_v1* out = nullptr;
  ASSERT_EQ(hostApiTable()->http_request(&ctx, &r, &out), TRIBUTARY_OK);
  ASSERT_EQ(services.httpRequests.size(), 1u);
  EXPECT_FALSE(services.httpRequests[0].idempotent);
  EXPECT_EQ(services.httpRequests[0].limitClass, "");
  EXPECT_EQ(services.httpRequests[0].cost, 1u);
}

TEST(http_host_api, AWaitRequiredIsWaitForA11PluginWithTheTimeAndReasonSet) {
  RecordingRunServices services;
  parkEveryRequest(services, "quota");
  tributary_host_ctx ctx;
  ctx.services = &services;
  ctx.pluginMinor = 1;
  tributary_http_request_v1 r = request("GET", "http://vendor.test/items");
  const tributary_http_response_v1* out = nullptr;
  EXPECT_EQ(hostApiTable()->http_request(&ctx, &r, &out), TRIBUTARY_WAIT);
  EXPECT_EQ(out->status, 0);
  EXPECT_EQ(text(out->error), "GET http://vendor.test/items: the job waits");
  EXPECT_EQ(ctx.retryAfterMs, kUntil);
  EXPECT_EQ(ctx.hostWaitReason, "quota");
  EXPECT_EQ(ctx.hostWaitMessage, "GET http://vendor.test/items: the job waits");
  EXPECT_FALSE(ctx.hostFailure) << "the plugin returns the WAIT itself";
}

TEST(http_host_api, AWaitRequiredIsRetryForA10PluginWithTheTimeAndReasonSet) {
  RecordingRunServices services;
  parkEveryRequest(services, "rate_limit");
  tributary_host_ctx ctx;
  ctx.services = &services;
  ctx.pluginMinor = 0;
  tributary_http_request_v1 r = request("GET", "http://vendor.test/items");
  r.struct_size = kRequestSize10;
  const tributary_http_response_v1* out = nullptr;
  EXPECT_EQ(hostApiTable()->http_request(&ctx, &r, &out), TRIBUTARY_RETRY);
  EXPECT_EQ(ctx.retryAfterMs, kUntil);
  EXPECT_EQ(ctx.hostWaitReason, "rate_limit");
}

TEST(http_host_api, A11PluginsHookParkedByTheHostEndsWaitWithTheReasonAndTime) {
  auto instance = makeInstance(loadPlugin(httpFixture()), {});
  RecordingRunServices services;
  parkEveryRequest(services, "quota");
  CallResult r = instance->sync(SyncMode::Initial, stream("items"), services);
  EXPECT_EQ(r.code, ResultCode::Wait) << r.message;
  EXPECT_EQ(r.retryAfterMs, kUntil);
  EXPECT_EQ(r.waitReason, "quota");
  ASSERT_EQ(services.httpRequests.size(), 1u);
  EXPECT_EQ(r.message, "GET " + services.httpRequests[0].url + ": the job waits");
  EXPECT_TRUE(services.records.empty());
}

TEST(http_host_api, A10PluginsRetryAfterTheHostParkedItEndsWaitWithTheReasonAndTime) {
  const tributary_connector_v1& d = descriptor10();
  ASSERT_EQ(DescriptorReader(d).validate(), "") << "not a valid 1.0 descriptor";
  auto instance = makeInstance(plugin10(), {});
  RecordingRunServices services;
  parkEveryRequest(services, "rate_limit");
  CallResult r = instance->sync(SyncMode::Initial, stream("deals"), services);
  EXPECT_EQ(r.code, ResultCode::Wait) << r.message;
  EXPECT_EQ(r.retryAfterMs, kUntil);
  EXPECT_EQ(r.waitReason, "rate_limit");
  EXPECT_EQ(r.message, "GET /deals failed: GET http://vendor.test/deals: the job waits") << "the plugin's words";
}

TEST(http_host_api, A10PluginsRetryOfAFailedRequestStaysRetry) {
  auto instance = makeInstance(plugin10(), {});
  RecordingRunServices services;
  services.httpHandler = [](const http::HttpRequest& r) -> http::HttpResponse {
    throw http::HttpError(http::HttpError::Kind::Transient, r.method + " " + r.url + ": Connection refused");
  };
  CallResult r = instance->sync(SyncMode::Initial, stream("deals"), services);
  EXPECT_EQ(r.code, ResultCode::Retry);
  EXPECT_EQ(r.message, "GET /deals failed: GET http://vendor.test/deals: Connection refused");
}

TEST(http_host_api, ReportRateLimitWithANegativeRemainingIsFatal) {
  RateReportingServices services;
  tributary_host_ctx ctx;
  ctx.services = &services;
  ctx.pluginMinor = 1;
  EXPECT_EQ(hostApiTable()->report_rate_limit(&ctx, str("rest"), -1, TRIBUTARY_TIME_NONE), TRIBUTARY_FATAL);
  ASSERT_TRUE(ctx.hostFailure);
  EXPECT_EQ(ctx.hostFailure->code, ResultCode::Fatal);
  EXPECT_EQ(ctx.hostFailure->message, "report_rate_limit: class 'rest' has remaining -1 (0 or more)");
  EXPECT_TRUE(services.reports.empty());
}

TEST(http_host_api, ReportRateLimitForwardsTheClassRemainingAndReset) {
  RateReportingServices services;
  tributary_host_ctx ctx;
  ctx.services = &services;
  ctx.pluginMinor = 1;
  EXPECT_EQ(hostApiTable()->report_rate_limit(&ctx, str("rest"), 0, kUntil), TRIBUTARY_OK);
  EXPECT_EQ(hostApiTable()->report_rate_limit(&ctx, str("daily"), 42, TRIBUTARY_TIME_NONE), TRIBUTARY_OK);
  ASSERT_EQ(services.reports.size(), 2u);
  EXPECT_EQ(services.reports[0].cls, "rest");
  EXPECT_EQ(services.reports[0].remaining, 0);
  EXPECT_EQ(services.reports[0].resetAtMs, kUntil);
  EXPECT_EQ(services.reports[1].cls, "daily");
  EXPECT_EQ(services.reports[1].remaining, 42);
  EXPECT_EQ(services.reports[1].resetAtMs, std::nullopt);
}

TEST(http_host_api, APluginReportingANegativeRemainingFailsItsHookFatal) {
  auto instance = makeInstance(loadPlugin(httpFixture()), {{"report_remaining", "true"}});
  RateReportingServices services;
  services.httpHandler = [](const http::HttpRequest&) {
    return http::HttpResponse{200, {{"X-HubSpot-RateLimit-Remaining", "-3"}}, R"({"results":[]})"};
  };
  CallResult r = instance->sync(SyncMode::Initial, stream("items"), services);
  EXPECT_EQ(r.code, ResultCode::Fatal);
  EXPECT_EQ(r.message, "report_rate_limit: class 'rest' has remaining -3 (0 or more)");
  EXPECT_TRUE(services.reports.empty());
}

}  // namespace tributary::plugins::http_host_api_test
