// The host API table: C trampolines that forward a plugin's calls to the C++ services of
// its call (RunServices) or instance (InstanceOptions). No exception leaves a trampoline.
#include <chrono>
#include <cstddef>
#include <exception>
#include <string_view>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "common/Redact.h"
#include "common/Strings.h"
#include "http/HttpError.h"
#include "plugins/DescriptorReader.h"
#include "plugins/HostContext.h"
#include "plugins/RunServices.h"

using tributary::plugins::CallResult;
using tributary::plugins::ResultCode;
using tributary::plugins::RunServices;
using tributary::plugins::RunStopped;

namespace {

std::string_view view(tributary_str s) {
  return s.data ? std::string_view(s.data, static_cast<size_t>(s.size)) : std::string_view();
}

tributary_result toAbi(ResultCode code) {
  switch (code) {
    case ResultCode::Ok: return TRIBUTARY_OK;
    case ResultCode::Retry: return TRIBUTARY_RETRY;
    case ResultCode::Fatal: return TRIBUTARY_FATAL;
    case ResultCode::Wait: return TRIBUTARY_WAIT;
    case ResultCode::Cancelled: return TRIBUTARY_CANCELLED;
  }
  return TRIBUTARY_FATAL;
}

// Runs a RunServices call; turns what it throws into the call's host failure and a code
// the plugin should return.
template <class F>
tributary_result serve(tributary_host_ctx* ctx, const char* function, F&& f) noexcept {
  if (ctx->hostFailure) return toAbi(ctx->hostFailure->code);  // already stopping
  if (!ctx->services) {
    ctx->hostFailure = CallResult{ResultCode::Fatal,
                                  std::string("plugin called ") + function + " during " + ctx->hook +
                                      ", where it is not available; fix the plugin",
                                  std::nullopt};
    return TRIBUTARY_FATAL;
  }
  try {
    f(*ctx->services);
    return TRIBUTARY_OK;
  } catch (const tributary::plugins::NotAvailable&) {
    ctx->hostFailure = CallResult{ResultCode::Fatal,
                                  std::string("plugin called ") + function + " during " + ctx->hook +
                                      ", where it is not available; fix the plugin",
                                  std::nullopt};
  } catch (const RunStopped& e) {
    ctx->hostFailure = CallResult{e.code(), e.what(), std::nullopt};
  } catch (const std::exception& e) {
    ctx->hostFailure =
        CallResult{ResultCode::Retry, std::string("host error in ") + function + ": " + e.what(), std::nullopt};
  } catch (...) {
    ctx->hostFailure = CallResult{ResultCode::Retry, std::string("host error in ") + function, std::nullopt};
  }
  return toAbi(ctx->hostFailure->code);
}

// Ends the call Fatal with `message` (a bad argument): the plugin's own result is overridden.
tributary_result refuse(tributary_host_ctx* ctx, std::string message) {
  if (ctx->hostFailure) return toAbi(ctx->hostFailure->code);
  ctx->hostFailure = CallResult{ResultCode::Fatal, tributary::strings::validUtf8(message), std::nullopt};
  return TRIBUTARY_FATAL;
}

std::string hex(uint32_t bits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", bits);
  return buf;
}

// Counter and fact names: [a-z0-9_.], 1 to 64 bytes.
bool isStatName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  }
  return true;
}

bool isJson(std::string_view s) { return !s.empty() && nlohmann::json::accept(s.begin(), s.end()); }

std::string quoted(std::string_view s) {
  std::string q = "'";
  q.append(s.substr(0, 80));
  if (s.size() > 80) q += "...";
  return q + "'";
}

constexpr size_t kMaxStateBytes = 64 * 1024;
constexpr size_t kMaxFactBytes = 4 * 1024;

tributary_result emitRecord(tributary_host_ctx* ctx, const tributary_record_v1* r) {
  if (r->struct_size < sizeof(tributary_record_v1)) {
    ctx->hostFailure =
        CallResult{ResultCode::Fatal,
                   "plugin emitted a record with struct_size " + std::to_string(r->struct_size) + " (ABI 1.0 needs " +
                       std::to_string(sizeof(tributary_record_v1)) + "); rebuild it against TributarySDK 1",
                   std::nullopt};
    return TRIBUTARY_FATAL;
  }
  // 1.1 plugins may not set bits this host does not know; a 1.0 plugin's are ignored.
  if (ctx->pluginMinor >= 1) {
    if (uint32_t unknown = r->flags & ~TRIBUTARY_RECORD_KNOWN_FLAGS) {
      return refuse(ctx, "record " + quoted(view(r->source_id)) + " of stream " + quoted(view(r->stream)) +
                             " has unknown flag bits " + hex(unknown) +
                             " (known: TRIBUTARY_RECORD_DELETED 0x1, TRIBUTARY_RECORD_KEYS_ONLY 0x2)");
    }
    if ((r->flags & TRIBUTARY_RECORD_KEYS_ONLY) && (r->flags & TRIBUTARY_RECORD_DELETED)) {
      return refuse(ctx, "record " + quoted(view(r->source_id)) + " of stream " + quoted(view(r->stream)) +
                             " is both KEYS_ONLY and DELETED; a keys-only record says the row still exists");
    }
  }
  return serve(ctx, "emit_record", [r, ctx](RunServices& s) {
    tributary::plugins::RecordView v;
    v.stream = view(r->stream);
    v.sourceId = view(r->source_id);
    if (r->modified_at_ms != TRIBUTARY_TIME_NONE) v.modifiedAtMs = r->modified_at_ms;
    v.flags = r->flags;
    v.deleted = (r->flags & TRIBUTARY_RECORD_DELETED) != 0;
    v.keysOnly = ctx->pluginMinor >= 1 && (r->flags & TRIBUTARY_RECORD_KEYS_ONLY) != 0;
    v.fieldsJson = view(r->fields_json);
    v.rawJson = view(r->raw_json);
    s.emitRecord(v);
  });
}

tributary_result emitRecordError(tributary_host_ctx* ctx, const tributary_record_error_v1* e) {
  if (e->struct_size < sizeof(tributary_record_error_v1)) {
    ctx->hostFailure = CallResult{ResultCode::Fatal,
                                  "plugin emitted a record error with struct_size " + std::to_string(e->struct_size) +
                                      "; rebuild it against TributarySDK 1",
                                  std::nullopt};
    return TRIBUTARY_FATAL;
  }
  return serve(ctx, "emit_record_error", [e](RunServices& s) {
    s.emitRecordError({view(e->stream), view(e->source_id), view(e->message), view(e->raw_json)});
  });
}

tributary_result commitCheckpoint(tributary_host_ctx* ctx, tributary_str stream, tributary_str cursor) {
  return serve(ctx, "commit_checkpoint", [&](RunServices& s) { s.commitCheckpoint(view(stream), view(cursor)); });
}

void reportProgress(tributary_host_ctx* ctx, int64_t current, int64_t total, tributary_str message) {
  serve(ctx, "report_progress", [&](RunServices& s) { s.reportProgress(current, total, view(message)); });
}

int32_t isCancelled(tributary_host_ctx* ctx) {
  if (ctx->hostFailure && ctx->hostFailure->code == ResultCode::Cancelled) return 1;
  bool cancelled = false;
  serve(ctx, "is_cancelled", [&](RunServices& s) { cancelled = s.isCancelled(); });
  return cancelled || ctx->hostFailure ? 1 : 0;
}

void setError(tributary_host_ctx* ctx, tributary_str message) {
  try {
    ctx->error = std::string(view(message));
  } catch (...) {
  }
}

void setRetryAfter(tributary_host_ctx* ctx, int64_t untilMs) { ctx->retryAfterMs = untilMs; }

tributary_result httpRequest(tributary_host_ctx* ctx, const tributary_http_request_v1* request,
                             const tributary_http_response_v1** out) {
  *out = nullptr;
  try {
    auto box = std::make_unique<tributary::plugins::HttpResponseBox>();
    box->view.struct_size = sizeof(tributary_http_response_v1);
    tributary_result rc = TRIBUTARY_OK;
    // A 1.0 plugin's request ends at `body`; the 1.1 fields are read only when present.
    constexpr uint32_t kRequestSize10 = offsetof(tributary_http_request_v1, flags);
    const bool has11 = request->struct_size >= sizeof(tributary_http_request_v1);
    if (request->struct_size < kRequestSize10) {
      box->error = "http_request: struct_size " + std::to_string(request->struct_size) +
                   " is too small; rebuild the plugin against TributarySDK 1";
      rc = TRIBUTARY_FATAL;
    } else if (has11 && (request->flags & ~TRIBUTARY_HTTP_KNOWN_FLAGS) != 0) {
      box->error = "http_request: " + std::string(view(request->method)) + " " + std::string(view(request->url)) +
                   " has unknown flag bits " + hex(request->flags & ~TRIBUTARY_HTTP_KNOWN_FLAGS) +
                   " (known: TRIBUTARY_HTTP_IDEMPOTENT 0x1, TRIBUTARY_HTTP_NO_AUTH 0x2)";
      rc = TRIBUTARY_FATAL;
    } else if (!ctx->services) {
      box->error = std::string("http_request is not available during ") + ctx->hook;
      rc = TRIBUTARY_FATAL;
    } else {
      tributary::http::HttpRequest r;
      r.method = std::string(view(request->method));
      r.url = std::string(view(request->url));
      for (uint64_t i = 0; i < request->header_count; ++i) {
        r.headers.emplace_back(view(request->headers[i].name), view(request->headers[i].value));
      }
      r.body = std::string(view(request->body));
      r.timeout = std::chrono::milliseconds(request->timeout_ms);
      if (has11) {
        r.idempotent = (request->flags & TRIBUTARY_HTTP_IDEMPOTENT) != 0;
        r.limitClass = std::string(view(request->limit_class));
        r.cost = request->cost == 0 ? 1 : request->cost;
        r.noAuth = (request->flags & TRIBUTARY_HTTP_NO_AUTH) != 0;
      }
      try {
        box->response = ctx->services->httpRequest(r);
        // A later request that went through: an earlier wait no longer decides the hook's end.
        ctx->hostWaitReason.reset();
      } catch (const tributary::http::WaitRequired& e) {
        // Not sent: the plugin returns WAIT (a 1.0 plugin, RETRY) and the job is parked.
        box->error = e.what();
        ctx->retryAfterMs = e.untilMs();
        ctx->hostWaitReason = e.reason();
        ctx->hostWaitMessage = e.what();
        rc = ctx->pluginMinor >= 1 ? TRIBUTARY_WAIT : TRIBUTARY_RETRY;
      } catch (const tributary::http::HttpError& e) {
        box->error = e.what();
        rc = e.kind() == tributary::http::HttpError::Kind::Transient ? TRIBUTARY_RETRY : TRIBUTARY_FATAL;
        if (e.kind() == tributary::http::HttpError::Kind::Certificate ||
            e.kind() == tributary::http::HttpError::Kind::Credential) {
          // The operator's to fix: the job fails with the reason, whatever the plugin returns.
          ctx->hostFailure = CallResult{ResultCode::Fatal, e.what(), std::nullopt};
        }
      } catch (const RunStopped& e) {
        ctx->hostFailure = CallResult{e.code(), e.what(), std::nullopt};
        box->error = e.what();
        rc = toAbi(e.code());
      } catch (const std::exception& e) {
        box->error = std::string("host error in http_request: ") + e.what();
        rc = TRIBUTARY_RETRY;
      }
    }
    box->view.status = rc == TRIBUTARY_OK ? box->response.status : 0;
    for (const auto& [name, value] : box->response.headers) {
      box->headers.push_back({{name.data(), name.size()}, {value.data(), value.size()}});
    }
    box->view.headers = box->headers.data();
    box->view.header_count = box->headers.size();
    box->view.body = {box->response.body.data(), box->response.body.size()};
    box->view.error = {box->error.data(), box->error.size()};
    *out = &box->view;
    ctx->responses.emplace(&box->view, std::move(box));
    return rc;
  } catch (...) {
    // Out of memory: no response object to give.
    return TRIBUTARY_RETRY;
  }
}

void httpResponseFree(tributary_host_ctx* ctx, const tributary_http_response_v1* response) {
  if (response) ctx->responses.erase(response);
}

tributary_result setStreamState(tributary_host_ctx* ctx, tributary_str stream, tributary_str state) {
  const std::string_view json = view(state);
  if (json.size() > kMaxStateBytes) {
    return refuse(ctx, "set_stream_state: the state of stream " + quoted(view(stream)) + " is " +
                           std::to_string(json.size()) + " bytes (at most 65536)");
  }
  if (!isJson(json)) {
    return refuse(
        ctx, "set_stream_state: the state of stream " + quoted(view(stream)) + " is not JSON text: " + quoted(json));
  }
  return serve(ctx, "set_stream_state", [&](RunServices& s) { s.setStreamState(view(stream), json); });
}

tributary_result emitLink(tributary_host_ctx* ctx, const tributary_link_v1* l) {
  if (l->struct_size < sizeof(tributary_link_v1)) {
    return refuse(ctx, "emit_link: struct_size " + std::to_string(l->struct_size) + " is too small (ABI 1.1 needs " +
                           std::to_string(sizeof(tributary_link_v1)) + ")");
  }
  const std::string what =
      "link " + quoted(view(l->type)) + " from " + quoted(view(l->from_id)) + " to " + quoted(view(l->to_id));
  if (uint32_t unknown = l->flags & ~TRIBUTARY_LINK_KNOWN_FLAGS) {
    return refuse(
        ctx, "emit_link: " + what + " has unknown flag bits " + hex(unknown) + " (known: TRIBUTARY_LINK_DELETED 0x1)");
  }
  if (view(l->from_id).empty() || view(l->to_id).empty()) {
    return refuse(ctx, "emit_link: " + what + " has an empty " + (view(l->from_id).empty() ? "from_id" : "to_id"));
  }
  return serve(ctx, "emit_link", [&](RunServices& s) {
    s.emitLink(
        {view(l->stream), view(l->type), view(l->from_id), view(l->to_id), (l->flags & TRIBUTARY_LINK_DELETED) != 0});
  });
}

tributary_result requestFollowUp(tributary_host_ctx* ctx, const tributary_follow_up_v1* f) {
  if (f->struct_size < sizeof(tributary_follow_up_v1)) {
    return refuse(ctx, "request_follow_up: struct_size " + std::to_string(f->struct_size) +
                           " is too small (ABI 1.1 needs " + std::to_string(sizeof(tributary_follow_up_v1)) + ")");
  }
  tributary::plugins::FollowUpView v;
  if (f->kind == TRIBUTARY_FOLLOW_UP_BACKFILL) v.kind = tributary::plugins::FollowUpKind::Backfill;
  else if (f->kind == TRIBUTARY_FOLLOW_UP_RESYNC) v.kind = tributary::plugins::FollowUpKind::Resync;
  else {
    return refuse(ctx, "request_follow_up: stream " + quoted(view(f->stream)) + ": unknown kind " +
                           std::to_string(f->kind) +
                           " (known: TRIBUTARY_FOLLOW_UP_BACKFILL 1, TRIBUTARY_FOLLOW_UP_RESYNC 2)");
  }
  v.stream = view(f->stream);
  v.reason = view(f->reason);
  if (v.kind == tributary::plugins::FollowUpKind::Backfill) {
    if (f->window_from_ms != TRIBUTARY_TIME_NONE) v.windowFromMs = f->window_from_ms;
    if (f->window_to_ms != TRIBUTARY_TIME_MAX) v.windowToMs = f->window_to_ms;
    if (v.windowFromMs && v.windowToMs && *v.windowFromMs >= *v.windowToMs) {
      return refuse(ctx, "request_follow_up: stream " + quoted(v.stream) + ": the window's start " +
                             std::to_string(*v.windowFromMs) + " is not before its end " +
                             std::to_string(*v.windowToMs));
    }
  }
  return serve(ctx, "request_follow_up", [&](RunServices& s) { s.requestFollowUp(v); });
}

tributary_result addRunCounter(tributary_host_ctx* ctx, tributary_str name, int64_t delta) {
  if (!isStatName(view(name))) {
    return refuse(ctx, "add_run_counter: the name " + quoted(view(name)) + " is not 1 to 64 of [a-z0-9_.]");
  }
  return serve(ctx, "add_run_counter", [&](RunServices& s) { s.addRunCounter(view(name), delta); });
}

tributary_result setRunFact(tributary_host_ctx* ctx, tributary_str name, tributary_str value) {
  if (!isStatName(view(name))) {
    return refuse(ctx, "set_run_fact: the name " + quoted(view(name)) + " is not 1 to 64 of [a-z0-9_.]");
  }
  const std::string_view json = view(value);
  if (json.size() > kMaxFactBytes) {
    return refuse(ctx, "set_run_fact: fact " + quoted(view(name)) + " is " + std::to_string(json.size()) +
                           " bytes (at most 4096)");
  }
  if (!isJson(json)) {
    return refuse(ctx, "set_run_fact: fact " + quoted(view(name)) + " is not JSON text: " + quoted(json));
  }
  return serve(ctx, "set_run_fact", [&](RunServices& s) { s.setRunFact(view(name), json); });
}

tributary_result declareStream(tributary_host_ctx* ctx, const tributary_stream_v1* stream) {
  const uint32_t index = ctx->declaredStreams++;
  if (stream->struct_size < sizeof(tributary_stream_v1)) {
    return refuse(ctx, "declare_stream: discovered stream " + std::to_string(index) + " has struct_size " +
                           std::to_string(stream->struct_size) + " (at least " +
                           std::to_string(sizeof(tributary_stream_v1)) + ")");
  }
  if (std::string why = tributary::plugins::checkStream(*stream, "discovered stream", index); !why.empty()) {
    return refuse(ctx, "declare_stream: " + why);
  }
  tributary::plugins::StreamDescriptor d{stream->name,
                                         stream->primary_key ? stream->primary_key : "",
                                         stream->cursor_field ? stream->cursor_field : "",
                                         stream->entity ? stream->entity : "",
                                         stream->description ? stream->description : "",
                                         stream->flags};
  return serve(ctx, "declare_stream", [&](RunServices& s) { s.declareStream(d); });
}

tributary_result setActionResult(tributary_host_ctx* ctx, tributary_str result) {
  const std::string_view json = view(result);
  if (!isJson(json)) return refuse(ctx, "set_action_result: the result is not JSON text: " + quoted(json));
  return serve(ctx, "set_action_result", [&](RunServices& s) { s.setActionResult(json); });
}

void log(tributary_host_instance* instance, int32_t level, tributary_str message) {
  try {
    if (!instance->options.log) return;
    if (level < TRIBUTARY_LOG_TRACE) level = TRIBUTARY_LOG_TRACE;
    if (level > TRIBUTARY_LOG_ERROR) level = TRIBUTARY_LOG_ERROR;
    std::string line = instance->logPrefix;
    line.append(view(message));
    instance->options.log(static_cast<tributary::plugins::LogLevel>(level), line);
  } catch (...) {
  }
}

int32_t lookup(const std::map<std::string, std::string, std::less<>>& map, tributary_str key, tributary_str* out) {
  auto it = map.find(view(key));
  if (it == map.end()) {
    *out = {nullptr, 0};
    return 0;
  }
  *out = {it->second.data(), it->second.size()};
  return 1;
}

int32_t getConfig(tributary_host_instance* instance, tributary_str key, tributary_str* out) {
  return lookup(instance->options.settings, key, out);
}

int32_t getSecret(tributary_host_instance* instance, tributary_str key, tributary_str* out) {
  return lookup(instance->options.secrets, key, out);
}

tributary_result reportRateLimit(tributary_host_ctx* ctx, tributary_str limitClass, int64_t remaining,
                                 int64_t resetAtMs) {
  if (remaining < 0) {
    return refuse(ctx, "report_rate_limit: class " + quoted(view(limitClass)) + " has remaining " +
                           std::to_string(remaining) + " (0 or more)");
  }
  std::optional<int64_t> reset;
  if (resetAtMs != TRIBUTARY_TIME_NONE) reset = resetAtMs;
  return serve(ctx, "report_rate_limit",
               [&](RunServices& s) { s.reportRateLimit(view(limitClass), remaining, reset); });
}

tributary_result getAuthValue(tributary_host_ctx* ctx, tributary_str name, tributary_str* out) {
  *out = {nullptr, 0};
  const std::string_view key = view(name);
  if (key == "access_token" || key == "refresh_token" || key == "id_token" || tributary::redact::secretName(key)) {
    return refuse(ctx, "get_auth_value: " + quoted(key) +
                           " is a token or a secret, which the host adds to requests itself and never hands to a "
                           "plugin");
  }
  const tributary_result rc = serve(ctx, "get_auth_value", [&](RunServices& s) {
    std::string& kept = ctx->authValues.emplace_back(s.authValue(key));
    *out = {kept.data(), kept.size()};
  });
  if (rc != TRIBUTARY_OK) *out = {nullptr, 0};
  return rc;
}

}  // namespace

extern "C" {
static tributary_result hostEmitRecord(tributary_host_ctx* c, const tributary_record_v1* r) { return emitRecord(c, r); }
static tributary_result hostEmitRecordError(tributary_host_ctx* c, const tributary_record_error_v1* e) {
  return emitRecordError(c, e);
}
static tributary_result hostCommitCheckpoint(tributary_host_ctx* c, tributary_str s, tributary_str j) {
  return commitCheckpoint(c, s, j);
}
static void hostReportProgress(tributary_host_ctx* c, int64_t cur, int64_t tot, tributary_str m) {
  reportProgress(c, cur, tot, m);
}
static int32_t hostIsCancelled(tributary_host_ctx* c) { return isCancelled(c); }
static void hostSetError(tributary_host_ctx* c, tributary_str m) { setError(c, m); }
static void hostSetRetryAfter(tributary_host_ctx* c, int64_t t) { setRetryAfter(c, t); }
static tributary_result hostHttpRequest(tributary_host_ctx* c, const tributary_http_request_v1* r,
                                        const tributary_http_response_v1** o) {
  return httpRequest(c, r, o);
}
static void hostHttpResponseFree(tributary_host_ctx* c, const tributary_http_response_v1* r) { httpResponseFree(c, r); }
static void hostLog(tributary_host_instance* i, int32_t l, tributary_str m) { log(i, l, m); }
static int32_t hostGetConfig(tributary_host_instance* i, tributary_str k, tributary_str* o) {
  return getConfig(i, k, o);
}
static int32_t hostGetSecret(tributary_host_instance* i, tributary_str k, tributary_str* o) {
  return getSecret(i, k, o);
}
static tributary_result hostSetStreamState(tributary_host_ctx* c, tributary_str s, tributary_str j) {
  return setStreamState(c, s, j);
}
static tributary_result hostEmitLink(tributary_host_ctx* c, const tributary_link_v1* l) { return emitLink(c, l); }
static tributary_result hostRequestFollowUp(tributary_host_ctx* c, const tributary_follow_up_v1* f) {
  return requestFollowUp(c, f);
}
static tributary_result hostAddRunCounter(tributary_host_ctx* c, tributary_str n, int64_t d) {
  return addRunCounter(c, n, d);
}
static tributary_result hostSetRunFact(tributary_host_ctx* c, tributary_str n, tributary_str v) {
  return setRunFact(c, n, v);
}
static tributary_result hostDeclareStream(tributary_host_ctx* c, const struct tributary_stream_v1* s) {
  return declareStream(c, s);
}
static tributary_result hostSetActionResult(tributary_host_ctx* c, tributary_str j) { return setActionResult(c, j); }
static tributary_result hostReportRateLimit(tributary_host_ctx* c, tributary_str k, int64_t r, int64_t t) {
  return reportRateLimit(c, k, r, t);
}
static tributary_result hostGetAuthValue(tributary_host_ctx* c, tributary_str k, tributary_str* o) {
  return getAuthValue(c, k, o);
}
}

namespace tributary::plugins {

const tributary_host_api_v1* hostApiTable() {
  static const tributary_host_api_v1 table = [] {
    tributary_host_api_v1 t{};
    t.struct_size = sizeof t;
    t.abi_version = TRIBUTARY_ABI_VERSION;
    t.emit_record = &hostEmitRecord;
    t.emit_record_error = &hostEmitRecordError;
    t.commit_checkpoint = &hostCommitCheckpoint;
    t.report_progress = &hostReportProgress;
    t.is_cancelled = &hostIsCancelled;
    t.set_error = &hostSetError;
    t.set_retry_after = &hostSetRetryAfter;
    t.http_request = &hostHttpRequest;
    t.http_response_free = &hostHttpResponseFree;
    t.log = &hostLog;
    t.get_config = &hostGetConfig;
    t.get_secret = &hostGetSecret;
    t.set_stream_state = &hostSetStreamState;
    t.emit_link = &hostEmitLink;
    t.request_follow_up = &hostRequestFollowUp;
    t.add_run_counter = &hostAddRunCounter;
    t.set_run_fact = &hostSetRunFact;
    t.declare_stream = &hostDeclareStream;
    t.set_action_result = &hostSetActionResult;
    t.report_rate_limit = &hostReportRateLimit;
    t.get_auth_value = &hostGetAuthValue;
    return t;
  }();
  return &table;
}

}  // namespace tributary::plugins
