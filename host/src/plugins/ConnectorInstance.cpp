#include "plugins/ConnectorInstance.h"

#include <string>
#include <vector>

#include "common/Strings.h"
#include "plugins/ActionBody.h"
#include "plugins/HostContext.h"

namespace tributary::plugins {
namespace {

// Turns what a hook returned, and what happened on the host's side during it, into the
// call's result.
CallResult finish(tributary_host_ctx& ctx, tributary_result rc) {
  ctx.responses.clear();  // the plugin's unfreed HTTP responses
  if (ctx.hostFailure) return *ctx.hostFailure;
  CallResult r;
  std::string message = ctx.error.value_or("");
  const std::string hook = ctx.hook;
  if (ctx.hostWaitReason && ctx.retryAfterMs && (rc == TRIBUTARY_WAIT || rc == TRIBUTARY_RETRY)) {
    // The host's HTTP client asked for the wait (a 1.0 plugin returns it as RETRY): park the
    // job, using no attempt.
    r.code = ResultCode::Wait;
    r.retryAfterMs = ctx.retryAfterMs;
    r.waitReason = *ctx.hostWaitReason;
    r.message = strings::validUtf8(message.empty() ? ctx.hostWaitMessage : message);
    return r;
  }
  switch (rc) {
    case TRIBUTARY_OK: return r;
    case TRIBUTARY_RETRY:
      r.code = ResultCode::Retry;
      r.retryAfterMs = ctx.retryAfterMs;
      break;
    case TRIBUTARY_FATAL: r.code = ResultCode::Fatal; break;
    case TRIBUTARY_WAIT:
      if (ctx.retryAfterMs) {
        r.code = ResultCode::Wait;
        r.retryAfterMs = ctx.retryAfterMs;
      } else {
        r.code = ResultCode::Retry;
        message += " (the plugin returned WAIT without set_retry_after; treated as RETRY)";
      }
      break;
    case TRIBUTARY_CANCELLED: r.code = ResultCode::Cancelled; break;
    default:
      r.code = ResultCode::Fatal;
      r.message = hook + " returned the unknown result code " + std::to_string(rc) +
                  (message.empty() ? "" : " (message: " + message + ")") +
                  "; the plugin is broken or built for another ABI";
      return r;
  }
  if (message.empty()) {
    message = hook + " returned " + std::string(toString(r.code)) + " without a message";
  }
  // A plugin's words go to text columns (jobs, sync_runs) whatever bytes it wrote.
  r.message = strings::validUtf8(message);
  return r;
}

CallResult escaped(const char* hook) {
  return {ResultCode::Fatal,
          std::string("an exception escaped the plugin's ") + hook +
              " hook (a bug in the plugin: hooks must not throw; the C++ SDK catches everything)",
          std::nullopt};
}

}  // namespace

ConnectorInstance::Created ConnectorInstance::create(const std::shared_ptr<const ConnectorPlugin>& plugin,
                                                     InstanceOptions options) {
  if (!plugin->hasCode()) {
    return {nullptr,
            {ResultCode::Fatal,
             "connector " + plugin->name() +
                 " was only probed in a child process, its code is not loaded here "
                 "(a host bug: instances are made in worker processes)",
             std::nullopt}};
  }
  for (const ConfigKeyDescriptor& key : plugin->configSchema()) {
    if (!key.defaultValue) continue;
    auto& target = key.secret ? options.secrets : options.settings;
    target.emplace(key.key, *key.defaultValue);  // keeps a value given by the connection
  }
  auto host = std::make_unique<tributary_host_instance>();
  host->connectorName = plugin->name();
  host->logPrefix = "[" + plugin->name() + (options.label.empty() ? "" : " " + options.label) + "] ";
  host->options = std::move(options);

  std::unique_ptr<ConnectorInstance> instance(new ConnectorInstance(plugin, std::move(host)));
  tributary_host_ctx ctx;
  ctx.hook = "create";
  ctx.pluginMinor = TRIBUTARY_ABI_MINOR_OF(plugin->abiVersion());
  tributary_instance* self = nullptr;
  tributary_result rc;
  try {
    rc = plugin->descriptor().create(hostApiTable(), instance->host_.get(), &ctx, &self);
  } catch (...) {
    return {nullptr, escaped("create")};
  }
  CallResult result = finish(ctx, rc);
  if (result.ok() && !self) {
    result = {ResultCode::Fatal, "create returned OK but no instance", std::nullopt};
  }
  if (!result.ok()) {
    if (self) plugin->descriptor().destroy(self);
    return {nullptr, std::move(result)};
  }
  instance->self_ = self;
  return {std::move(instance), std::move(result)};
}

ConnectorInstance::ConnectorInstance(std::shared_ptr<const ConnectorPlugin> plugin,
                                     std::unique_ptr<tributary_host_instance> host)
    : plugin_(std::move(plugin)), host_(std::move(host)) {}

ConnectorInstance::~ConnectorInstance() {
  if (self_) {
    try {
      plugin_->descriptor().destroy(self_);
    } catch (...) {
      // A throwing destroy is a plugin bug; there is nothing left to do with it.
    }
  }
}

template <class F>
CallResult ConnectorInstance::call(const char* hook, RunServices* services, F&& f) {
  if (busy_.exchange(true)) {
    return {ResultCode::Fatal, std::string(hook) + " called while another call runs on this instance (host bug)",
            std::nullopt};
  }
  tributary_host_ctx ctx;
  ctx.hook = hook;
  ctx.services = services;
  ctx.pluginMinor = TRIBUTARY_ABI_MINOR_OF(plugin_->abiVersion());
  CallResult result;
  try {
    result = finish(ctx, f(&ctx));
  } catch (...) {
    result = escaped(hook);
  }
  busy_ = false;
  return result;
}

CallResult ConnectorInstance::check(RunServices& services) {
  return call("check", &services, [&](tributary_host_ctx* ctx) { return plugin_->descriptor().check(self_, ctx); });
}

CallResult ConnectorInstance::discover(RunServices& services) {
  const tributary_connector_v1& d = plugin_->descriptor();
  if (!plugin_->discoversStreams()) {
    return {ResultCode::Fatal, plugin_->name() + " has no discover hook: its streams are the declared ones",
            std::nullopt};
  }
  return call("discover", &services, [&](tributary_host_ctx* ctx) { return d.discover(self_, ctx); });
}

CallResult ConnectorInstance::action(const ActionRequest& request, RunServices& services) {
  const tributary_connector_v1& d = plugin_->descriptor();
  if (!plugin_->findAction(request.action)) {
    return {ResultCode::Fatal, ActionBody::unknownAction(*plugin_, request.action), std::nullopt};
  }
  tributary_action_request_v1 r{};
  r.struct_size = sizeof r;
  r.action = {request.action.data(), request.action.size()};
  r.body_json = {request.bodyJson.data(), request.bodyJson.size()};
  return call("action", &services, [&](tributary_host_ctx* ctx) { return d.action(self_, ctx, &r); });
}

CallResult ConnectorInstance::initialSync(const SyncRequest& request, RunServices& services) {
  return sync(SyncMode::Initial, request, services);
}
CallResult ConnectorInstance::incrementalSync(const SyncRequest& request, RunServices& services) {
  return sync(SyncMode::Incremental, request, services);
}
CallResult ConnectorInstance::backfill(const SyncRequest& request, RunServices& services) {
  return sync(SyncMode::Backfill, request, services);
}

CallResult ConnectorInstance::sync(SyncMode mode, const SyncRequest& request, RunServices& services) {
  const tributary_connector_v1& d = plugin_->descriptor();
  const char* hook = mode == SyncMode::Initial       ? "initial_sync"
                     : mode == SyncMode::Incremental ? "incremental_sync"
                                                     : "backfill";
  // Discovered streams are the engine's to check (they are stored per connection).
  if (!plugin_->discoversStreams() && !plugin_->findStream(request.stream)) {
    return {ResultCode::Fatal,
            std::string(hook) + ": '" + request.stream + "' is not a stream of " + plugin_->name() +
                " (see `tributary plugins list`)",
            std::nullopt};
  }
  std::vector<tributary_str> ids;
  ids.reserve(request.ids.size());
  for (const std::string& id : request.ids) ids.push_back({id.data(), id.size()});

  tributary_sync_request_v1 r{};
  r.struct_size = sizeof r;
  r.mode = static_cast<uint32_t>(mode);  // SyncMode's values are the ABI's
  r.stream = {request.stream.data(), request.stream.size()};
  r.cursor_json = {request.cursorJson.data(), request.cursorJson.size()};
  r.since_ms = request.sinceMs.value_or(TRIBUTARY_TIME_NONE);
  r.window_from_ms = request.windowFromMs.value_or(TRIBUTARY_TIME_NONE);
  r.window_to_ms = request.windowToMs.value_or(TRIBUTARY_TIME_MAX);
  r.ids = ids.empty() ? nullptr : ids.data();
  r.id_count = ids.size();
  r.state_json = {request.stateJson.data(), request.stateJson.size()};

  auto fn = mode == SyncMode::Initial       ? d.initial_sync
            : mode == SyncMode::Incremental ? d.incremental_sync
                                            : d.backfill;
  return call(hook, &services, [&](tributary_host_ctx* ctx) { return fn(self_, ctx, &r); });
}

}  // namespace tributary::plugins
