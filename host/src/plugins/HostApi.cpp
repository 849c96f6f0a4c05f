// The host API table: C trampolines that forward a plugin's calls to the C++ services of
// its call (RunServices) or instance (InstanceOptions). No exception leaves a trampoline.
#include <chrono>
#include <exception>
#include <string_view>

#include "http/HttpError.h"
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

tributary_result emitRecord(tributary_host_ctx* ctx, const tributary_record_v1* r) {
  if (r->struct_size < sizeof(tributary_record_v1)) {
    ctx->hostFailure =
        CallResult{ResultCode::Fatal,
                   "plugin emitted a record with struct_size " + std::to_string(r->struct_size) + " (ABI 1.0 needs " +
                       std::to_string(sizeof(tributary_record_v1)) + "); rebuild it against TributarySDK 1",
                   std::nullopt};
    return TRIBUTARY_FATAL;
  }
  return serve(ctx, "emit_record", [r](RunServices& s) {
    tributary::plugins::RecordView v;
    v.stream = view(r->stream);
    v.sourceId = view(r->source_id);
    if (r->modified_at_ms != TRIBUTARY_TIME_NONE) v.modifiedAtMs = r->modified_at_ms;
    v.flags = r->flags;
    v.deleted = (r->flags & TRIBUTARY_RECORD_DELETED) != 0;
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
    if (request->struct_size < sizeof(tributary_http_request_v1)) {
      box->error = "http_request: struct_size " + std::to_string(request->struct_size) +
                   " is too small; rebuild the plugin against TributarySDK 1";
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
      try {
        box->response = ctx->services->httpRequest(r);
      } catch (const tributary::http::HttpError& e) {
        box->error = e.what();
        rc = e.kind() == tributary::http::HttpError::Kind::InvalidRequest ? TRIBUTARY_FATAL : TRIBUTARY_RETRY;
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
    return t;
  }();
  return &table;
}

}  // namespace tributary::plugins
