// sdk.hpp at the boundary, against a fake host table (no host library is linked): the
// descriptor TRIBUTARY_CONNECTOR builds, and every exception mapped to its result code.
#include "tributary/sdk.hpp"

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

// The fake host's side of the opaque handles.
struct tributary_host_instance {
  std::map<std::string, std::string> settings, secrets;
  std::vector<std::pair<int32_t, std::string>> logs;
};
struct tributary_host_ctx {
  std::vector<std::string> records;
  std::vector<std::string> checkpoints;
  std::string error;
  int64_t retryAfter = TRIBUTARY_TIME_NONE;
  tributary_result emitResult = TRIBUTARY_OK;
  bool cancelled = false;
  int responsesOut = 0;
  tributary_http_response_v1 response{};
  uint32_t lastHttpFlags = 0;
  // get_auth_value's answer, and the names asked for.
  std::string authValue;
  tributary_result authResult = TRIBUTARY_OK;
  std::vector<std::string> authAsked;
};

namespace {

std::string s(tributary_str v) { return std::string(v.data ? v.data : "", v.size); }

int32_t lookup(const std::map<std::string, std::string>& m, tributary_str key, tributary_str* out) {
  auto it = m.find(s(key));
  if (it == m.end()) return 0;
  *out = {it->second.data(), it->second.size()};
  return 1;
}

const tributary_host_api_v1* fakeHost() {
  static tributary_host_api_v1 api = [] {
    tributary_host_api_v1 a{};
    a.struct_size = sizeof a;
    a.abi_version = TRIBUTARY_ABI_VERSION;
    a.emit_record = [](tributary_host_ctx* c, const tributary_record_v1* r) {
      c->records.push_back(s(r->source_id) + " " + s(r->fields_json));
      return c->emitResult;
    };
    a.emit_record_error = [](tributary_host_ctx* c, const tributary_record_error_v1* e) {
      c->records.push_back("error " + s(e->source_id) + ": " + s(e->message));
      return TRIBUTARY_OK;
    };
    a.commit_checkpoint = [](tributary_host_ctx* c, tributary_str, tributary_str cursor) {
      c->checkpoints.push_back(s(cursor));
      return TRIBUTARY_OK;
    };
    a.report_progress = [](tributary_host_ctx*, int64_t, int64_t, tributary_str) {};
    a.is_cancelled = [](tributary_host_ctx* c) { return c->cancelled ? 1 : 0; };
    a.set_error = [](tributary_host_ctx* c, tributary_str m) { c->error = s(m); };
    a.set_retry_after = [](tributary_host_ctx* c, int64_t t) { c->retryAfter = t; };
    a.http_request = [](tributary_host_ctx* c, const tributary_http_request_v1* r,
                        const tributary_http_response_v1** out) {
      ++c->responsesOut;
      c->lastHttpFlags = r->flags;
      c->response.struct_size = sizeof c->response;
      c->response.status = s(r->url) == "http://down" ? 0 : 200;
      static const char kBody[] = "pong";
      static const char kError[] = "connection refused";
      c->response.body = c->response.status ? tributary_str{kBody, 4} : tributary_str{nullptr, 0};
      c->response.error = c->response.status ? tributary_str{nullptr, 0} : tributary_str{kError, sizeof kError - 1};
      *out = &c->response;
      return c->response.status ? TRIBUTARY_OK : TRIBUTARY_RETRY;
    };
    a.http_response_free = [](tributary_host_ctx* c, const tributary_http_response_v1*) { --c->responsesOut; };
    a.log = [](tributary_host_instance* i, int32_t level, tributary_str m) { i->logs.emplace_back(level, s(m)); };
    a.get_config = [](tributary_host_instance* i, tributary_str k, tributary_str* o) {
      return lookup(i->settings, k, o);
    };
    a.get_secret = [](tributary_host_instance* i, tributary_str k, tributary_str* o) {
      return lookup(i->secrets, k, o);
    };
    a.get_auth_value = [](tributary_host_ctx* c, tributary_str k, tributary_str* o) {
      c->authAsked.push_back(s(k));
      *o = c->authResult == TRIBUTARY_OK ? tributary_str{c->authValue.data(), c->authValue.size()}
                                         : tributary_str{nullptr, 0};
      return c->authResult;
    };
    return a;
  }();
  return &api;
}

// What the test connector's sync does, chosen per test through the "behaviour" setting.
class TestConnector : public tributary::Connector {
 public:
  explicit TestConnector(const tributary::Host& host) : Connector(host), behaviour_(host.configString("behaviour")) {
    if (behaviour_ == "throw_in_create") throw std::runtime_error("constructor says no");
    if (behaviour_ == "fatal_in_create") throw tributary::FatalError("bad settings");
    host.info("created");
  }
  static tributary::ConnectorInfo describe() {
    tributary::ConnectorInfo info{"tributary.wrapper_test", "2.3.4", "Test connector", {}, {}};
    info.stream({"items", "id", "updated_at", "deals", "Items"});
    info.stream({"notes", "id", "", "", ""});
    info.setting({"behaviour", tributary::ConfigType::String, false, "ok", false, "What to do"});
    info.setting({"api_key", tributary::ConfigType::String, true, std::nullopt, true, "Key"});
    return info;
  }
  void check(tributary::Context& ctx) override {
    if (behaviour_ == "http") {
      tributary::HttpResponse r = ctx.http({"GET", "http://up", {{"Accept", "text/plain"}}, "", 0});
      if (r.body() != "pong" || r.status() != 200) throw tributary::FatalError("bad pong");
      ctx.http({"GET", "http://down", {}, "", 0});  // throws RetryError
    }
    if (host().secret("api_key").value_or("") != "k") throw tributary::FatalError("api_key rejected");
  }
  void sync(tributary::Context& ctx, const tributary::SyncRequest& request) override {
    if (behaviour_ == "fatal") throw tributary::FatalError("credentials revoked");
    if (behaviour_ == "rate_limited") throw tributary::RateLimited(1234, "quota exhausted until 1234");
    if (behaviour_ == "retry_after") throw tributary::RetryError("503 from vendor", 999);
    if (behaviour_ == "std_exception") throw std::out_of_range("vector::at");
    if (behaviour_ == "int") throw 42;
    if (behaviour_ == "cancelled") ctx.throwIfCancelled();
    tributary::Record r;
    for (int i = 0; i < 2; ++i) {
      r.reset(request.stream, std::to_string(i)).text("name", "n" + std::to_string(i));
      ctx.emit(r);
    }
    ctx.emitRecordError(request.stream, "bad", "amount: not a number: \"TBD\"", "{}");
    ctx.checkpoint(request.stream, R"({"page":1})");
    if (behaviour_ == "after_emit") throw std::runtime_error("should not be reached when the host stopped");
  }

 private:
  std::string behaviour_;
};

}  // namespace

TRIBUTARY_CONNECTOR(TestConnector)

namespace {

struct Fixture {
  tributary_host_instance host;
  tributary_host_ctx ctx;
  const tributary_connector_v1* d = tributary_connector_entry_v1();
  tributary_instance* self = nullptr;

  explicit Fixture(const std::string& behaviour) {
    host.settings["behaviour"] = behaviour;
    host.secrets["api_key"] = "k";
  }
  tributary_result create() { return d->create(fakeHost(), &host, &ctx, &self); }
  tributary_result sync(uint32_t mode = TRIBUTARY_SYNC_INITIAL) {
    tributary_sync_request_v1 r{};
    r.struct_size = sizeof r;
    r.mode = mode;
    r.stream = {"items", 5};
    r.since_ms = TRIBUTARY_TIME_NONE;
    r.window_from_ms = TRIBUTARY_TIME_NONE;
    r.window_to_ms = TRIBUTARY_TIME_MAX;
    auto fn = mode == TRIBUTARY_SYNC_INITIAL       ? d->initial_sync
              : mode == TRIBUTARY_SYNC_INCREMENTAL ? d->incremental_sync
                                                   : d->backfill;
    return fn(self, &ctx, &r);
  }
  ~Fixture() {
    if (self) d->destroy(self);
  }
};

}  // namespace

TEST(wrapper, DescriptorCarriesTheConnectorsDescription) {
  const tributary_connector_v1* d = tributary_connector_entry_v1();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d, tributary_connector_entry_v1());  // the same static descriptor every time
  EXPECT_EQ(d->abi_version, TRIBUTARY_ABI_VERSION);
  EXPECT_EQ(d->struct_size, sizeof(tributary_connector_v1));
  EXPECT_STREQ(d->name, "tributary.wrapper_test");
  EXPECT_STREQ(d->version, "2.3.4");
  ASSERT_EQ(d->stream_count, 2u);
  EXPECT_EQ(d->streams[0].struct_size, sizeof(tributary_stream_v1));
  EXPECT_STREQ(d->streams[0].name, "items");
  EXPECT_STREQ(d->streams[0].cursor_field, "updated_at");
  EXPECT_STREQ(d->streams[0].entity, "deals");
  EXPECT_STREQ(d->streams[1].entity, "");
  ASSERT_EQ(d->config_key_count, 2u);
  EXPECT_STREQ(d->config_keys[0].key, "behaviour");
  EXPECT_STREQ(d->config_keys[0].default_value, "ok");
  EXPECT_EQ(d->config_keys[0].flags, 0u);
  EXPECT_EQ(d->config_keys[1].default_value, nullptr);
  EXPECT_EQ(d->config_keys[1].flags, TRIBUTARY_CONFIG_REQUIRED | TRIBUTARY_CONFIG_SECRET);
}

TEST(wrapper, SyncEmitsRecordsErrorsAndCheckpoints) {
  Fixture f("ok");
  ASSERT_EQ(f.create(), TRIBUTARY_OK);
  ASSERT_NE(f.self, nullptr);
  EXPECT_EQ(f.host.logs.at(0), std::make_pair(int32_t{TRIBUTARY_LOG_INFO}, std::string("created")));
  for (uint32_t mode : {TRIBUTARY_SYNC_INITIAL, TRIBUTARY_SYNC_INCREMENTAL, TRIBUTARY_SYNC_BACKFILL}) {
    f.ctx.records.clear();
    EXPECT_EQ(f.sync(mode), TRIBUTARY_OK);
    EXPECT_EQ(f.ctx.records, (std::vector<std::string>{R"(0 {"name":"n0"})", R"(1 {"name":"n1"})",
                                                       "error bad: amount: not a number: \"TBD\""}));
  }
  EXPECT_EQ(f.ctx.checkpoints.back(), R"({"page":1})");
  EXPECT_EQ(f.ctx.error, "");
}

TEST(wrapper, FatalErrorBecomesFatal) {
  Fixture f("fatal");
  ASSERT_EQ(f.create(), TRIBUTARY_OK);
  EXPECT_EQ(f.sync(), TRIBUTARY_FATAL);
  EXPECT_EQ(f.ctx.error, "credentials revoked");
}

TEST(wrapper, RateLimitedBecomesWaitWithItsTime) {
  Fixture f("rate_limited");
  ASSERT_EQ(f.create(), TRIBUTARY_OK);
  EXPECT_EQ(f.sync(), TRIBUTARY_WAIT);
  EXPECT_EQ(f.ctx.error, "quota exhausted until 1234");
  EXPECT_EQ(f.ctx.retryAfter, 1234);
}

TEST(wrapper, RetryErrorBecomesRetryWithItsHint) {
  Fixture f("retry_after");
  ASSERT_EQ(f.create(), TRIBUTARY_OK);
  EXPECT_EQ(f.sync(), TRIBUTARY_RETRY);
  EXPECT_EQ(f.ctx.error, "503 from vendor");
  EXPECT_EQ(f.ctx.retryAfter, 999);
}

TEST(wrapper, AnyOtherExceptionBecomesRetry) {
  Fixture f("std_exception");
  ASSERT_EQ(f.create(), TRIBUTARY_OK);
  EXPECT_EQ(f.sync(), TRIBUTARY_RETRY);
  EXPECT_EQ(f.ctx.error, "vector::at");
  EXPECT_EQ(f.ctx.retryAfter, TRIBUTARY_TIME_NONE);

  Fixture g("int");
  ASSERT_EQ(g.create(), TRIBUTARY_OK);
  EXPECT_EQ(g.sync(), TRIBUTARY_RETRY);
  EXPECT_EQ(g.ctx.error, "unknown exception (not derived from std::exception)");
}

TEST(wrapper, CancellationBecomesCancelled) {
  Fixture f("cancelled");
  ASSERT_EQ(f.create(), TRIBUTARY_OK);
  f.ctx.cancelled = true;
  EXPECT_EQ(f.sync(), TRIBUTARY_CANCELLED);
  EXPECT_EQ(f.ctx.error, "cancelled");
  EXPECT_TRUE(f.ctx.records.empty());
}

TEST(wrapper, HostRefusalStopsTheHookWithTheHostsCode) {
  Fixture f("after_emit");
  ASSERT_EQ(f.create(), TRIBUTARY_OK);
  f.ctx.emitResult = TRIBUTARY_FATAL;
  EXPECT_EQ(f.sync(), TRIBUTARY_FATAL);
  EXPECT_EQ(f.ctx.records.size(), 1u);  // stopped at the first refused emit
  EXPECT_EQ(f.ctx.error, "");           // the host already knows why
}

TEST(wrapper, ThrowingConstructorFailsCreateWithoutAnInstance) {
  Fixture f("throw_in_create");
  EXPECT_EQ(f.create(), TRIBUTARY_RETRY);
  EXPECT_EQ(f.self, nullptr);
  EXPECT_EQ(f.ctx.error, "constructor says no");

  Fixture g("fatal_in_create");
  EXPECT_EQ(g.create(), TRIBUTARY_FATAL);
  EXPECT_EQ(g.ctx.error, "bad settings");
}

TEST(wrapper, CheckReadsSecretsAndUsesHttpThroughTheHost) {
  Fixture f("ok");
  ASSERT_EQ(f.create(), TRIBUTARY_OK);
  EXPECT_EQ(f.d->check(f.self, &f.ctx), TRIBUTARY_OK);
  f.host.secrets["api_key"] = "wrong";
  EXPECT_EQ(f.d->check(f.self, &f.ctx), TRIBUTARY_FATAL);
  EXPECT_EQ(f.ctx.error, "api_key rejected");

  Fixture h("http");
  ASSERT_EQ(h.create(), TRIBUTARY_OK);
  EXPECT_EQ(h.d->check(h.self, &h.ctx), TRIBUTARY_RETRY);
  EXPECT_EQ(h.ctx.error, "GET http://down: connection refused");
  EXPECT_EQ(h.ctx.responsesOut, 0);  // both responses were given back
}

TEST(wrapper, SyncRequestFromAbiReadsEveryField) {
  tributary_str ids[] = {{"a", 1}, {"bc", 2}};
  tributary_sync_request_v1 r{};
  r.struct_size = sizeof r;
  r.mode = TRIBUTARY_SYNC_BACKFILL;
  r.stream = {"deals", 5};
  r.cursor_json = {"{}", 2};
  r.since_ms = TRIBUTARY_TIME_NONE;
  r.window_from_ms = 10;
  r.window_to_ms = TRIBUTARY_TIME_MAX;
  r.ids = ids;
  r.id_count = 2;
  auto req = tributary::SyncRequest::fromAbi(&r);
  EXPECT_EQ(req.mode, tributary::SyncMode::Backfill);
  EXPECT_EQ(req.stream, "deals");
  EXPECT_TRUE(req.hasCursor());
  EXPECT_FALSE(req.sinceMs);
  EXPECT_EQ(req.windowFromMs, 10);
  EXPECT_FALSE(req.windowToMs);
  EXPECT_EQ(req.ids, (std::vector<std::string_view>{"a", "bc"}));
}

namespace {
class CheckOnly : public tributary::Connector {
 public:
  using Connector::Connector;
};
}  // namespace

TEST(wrapper, UnimplementedSyncModeIsFatalNamingIt) {
  tributary_host_instance host;
  tributary_host_ctx ctx;
  CheckOnly connector(tributary::Host(fakeHost(), &host));
  tributary::Context cx(fakeHost(), &ctx);
  tributary::SyncRequest request;
  request.mode = tributary::SyncMode::Incremental;
  request.stream = "deals";
  tributary_result rc = tributary::detail::guard(fakeHost(), &ctx, [&] { connector.incrementalSync(cx, request); });
  EXPECT_EQ(rc, TRIBUTARY_FATAL);
  EXPECT_EQ(ctx.error, "this connector does not implement incrementalSync (stream 'deals')");
}

// --- 1.1 auth ---

TEST(wrapper_auth, TheDescriptorCarriesEachAuthTypeWithNullForTheHostsDefaults) {
  tributary::ConnectorInfo info{"tributary.wrapper_auth", "1.0.0", "auth", {}, {}};
  info.stream({"items", "id", "", "", ""});
  tributary::AuthInfo oauth = tributary::AuthInfo::oauth2("https://login.vendor.test/authorize",
                                                          "https://login.vendor.test/token", "api refresh_token");
  oauth.pkce = true;
  oauth.clientBasic = true;
  oauth.authorizeParams = "access_type=offline";
  info.auth(oauth);
  tributary::AuthInfo bare = tributary::AuthInfo::bearer("a private-app token");
  bare.paramName = "X-Token";
  bare.valuePrefix = "";  // the bare token: "" is not "the default"
  info.auth(bare);
  tributary::AuthInfo key = tributary::AuthInfo::apiKeyInQuery("hapikey");
  key.valuePrefix = "Token ";
  info.auth(key).auth(tributary::AuthInfo::basic());
  info.httpRule({tributary::HttpRuleAction::RefreshAuth, 401, "INVALID_SESSION_ID", "", 0, "expired session"});
  const tributary::detail::Descriptor descriptor(info, tributary::detail::Tag<TestConnector>{});
  const tributary_connector_v1* d = descriptor.get();
  ASSERT_EQ(d->auth_count, 4u);
  EXPECT_EQ(d->reserved_auth, 0u);
  const tributary_auth_v1* a = d->auths;
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(a[i].struct_size, sizeof(tributary_auth_v1));
    EXPECT_EQ(a[i].reserved, 0u);
  }
  EXPECT_EQ(a[0].type, uint32_t{TRIBUTARY_AUTH_OAUTH2});
  EXPECT_EQ(a[0].flags, TRIBUTARY_AUTH_PKCE | TRIBUTARY_AUTH_CLIENT_BASIC);
  EXPECT_EQ(a[0].param_name, nullptr);
  EXPECT_EQ(a[0].value_prefix, nullptr) << "nullopt: the host's \"Bearer \"";
  EXPECT_STREQ(a[0].authorize_url, "https://login.vendor.test/authorize");
  EXPECT_STREQ(a[0].token_url, "https://login.vendor.test/token");
  EXPECT_STREQ(a[0].scopes, "api refresh_token");
  EXPECT_STREQ(a[0].authorize_params, "access_type=offline");
  EXPECT_STREQ(a[0].description, "");
  EXPECT_EQ(a[1].type, uint32_t{TRIBUTARY_AUTH_BEARER});
  EXPECT_EQ(a[1].flags, 0u);
  EXPECT_STREQ(a[1].param_name, "X-Token");
  EXPECT_STREQ(a[1].value_prefix, "");
  EXPECT_EQ(a[1].authorize_url, nullptr);
  EXPECT_EQ(a[1].token_url, nullptr);
  EXPECT_EQ(a[1].scopes, nullptr);
  EXPECT_EQ(a[1].authorize_params, nullptr);
  EXPECT_STREQ(a[1].description, "a private-app token");
  EXPECT_EQ(a[2].type, uint32_t{TRIBUTARY_AUTH_API_KEY});
  EXPECT_EQ(a[2].flags, TRIBUTARY_AUTH_IN_QUERY);
  EXPECT_STREQ(a[2].param_name, "hapikey");
  EXPECT_STREQ(a[2].value_prefix, "Token ");
  EXPECT_EQ(a[3].type, uint32_t{TRIBUTARY_AUTH_BASIC});
  EXPECT_EQ(a[3].flags, 0u);
  EXPECT_EQ(a[3].param_name, nullptr);
  EXPECT_EQ(a[3].value_prefix, nullptr);
  ASSERT_EQ(d->http_rule_count, 1u);
  EXPECT_EQ(d->http_rules[0].action, uint32_t{TRIBUTARY_HTTP_RULE_REFRESH_AUTH});
  EXPECT_EQ(d->http_rules[0].limit_class[0], '\0');
}

TEST(wrapper_auth, ADescriptorWithoutAuthTypesHasNone) {
  const tributary_connector_v1* d = tributary_connector_entry_v1();
  EXPECT_EQ(d->auth_count, 0u);
  EXPECT_EQ(d->auths, nullptr);
  EXPECT_EQ(d->reserved_auth, 0u);
}

TEST(wrapper_auth, NoAuthAndIdempotentBecomeTheRequestsFlags) {
  tributary_host_ctx ctx;
  tributary::Context cx(fakeHost(), &ctx);
  tributary::HttpRequest r;
  r.url = "http://up";
  cx.http(r);
  EXPECT_EQ(ctx.lastHttpFlags, 0u);
  r.noAuth = true;
  cx.http(r);
  EXPECT_EQ(ctx.lastHttpFlags, TRIBUTARY_HTTP_NO_AUTH);
  r.idempotent = true;
  cx.http(r);
  EXPECT_EQ(ctx.lastHttpFlags, TRIBUTARY_HTTP_NO_AUTH | TRIBUTARY_HTTP_IDEMPOTENT);
  EXPECT_EQ(ctx.responsesOut, 0);
}

TEST(wrapper_auth, AuthValueReturnsTheHostsValueAndThrowsItsRefusalAsHostStopped) {
  tributary_host_ctx ctx;
  tributary::Context cx(fakeHost(), &ctx);
  ctx.authValue = "https://na1.my.salesforce.com";
  EXPECT_EQ(cx.authValue("instance_url"), "https://na1.my.salesforce.com");
  ctx.authValue.clear();
  EXPECT_EQ(cx.authValue("api_base_url_for_customer"), "") << "a field the token answer did not have";
  EXPECT_EQ(ctx.authAsked, (std::vector<std::string>{"instance_url", "api_base_url_for_customer"}));
  for (tributary_result refused : {TRIBUTARY_FATAL, TRIBUTARY_RETRY, TRIBUTARY_CANCELLED}) {
    ctx.authResult = refused;
    try {
      cx.authValue("instance_url");
      ADD_FAILURE() << "no throw for " << refused;
    } catch (const tributary::HostStopped& e) {
      EXPECT_EQ(e.code(), refused);
    }
  }
  // At the boundary: the hook returns the host's code, with no message of its own.
  ctx.authResult = TRIBUTARY_RETRY;
  EXPECT_EQ(tributary::detail::guard(fakeHost(), &ctx, [&] { cx.authValue("instance_url"); }), TRIBUTARY_RETRY);
  EXPECT_EQ(ctx.error, "");
}

TEST(wrapper_auth, AuthValueOnAHostWithoutGetAuthValueIsFatalNamingTheHostAsTooOld) {
  tributary_host_api_v1 older = *fakeHost();
  older.struct_size = offsetof(tributary_host_api_v1, get_auth_value);  // 1.1 http, before auth
  tributary_host_ctx ctx;
  tributary::Context cx(&older, &ctx);
  EXPECT_EQ(tributary::detail::guard(&older, &ctx, [&] { cx.authValue("instance_url"); }), TRIBUTARY_FATAL);
  EXPECT_EQ(ctx.error, "this host has no get_auth_value (it predates connector ABI 1.1)");
  EXPECT_TRUE(ctx.authAsked.empty()) << "beyond the host's struct_size: never called";
}
