// The Tributary connector SDK for C++17: derive from tributary::Connector, describe the
// connector in a static describe(), and emit the entry symbol with one line:
//
//   class MyConnector : public tributary::Connector { ... };
//   TRIBUTARY_CONNECTOR(MyConnector)
//
// Header-only, and it wraps connector_abi.h and nothing else: no host library is linked.
// Every exception stops at the boundary and becomes a result code:
//   FatalError -> FATAL, RateLimited -> WAIT (until a time), RetryError and any other
//   exception -> RETRY, Cancelled -> CANCELLED.
// plugins/example/ is the reference; docs/connector-authors.md walks through it.
#ifndef TRIBUTARY_SDK_HPP
#define TRIBUTARY_SDK_HPP

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "tributary/connector_abi.h"
#include "tributary/record.hpp"
#include "tributary/sanitize.hpp"

namespace tributary {

// ---------------------------------------------------------------------------------------
// Errors that choose the result code
// ---------------------------------------------------------------------------------------

// Permanent: bad credentials, a config error. No retry; the operator reads what().
class FatalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Transient, retried under the job's policy; optionally not before retryAfterMs.
class RetryError : public std::runtime_error {
 public:
  explicit RetryError(const std::string& message, int64_t retryAfterMs = TRIBUTARY_TIME_NONE)
      : std::runtime_error(message), retryAfterMs_(retryAfterMs) {}
  int64_t retryAfterMs() const { return retryAfterMs_; }

 private:
  int64_t retryAfterMs_;
};

// A vendor quota or rate limit: the job is parked until untilMs (epoch ms), using no attempt.
class RateLimited : public std::runtime_error {
 public:
  RateLimited(int64_t untilMs, const std::string& message) : std::runtime_error(message), untilMs_(untilMs) {}
  int64_t untilMs() const { return untilMs_; }

 private:
  int64_t untilMs_;
};

// The run was cancelled (Context::throwIfCancelled, Context::sleep).
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
};

// The host refused more (its write failed, the run is stopping). Carries the host's code;
// the host already knows why, so there is no message to set.
class HostStopped : public std::exception {
 public:
  explicit HostStopped(tributary_result code) : code_(code) {}
  tributary_result code() const { return code_; }
  const char* what() const noexcept override { return "the host stopped the run"; }

 private:
  tributary_result code_;
};

// ---------------------------------------------------------------------------------------
// Small conversions
// ---------------------------------------------------------------------------------------

inline std::string_view view(tributary_str s) {
  return s.data ? std::string_view(s.data, static_cast<size_t>(s.size)) : std::string_view();
}
inline tributary_str str(std::string_view s) { return tributary_str{s.data(), s.size()}; }

enum class LogLevel : int32_t {
  Trace = TRIBUTARY_LOG_TRACE,
  Debug = TRIBUTARY_LOG_DEBUG,
  Info = TRIBUTARY_LOG_INFO,
  Warn = TRIBUTARY_LOG_WARN,
  Error = TRIBUTARY_LOG_ERROR,
};

// ---------------------------------------------------------------------------------------
// Host: the instance's services (settings, secrets, log), valid for the instance's life
// ---------------------------------------------------------------------------------------

class Host {
 public:
  Host(const tributary_host_api_v1* api, tributary_host_instance* instance) : api_(api), instance_(instance) {}

  // A setting's text (its declared default when the connection gives none), or nullopt.
  std::optional<std::string_view> config(std::string_view key) const {
    tributary_str out{nullptr, 0};
    if (!api_->get_config(instance_, str(key), &out)) return std::nullopt;
    return view(out);
  }
  // A secret's text, or nullopt. Never log it.
  std::optional<std::string_view> secret(std::string_view key) const {
    tributary_str out{nullptr, 0};
    if (!api_->get_secret(instance_, str(key), &out)) return std::nullopt;
    return view(out);
  }
  std::string configString(std::string_view key, std::string_view fallback = {}) const {
    auto v = config(key);
    return std::string(v ? *v : fallback);
  }
  // An integer setting; a value that is not an integer throws FatalError naming the key.
  int64_t configInt(std::string_view key, int64_t fallback = 0) const {
    auto v = config(key);
    if (!v) return fallback;
    try {
      auto n = sanitize::integer(*v);
      return n ? *n : fallback;
    } catch (const InvalidValue& e) {
      throw FatalError("setting '" + std::string(key) + "': " + e.what());
    }
  }
  bool configBool(std::string_view key, bool fallback = false) const {
    auto v = config(key);
    if (!v) return fallback;
    try {
      auto b = sanitize::boolean(*v);
      return b ? *b : fallback;
    } catch (const InvalidValue& e) {
      throw FatalError("setting '" + std::string(key) + "': " + e.what());
    }
  }

  void log(LogLevel level, std::string_view message) const {
    api_->log(instance_, static_cast<int32_t>(level), str(message));
  }
  void debug(std::string_view m) const { log(LogLevel::Debug, m); }
  void info(std::string_view m) const { log(LogLevel::Info, m); }
  void warn(std::string_view m) const { log(LogLevel::Warn, m); }
  void error(std::string_view m) const { log(LogLevel::Error, m); }

  const tributary_host_api_v1* api() const { return api_; }
  tributary_host_instance* handle() const { return instance_; }

 private:
  const tributary_host_api_v1* api_;
  tributary_host_instance* instance_;
};

// ---------------------------------------------------------------------------------------
// HTTP through the host
// ---------------------------------------------------------------------------------------

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  uint32_t timeoutMs = 0;  // 0 = the host's default
  // 1.1 http. Initialized here so that 1.0-era brace initialization still compiles.
  std::string limitClass{};  // a declared rate-limit class; "" = the default (the first)
  uint64_t cost = 1;         // points, for a points class
  bool idempotent = false;   // a POST that may be repeated (a search, a GraphQL query)
  // 1.1 auth: the host adds no credential to this request (a pre-signed download URL, another
  // party's endpoint). Without it, every request of a connection with an auth: section carries it.
  bool noAuth = false;
};

// A response owned by the host, released when this object dies.
class HttpResponse {
 public:
  HttpResponse(const tributary_host_api_v1* api, tributary_host_ctx* ctx, const tributary_http_response_v1* response)
      : api_(api), ctx_(ctx), response_(response) {}
  HttpResponse(HttpResponse&& o) noexcept
      : api_(o.api_), ctx_(o.ctx_), response_(std::exchange(o.response_, nullptr)) {}
  HttpResponse& operator=(HttpResponse&& o) noexcept {
    if (this != &o) {
      release();
      api_ = o.api_;
      ctx_ = o.ctx_;
      response_ = std::exchange(o.response_, nullptr);
    }
    return *this;
  }
  HttpResponse(const HttpResponse&) = delete;
  HttpResponse& operator=(const HttpResponse&) = delete;
  ~HttpResponse() { release(); }

  int status() const { return response_->status; }
  std::string_view body() const { return view(response_->body); }
  // The first header of that name (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const {
    for (uint64_t i = 0; i < response_->header_count; ++i) {
      std::string_view n = view(response_->headers[i].name);
      if (n.size() != name.size()) continue;
      bool same = true;
      for (size_t k = 0; k < n.size() && same; ++k) {
        same = sanitize::detail::lower(n[k]) == sanitize::detail::lower(name[k]);
      }
      if (same) return view(response_->headers[i].value);
    }
    return std::nullopt;
  }

 private:
  void release() {
    if (response_) api_->http_response_free(ctx_, response_);
    response_ = nullptr;
  }
  const tributary_host_api_v1* api_;
  tributary_host_ctx* ctx_;
  const tributary_http_response_v1* response_;
};

// ---------------------------------------------------------------------------------------
// Context: the services of one hook call (valid only during it, on its thread)
// ---------------------------------------------------------------------------------------

class Context {
 public:
  Context(const tributary_host_api_v1* api, tributary_host_ctx* ctx) : api_(api), ctx_(ctx) {}

  // The hot path. The host copies the record before returning; reuse it freely.
  void emit(const Record& record) {
    tributary_record_v1 r = record.view();
    tributary_result rc = api_->emit_record(ctx_, &r);
    if (rc != TRIBUTARY_OK) throw HostStopped(rc);
  }
  // A poison record: stored with its id, the rest of the page goes on.
  void emitRecordError(std::string_view stream, std::string_view sourceId, std::string_view message,
                       std::string_view rawJson) {
    tributary_record_error_v1 e{};
    e.struct_size = sizeof e;
    e.stream = str(stream);
    e.source_id = str(sourceId);
    e.message = str(message);
    e.raw_json = str(rawJson);
    tributary_result rc = api_->emit_record_error(ctx_, &e);
    if (rc != TRIBUTARY_OK) throw HostStopped(rc);
  }
  // Closes the batch of records emitted since the previous checkpoint.
  void checkpoint(std::string_view stream, std::string_view cursorJson) {
    tributary_result rc = api_->commit_checkpoint(ctx_, str(stream), str(cursorJson));
    if (rc != TRIBUTARY_OK) throw HostStopped(rc);
  }
  void progress(int64_t current, int64_t total, std::string_view message = {}) {
    api_->report_progress(ctx_, current, total, str(message));
  }
  bool cancelled() const { return api_->is_cancelled(ctx_) != 0; }
  void throwIfCancelled() const {
    if (cancelled()) throw Cancelled();
  }
  // Sleeps, waking every 20 ms to honour cancellation (throws Cancelled).
  void sleep(std::chrono::milliseconds duration) const {
    auto until = std::chrono::steady_clock::now() + duration;
    for (;;) {
      throwIfCancelled();
      auto now = std::chrono::steady_clock::now();
      if (now >= until) return;
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(20)));
    }
  }

  // Sends a request through the host, which waits for its rate-limit slot and retries or waits
  // out what its rules say (see connector_abi.h, http_request). The response the host hands
  // back is returned, whatever its status; no response at all throws RetryError (FatalError for
  // a request the host will never send); a wait beyond http.max_inline_wait throws HostStopped
  // (WAIT), which the hook returns as it is, parking the job.
  HttpResponse http(const HttpRequest& request) {
    std::vector<tributary_http_header> headers;
    headers.reserve(request.headers.size());
    for (const auto& [name, value] : request.headers) headers.push_back({str(name), str(value)});
    tributary_http_request_v1 r{};
    r.struct_size = sizeof r;
    r.timeout_ms = request.timeoutMs;
    r.method = str(request.method);
    r.url = str(request.url);
    r.headers = headers.data();
    r.header_count = headers.size();
    r.body = str(request.body);
    r.flags = (request.idempotent ? TRIBUTARY_HTTP_IDEMPOTENT : 0u) | (request.noAuth ? TRIBUTARY_HTTP_NO_AUTH : 0u);
    r.limit_class = str(request.limitClass);
    r.cost = request.cost;
    const tributary_http_response_v1* out = nullptr;
    tributary_result rc = api_->http_request(ctx_, &r, &out);
    HttpResponse response(api_, ctx_, out);
    if (rc != TRIBUTARY_OK) {
      // WAIT: the host has set the retry time and its reason; the hook returns WAIT as it is.
      if (rc == TRIBUTARY_WAIT || rc == TRIBUTARY_CANCELLED) throw HostStopped(rc);
      std::string why = request.method + " " + request.url + ": " +
                        std::string(out ? view(out->error) : std::string_view("no response"));
      if (rc == TRIBUTARY_FATAL) throw FatalError(why);
      throw RetryError(why);
    }
    return response;
  }
  // 1.1 http: what the vendor says is left of a rate-limit class (X-HubSpot-RateLimit-Remaining,
  // Sforce-Limit-Info, monday's complexity) until resetAtMs (unset: the class's window). The
  // host only ever tightens the shared budget with it. A 1.0 host ignores it.
  void reportRateLimit(std::string_view limitClass, int64_t remaining,
                       std::optional<int64_t> resetAtMs = std::nullopt) {
    if (!TRIBUTARY_HOST_HAS(api_, report_rate_limit)) return;
    check(api_->report_rate_limit(ctx_, str(limitClass), remaining, resetAtMs ? *resetAtMs : TRIBUTARY_TIME_NONE));
  }

  // 1.1 auth: a value of the connection's credential that is not itself a secret (see
  // get_auth_value): a field of the oauth2 token answer besides the tokens, Salesforce's
  // "instance_url" or Gong's "api_base_url_for_customer"; "" when the answer had no such field.
  // The host makes the credential usable first (it may refresh an expired token), and a refresh
  // may change the value: read it in each hook, before the request that needs it. The tokens
  // themselves are never readable ("access_token", "refresh_token" and "id_token" are FATAL):
  // the host adds the credential to every request. A refusal (the connection's auth is not
  // oauth2 or not connected yet, a refresh failed) throws HostStopped with the host's code, which
  // the hook returns as it is; the host has the message.
  std::string authValue(std::string_view name) {
    require(TRIBUTARY_HOST_HAS(api_, get_auth_value), "get_auth_value");
    tributary_str out{nullptr, 0};
    check(api_->get_auth_value(ctx_, str(name), &out));
    return std::string(view(out));
  }

  // --- 1.1 ---

  // The stream's carried state (JSON text): committed with the next checkpoint, or when the
  // hook returns, and given to the stream's next run as SyncRequest::state.
  void setStreamState(std::string_view stream, std::string_view stateJson) {
    require(TRIBUTARY_HOST_HAS(api_, set_stream_state), "set_stream_state");
    check(api_->set_stream_state(ctx_, str(stream), str(stateJson)));
  }
  // A link of a declared type; it commits with the current batch.
  void link(std::string_view stream, std::string_view type, std::string_view fromId, std::string_view toId,
            bool removed = false) {
    require(TRIBUTARY_HOST_HAS(api_, emit_link), "emit_link");
    tributary_link_v1 l{};
    l.struct_size = sizeof l;
    l.flags = removed ? TRIBUTARY_LINK_DELETED : 0u;
    l.stream = str(stream);
    l.type = str(type);
    l.from_id = str(fromId);
    l.to_id = str(toId);
    check(api_->emit_link(ctx_, &l));
  }
  // After the run succeeds: a backfill of `stream` over [fromMs, toMs) (either may be unset).
  void followUpBackfill(std::string_view stream, std::string_view reason, std::optional<int64_t> fromMs = std::nullopt,
                        std::optional<int64_t> toMs = std::nullopt) {
    followUp(TRIBUTARY_FOLLOW_UP_BACKFILL, stream, reason, fromMs ? *fromMs : TRIBUTARY_TIME_NONE,
             toMs ? *toMs : TRIBUTARY_TIME_MAX);
  }
  // After the run succeeds: a full resync of `stream`.
  void followUpResync(std::string_view stream, std::string_view reason) {
    followUp(TRIBUTARY_FOLLOW_UP_RESYNC, stream, reason, TRIBUTARY_TIME_NONE, TRIBUTARY_TIME_MAX);
  }
  // Run statistics: a named counter, and a named fact (a JSON value).
  void count(std::string_view name, int64_t delta = 1) {
    require(TRIBUTARY_HOST_HAS(api_, add_run_counter), "add_run_counter");
    check(api_->add_run_counter(ctx_, str(name), delta));
  }
  void fact(std::string_view name, std::string_view valueJson) {
    require(TRIBUTARY_HOST_HAS(api_, set_run_fact), "set_run_fact");
    check(api_->set_run_fact(ctx_, str(name), str(valueJson)));
  }

  const tributary_host_api_v1* api() const { return api_; }
  tributary_host_ctx* handle() const { return ctx_; }

 private:
  void followUp(uint32_t kind, std::string_view stream, std::string_view reason, int64_t fromMs, int64_t toMs) {
    require(TRIBUTARY_HOST_HAS(api_, request_follow_up), "request_follow_up");
    tributary_follow_up_v1 f{};
    f.struct_size = sizeof f;
    f.kind = kind;
    f.stream = str(stream);
    f.reason = str(reason);
    f.window_from_ms = fromMs;
    f.window_to_ms = toMs;
    check(api_->request_follow_up(ctx_, &f));
  }
  static void check(tributary_result rc) {
    if (rc != TRIBUTARY_OK) throw HostStopped(rc);
  }
  void require(bool has, const char* function) const {
    if (!has) throw FatalError(std::string("this host has no ") + function + " (it predates connector ABI 1.1)");
  }

  const tributary_host_api_v1* api_;
  tributary_host_ctx* ctx_;
};

// ---------------------------------------------------------------------------------------
// Sync requests
// ---------------------------------------------------------------------------------------

enum class SyncMode : uint32_t {
  Initial = TRIBUTARY_SYNC_INITIAL,
  Incremental = TRIBUTARY_SYNC_INCREMENTAL,
  Backfill = TRIBUTARY_SYNC_BACKFILL,
};

// A tributary_sync_request_v1 as C++ views (borrowed for the call). See connector_abi.h for
// the order of precedence: cursor, then since, then everything.
struct SyncRequest {
  SyncMode mode = SyncMode::Initial;
  std::string_view stream;
  std::string_view cursor;              // empty: none
  std::optional<int64_t> sinceMs;       // watermark minus overlap
  std::optional<int64_t> windowFromMs;  // backfill, inclusive
  std::optional<int64_t> windowToMs;    // backfill, exclusive
  std::vector<std::string_view> ids;    // backfill by id; empty: no filter
  std::string_view state;               // 1.1: the stream's carried state; empty: none

  bool hasCursor() const { return !cursor.empty(); }
  bool hasState() const { return !state.empty(); }

  static SyncRequest fromAbi(const tributary_sync_request_v1* r) {
    SyncRequest out;
    out.mode = static_cast<SyncMode>(r->mode);
    out.stream = view(r->stream);
    out.cursor = view(r->cursor_json);
    if (r->since_ms != TRIBUTARY_TIME_NONE) out.sinceMs = r->since_ms;
    if (r->window_from_ms != TRIBUTARY_TIME_NONE) out.windowFromMs = r->window_from_ms;
    if (r->window_to_ms != TRIBUTARY_TIME_MAX) out.windowToMs = r->window_to_ms;
    out.ids.reserve(static_cast<size_t>(r->id_count));
    for (uint64_t i = 0; i < r->id_count; ++i) out.ids.push_back(view(r->ids[i]));
    if (TRIBUTARY_STRUCT_HAS(r, state_json)) out.state = view(r->state_json);
    return out;
  }
};

// ---------------------------------------------------------------------------------------
// Describing a connector
// ---------------------------------------------------------------------------------------

// 1.1 stream flags, for StreamInfo::flags.
namespace stream_flags {
// Initial and incremental reads deliver records in ascending modification time.
inline constexpr uint32_t ModificationOrder = TRIBUTARY_STREAM_MODIFICATION_ORDER;
// Only ever read whole: every run is a full refresh; a backfill is refused.
inline constexpr uint32_t FullRefresh = TRIBUTARY_STREAM_FULL_REFRESH;
}  // namespace stream_flags

struct StreamInfo {
  std::string name;
  std::string primaryKey;
  std::string cursorField;
  std::string entity;  // canonical entity, or "" for the generic records table
  std::string description;
  uint32_t flags = 0;  // 1.1: stream_flags::*
};

// 1.1: a kind of link between two canonical entities; `column`, when set, is the text column
// of fromEntity's table that links of this type own (see tributary_link_type_v1).
struct LinkTypeInfo {
  std::string name;
  std::string fromEntity;
  std::string toEntity;
  std::string column{};
  std::string description{};
};

enum class ConfigType : uint32_t {
  String = TRIBUTARY_CONFIG_STRING,
  Integer = TRIBUTARY_CONFIG_INTEGER,
  Number = TRIBUTARY_CONFIG_NUMBER,
  Boolean = TRIBUTARY_CONFIG_BOOLEAN,
};

struct ConfigKey {
  std::string key;
  ConfigType type = ConfigType::String;
  bool required = false;
  std::optional<std::string> defaultValue;
  bool secret = false;
  std::string description;
};

// 1.1: an action (write-back) and the typed fields of its JSON body.
struct ActionInfo {
  std::string name;
  std::string description;
  bool idempotent = false;  // the host may retry it
  std::vector<ConfigKey> body{};
};

// 1.1 http: a vendor rate limit the host enforces for every request of the class (see
// tributary_rate_limit_v1). The first declared is the default class.
struct RateLimitInfo {
  std::string name;
  uint64_t requests = 0;  // points, for a points class
  int64_t perMs = 0;
  bool points = false;        // each request gives its cost (HttpRequest::cost)
  bool quota = false;         // a long-window quota: used in bursts; when spent the job parks
  bool everyRequest = false;  // counts every request, whatever its class
  std::string description{};
};

// 1.1 http: a vendor signal the host's defaults do not know (see tributary_http_rule_v1).
enum class HttpRuleAction : uint32_t {
  Retry = TRIBUTARY_HTTP_RULE_RETRY,
  RateLimit = TRIBUTARY_HTTP_RULE_RATE_LIMIT,
  Quota = TRIBUTARY_HTTP_RULE_QUOTA,
  // 1.1 auth: the oauth2 access token was refused as expired (Salesforce's 401
  // INVALID_SESSION_ID): the host refreshes it, once across every job and host, and sends the
  // request again. Only with an AuthType::OAuth2 declared; some vendors' 401 is no refresh signal.
  RefreshAuth = TRIBUTARY_HTTP_RULE_REFRESH_AUTH,
};
struct HttpRuleInfo {
  HttpRuleAction action = HttpRuleAction::Retry;  // RefreshAuth: no limitClass
  int32_t status = 0;
  std::string errorCode{};   // "" = any body of that status
  std::string limitClass{};  // RateLimit, Quota: the class that waits; "" = the request's
  int64_t waitMs = 0;        // when the response has no Retry-After; 0 = the host's
  std::string description{};
};

// 1.1 auth: the kinds of credential the host adds to a connection's requests (see
// tributary_auth_v1). A connection picks one with its auth: section; the plugin never sees it.
enum class AuthType : uint32_t {
  Bearer = TRIBUTARY_AUTH_BEARER,   // "Authorization: Bearer TOKEN", a static token
  Basic = TRIBUTARY_AUTH_BASIC,     // "Authorization: Basic base64(username:password)"
  ApiKey = TRIBUTARY_AUTH_API_KEY,  // a key in a header (paramName) or, inQuery, a query parameter
  OAuth2 = TRIBUTARY_AUTH_OAUTH2,   // the authorization code grant, then refresh tokens, kept by the host
};

// 1.1 auth: one kind of credential the connector accepts; each type at most once. The URLs are
// the vendor's production ones (a connection's auth: may override them).
struct AuthInfo {
  AuthType type = AuthType::Bearer;
  bool inQuery = false;      // ApiKey: a query parameter ("hapikey"), not a header
  bool pkce = false;         // OAuth2: the authorize URL carries a PKCE S256 code challenge
  bool clientBasic = false;  // OAuth2: the token endpoint takes the client id and secret as HTTP Basic
  // ApiKey: the header or query parameter (required). Bearer, OAuth2: the header; "" = Authorization.
  std::string paramName{};
  // Bearer, OAuth2: what precedes the token, nullopt = "Bearer " ("" for nothing). ApiKey: nullopt
  // or a prefix ("Token "). Basic: nullopt.
  std::optional<std::string> valuePrefix{};
  std::string authorizeUrl{};     // OAuth2: the vendor's authorize endpoint (https)
  std::string tokenUrl{};         // OAuth2: where codes are exchanged and tokens refreshed
  std::string scopes{};           // OAuth2: the default scopes, space-separated
  std::string authorizeParams{};  // OAuth2: more of the authorize URL's query ("access_type=offline")
  std::string description{};

  // The usual shapes, to fill in further as needed.
  static AuthInfo bearer(std::string description = {}) {
    AuthInfo a;
    a.description = std::move(description);
    return a;
  }
  static AuthInfo basic(std::string description = {}) {
    AuthInfo a;
    a.type = AuthType::Basic;
    a.description = std::move(description);
    return a;
  }
  static AuthInfo apiKey(std::string header, std::string description = {}) {
    AuthInfo a;
    a.type = AuthType::ApiKey;
    a.paramName = std::move(header);
    a.description = std::move(description);
    return a;
  }
  static AuthInfo apiKeyInQuery(std::string parameter, std::string description = {}) {
    AuthInfo a = apiKey(std::move(parameter), std::move(description));
    a.inQuery = true;
    return a;
  }
  static AuthInfo oauth2(std::string authorizeUrl, std::string tokenUrl, std::string scopes = {},
                         std::string description = {}) {
    AuthInfo a;
    a.type = AuthType::OAuth2;
    a.authorizeUrl = std::move(authorizeUrl);
    a.tokenUrl = std::move(tokenUrl);
    a.scopes = std::move(scopes);
    a.description = std::move(description);
    return a;
  }
};

struct ConnectorInfo {
  std::string name;  // dotted: "tributary.example"
  std::string version;
  std::string description;
  std::vector<StreamInfo> streams;
  std::vector<ConfigKey> config;
  // 1.1
  bool discoversStreams = false;  // the connector overrides discover(); `streams` is the default
  // Initialized here so that code listing the 1.0 fields in braces still compiles warning-free.
  std::vector<LinkTypeInfo> linkTypes{};
  std::vector<ActionInfo> actions{};  // the connector overrides action()
  std::vector<RateLimitInfo> rateLimits{};
  std::vector<HttpRuleInfo> httpRules{};
  std::vector<AuthInfo> auths{};  // 1.1 auth

  ConnectorInfo& stream(StreamInfo s) {
    streams.push_back(std::move(s));
    return *this;
  }
  ConnectorInfo& setting(ConfigKey k) {
    config.push_back(std::move(k));
    return *this;
  }
  ConnectorInfo& linkType(LinkTypeInfo t) {
    linkTypes.push_back(std::move(t));
    return *this;
  }
  ConnectorInfo& action(ActionInfo a) {
    actions.push_back(std::move(a));
    return *this;
  }
  ConnectorInfo& rateLimit(RateLimitInfo l) {
    rateLimits.push_back(std::move(l));
    return *this;
  }
  ConnectorInfo& httpRule(HttpRuleInfo r) {
    httpRules.push_back(std::move(r));
    return *this;
  }
  ConnectorInfo& auth(AuthInfo a) {
    auths.push_back(std::move(a));
    return *this;
  }
};

// ---------------------------------------------------------------------------------------
// The base class
// ---------------------------------------------------------------------------------------

// Derive, give a constructor taking `const tributary::Host&`, a static
// `tributary::ConnectorInfo describe()`, and override check() and sync() (or the three
// mode hooks). One instance serves one connection on one thread at a time.
class Connector {
 public:
  explicit Connector(const Host& host) : host_(host) {}
  virtual ~Connector() = default;
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;

  // Settings, credentials, connectivity: runs before every sync. Throw FatalError for bad
  // settings or credentials.
  virtual void check(Context&) {}

  // One stream per call. The three hooks share sync() unless overridden.
  virtual void initialSync(Context& ctx, const SyncRequest& request) { sync(ctx, request); }
  virtual void incrementalSync(Context& ctx, const SyncRequest& request) { sync(ctx, request); }
  virtual void backfill(Context& ctx, const SyncRequest& request) { sync(ctx, request); }
  virtual void sync(Context&, const SyncRequest& request) {
    const char* hook = request.mode == SyncMode::Initial       ? "initialSync"
                       : request.mode == SyncMode::Incremental ? "incrementalSync"
                                                               : "backfill";
    throw FatalError(std::string("this connector does not implement ") + hook + " (stream '" +
                     std::string(request.stream) + "')");
  }

  // 1.1, with ConnectorInfo::discoversStreams: the instance's streams, found by I/O.
  virtual std::vector<StreamInfo> discover(Context&) { return {}; }
  // 1.1, for ConnectorInfo::actions: perform `name` with its validated JSON body (every
  // declared field the caller gave, and the defaults of the others) and return the result as
  // JSON text, or "" for none (the job's result is then null). Throw as a sync hook does:
  // RetryError is retried only for an idempotent action, RateLimited parks the job.
  virtual std::string action(Context&, std::string_view name, std::string_view /*bodyJson*/) {
    throw FatalError("this connector does not implement the action '" + std::string(name) + "'");
  }

  const Host& host() const { return host_; }

 private:
  Host host_;
};

// ---------------------------------------------------------------------------------------
// The boundary (used by TRIBUTARY_CONNECTOR; not for authors)
// ---------------------------------------------------------------------------------------

namespace detail {

inline void setError(const tributary_host_api_v1* api, tributary_host_ctx* ctx, const char* message) noexcept {
  api->set_error(ctx, tributary_str{message, std::strlen(message)});
}

// Runs f, turning every exception into a result code. Allocates nothing on the way out.
template <class F>
tributary_result guard(const tributary_host_api_v1* api, tributary_host_ctx* ctx, F&& f) noexcept {
  try {
    f();
    return TRIBUTARY_OK;
  } catch (const HostStopped& e) {
    return e.code();
  } catch (const Cancelled& e) {
    setError(api, ctx, e.what());
    return TRIBUTARY_CANCELLED;
  } catch (const FatalError& e) {
    setError(api, ctx, e.what());
    return TRIBUTARY_FATAL;
  } catch (const RateLimited& e) {
    setError(api, ctx, e.what());
    api->set_retry_after(ctx, e.untilMs());
    return TRIBUTARY_WAIT;
  } catch (const RetryError& e) {
    setError(api, ctx, e.what());
    if (e.retryAfterMs() != TRIBUTARY_TIME_NONE) api->set_retry_after(ctx, e.retryAfterMs());
    return TRIBUTARY_RETRY;
  } catch (const std::exception& e) {
    setError(api, ctx, e.what());
    return TRIBUTARY_RETRY;
  } catch (...) {
    setError(api, ctx, "unknown exception (not derived from std::exception)");
    return TRIBUTARY_RETRY;
  }
}

inline tributary_stream_v1 streamView(const StreamInfo& s) {
  tributary_stream_v1 v{};
  v.struct_size = sizeof v;
  v.flags = s.flags;
  v.name = s.name.c_str();
  v.primary_key = s.primaryKey.c_str();
  v.cursor_field = s.cursorField.c_str();
  v.entity = s.entity.c_str();
  v.description = s.description.c_str();
  return v;
}

inline tributary_config_key_v1 configKeyView(const ConfigKey& k) {
  tributary_config_key_v1 v{};
  v.struct_size = sizeof v;
  v.type = static_cast<uint32_t>(k.type);
  v.flags = (k.required ? TRIBUTARY_CONFIG_REQUIRED : 0u) | (k.secret ? TRIBUTARY_CONFIG_SECRET : 0u);
  v.key = k.key.c_str();
  v.default_value = k.defaultValue ? k.defaultValue->c_str() : nullptr;
  v.description = k.description.c_str();
  return v;
}

template <class C>
struct Adapter {
  static Connector* self(tributary_instance* p) { return reinterpret_cast<Connector*>(p); }

  static tributary_result create(const tributary_host_api_v1* api, tributary_host_instance* instance,
                                 tributary_host_ctx* ctx, tributary_instance** out) noexcept {
    *out = nullptr;
    return guard(api, ctx, [&] {
      std::unique_ptr<Connector> c = std::make_unique<C>(Host(api, instance));
      *out = reinterpret_cast<tributary_instance*>(c.release());
    });
  }
  static void destroy(tributary_instance* p) noexcept { delete self(p); }
  static tributary_result check(tributary_instance* p, tributary_host_ctx* ctx) noexcept {
    Connector* c = self(p);
    return guard(c->host().api(), ctx, [&] {
      Context cx(c->host().api(), ctx);
      c->check(cx);
    });
  }
  static tributary_result discover(tributary_instance* p, tributary_host_ctx* ctx) noexcept {
    Connector* c = self(p);
    return guard(c->host().api(), ctx, [&] {
      Context cx(c->host().api(), ctx);
      for (const StreamInfo& s : c->discover(cx)) {
        tributary_stream_v1 v = streamView(s);
        tributary_result rc = c->host().api()->declare_stream(ctx, &v);
        if (rc != TRIBUTARY_OK) throw HostStopped(rc);
      }
    });
  }
  static tributary_result action(tributary_instance* p, tributary_host_ctx* ctx,
                                 const tributary_action_request_v1* request) noexcept {
    Connector* c = self(p);
    return guard(c->host().api(), ctx, [&] {
      Context cx(c->host().api(), ctx);
      std::string result = c->action(cx, view(request->action), view(request->body_json));
      if (result.empty()) return;
      tributary_result rc = c->host().api()->set_action_result(ctx, str(result));
      if (rc != TRIBUTARY_OK) throw HostStopped(rc);
    });
  }
  template <void (Connector::*Hook)(Context&, const SyncRequest&)>
  static tributary_result run(tributary_instance* p, tributary_host_ctx* ctx,
                              const tributary_sync_request_v1* request) noexcept {
    Connector* c = self(p);
    return guard(c->host().api(), ctx, [&] {
      Context cx(c->host().api(), ctx);
      SyncRequest r = SyncRequest::fromAbi(request);
      (c->*Hook)(cx, r);
    });
  }
};

template <class C>
struct Tag {};

// Owns the descriptor and the strings and arrays it points into. Built in place and never
// moved: the descriptor points into its own strings.
class Descriptor {
 public:
  template <class C>
  Descriptor(ConnectorInfo info, Tag<C>) : info_(std::move(info)) {
    for (const StreamInfo& s : info_.streams) streams_.push_back(streamView(s));
    for (const ConfigKey& k : info_.config) config_.push_back(configKeyView(k));
    for (const LinkTypeInfo& t : info_.linkTypes) {
      tributary_link_type_v1 v{};
      v.struct_size = sizeof v;
      v.name = t.name.c_str();
      v.from_entity = t.fromEntity.c_str();
      v.to_entity = t.toEntity.c_str();
      v.column = t.column.c_str();
      v.description = t.description.c_str();
      linkTypes_.push_back(v);
    }
    bodies_.reserve(info_.actions.size());  // actions_ point into these vectors
    for (const ActionInfo& a : info_.actions) {
      std::vector<tributary_config_key_v1>& body = bodies_.emplace_back();
      for (const ConfigKey& k : a.body) body.push_back(configKeyView(k));
      tributary_action_v1 v{};
      v.struct_size = sizeof v;
      v.flags = a.idempotent ? TRIBUTARY_ACTION_IDEMPOTENT : 0u;
      v.name = a.name.c_str();
      v.description = a.description.c_str();
      v.body_keys = body.empty() ? nullptr : body.data();
      v.body_key_count = static_cast<uint32_t>(body.size());
      actions_.push_back(v);
    }
    for (const RateLimitInfo& l : info_.rateLimits) {
      tributary_rate_limit_v1 v{};
      v.struct_size = sizeof v;
      v.flags = (l.points ? TRIBUTARY_RATE_LIMIT_POINTS : 0u) | (l.quota ? TRIBUTARY_RATE_LIMIT_QUOTA : 0u) |
                (l.everyRequest ? TRIBUTARY_RATE_LIMIT_EVERY_REQUEST : 0u);
      v.name = l.name.c_str();
      v.requests = l.requests;
      v.per_ms = l.perMs;
      v.description = l.description.c_str();
      rateLimits_.push_back(v);
    }
    for (const HttpRuleInfo& r : info_.httpRules) {
      tributary_http_rule_v1 v{};
      v.struct_size = sizeof v;
      v.action = static_cast<uint32_t>(r.action);
      v.status = r.status;
      v.error_code = r.errorCode.c_str();
      v.limit_class = r.limitClass.c_str();
      v.wait_ms = r.waitMs;
      v.description = r.description.c_str();
      httpRules_.push_back(v);
    }
    // "" is "not given" (NULL) for the optional texts: the host's defaults apply.
    auto orNull = [](const std::string& text) { return text.empty() ? nullptr : text.c_str(); };
    for (const AuthInfo& a : info_.auths) {
      tributary_auth_v1 v{};
      v.struct_size = sizeof v;
      v.type = static_cast<uint32_t>(a.type);
      v.flags = (a.inQuery ? TRIBUTARY_AUTH_IN_QUERY : 0u) | (a.pkce ? TRIBUTARY_AUTH_PKCE : 0u) |
                (a.clientBasic ? TRIBUTARY_AUTH_CLIENT_BASIC : 0u);
      v.param_name = orNull(a.paramName);
      v.value_prefix = a.valuePrefix ? a.valuePrefix->c_str() : nullptr;
      v.authorize_url = orNull(a.authorizeUrl);
      v.token_url = orNull(a.tokenUrl);
      v.scopes = orNull(a.scopes);
      v.authorize_params = orNull(a.authorizeParams);
      v.description = a.description.c_str();
      auths_.push_back(v);
    }
    c_.abi_version = TRIBUTARY_ABI_VERSION;
    c_.struct_size = sizeof c_;
    c_.name = info_.name.c_str();
    c_.version = info_.version.c_str();
    c_.description = info_.description.c_str();
    c_.streams = streams_.data();
    c_.stream_count = static_cast<uint32_t>(streams_.size());
    c_.config_keys = config_.data();
    c_.config_key_count = static_cast<uint32_t>(config_.size());
    c_.create = &Adapter<C>::create;
    c_.destroy = &Adapter<C>::destroy;
    c_.check = &Adapter<C>::check;
    c_.initial_sync = &Adapter<C>::template run<&Connector::initialSync>;
    c_.incremental_sync = &Adapter<C>::template run<&Connector::incrementalSync>;
    c_.backfill = &Adapter<C>::template run<&Connector::backfill>;
    c_.discover = info_.discoversStreams ? &Adapter<C>::discover : nullptr;
    c_.link_types = linkTypes_.empty() ? nullptr : linkTypes_.data();
    c_.link_type_count = static_cast<uint32_t>(linkTypes_.size());
    c_.actions = actions_.empty() ? nullptr : actions_.data();
    c_.action_count = static_cast<uint32_t>(actions_.size());
    c_.action = actions_.empty() ? nullptr : &Adapter<C>::action;
    c_.rate_limits = rateLimits_.empty() ? nullptr : rateLimits_.data();
    c_.rate_limit_count = static_cast<uint32_t>(rateLimits_.size());
    c_.http_rules = httpRules_.empty() ? nullptr : httpRules_.data();
    c_.http_rule_count = static_cast<uint32_t>(httpRules_.size());
    c_.auths = auths_.empty() ? nullptr : auths_.data();
    c_.auth_count = static_cast<uint32_t>(auths_.size());
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  const tributary_connector_v1* get() const { return &c_; }

 private:
  ConnectorInfo info_;
  std::vector<tributary_stream_v1> streams_;
  std::vector<tributary_config_key_v1> config_;
  std::vector<tributary_link_type_v1> linkTypes_;
  std::vector<std::vector<tributary_config_key_v1>> bodies_;
  std::vector<tributary_action_v1> actions_;
  std::vector<tributary_rate_limit_v1> rateLimits_;
  std::vector<tributary_http_rule_v1> httpRules_;
  std::vector<tributary_auth_v1> auths_;
  tributary_connector_v1 c_{};
};

template <class C>
const tributary_connector_v1* entry() noexcept {
  static_assert(std::is_base_of_v<Connector, C>, "TRIBUTARY_CONNECTOR needs a tributary::Connector");
  static_assert(std::is_constructible_v<C, const Host&>,
                "a connector needs a constructor taking (const tributary::Host&)");
  try {
    static const Descriptor descriptor(C::describe(), Tag<C>{});
    return descriptor.get();
  } catch (...) {
    return nullptr;  // describe() threw: the host refuses the plugin with a clear message
  }
}

}  // namespace detail
}  // namespace tributary

// Emits the plugin's entry symbol for ConnectorClass. Use once, at namespace scope, in one
// source file of the plugin.
#define TRIBUTARY_CONNECTOR(ConnectorClass)                                                                            \
  extern "C" __attribute__((visibility("default"))) const tributary_connector_v1* tributary_connector_entry_v1(void) { \
    return ::tributary::detail::entry<ConnectorClass>();                                                               \
  }

#endif  // TRIBUTARY_SDK_HPP
