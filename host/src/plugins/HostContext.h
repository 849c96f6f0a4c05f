#pragma once

// The host's side of the ABI's opaque handles, and the host API table that serves them.
// Only ConnectorInstance and HostApi.cpp use this header.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/HttpResponse.h"
#include "plugins/CallResult.h"
#include "plugins/InstanceOptions.h"
#include "tributary/connector_abi.h"

namespace tributary::plugins {
class RunServices;

// A response handed to a plugin: the C view and the storage it points into.
struct HttpResponseBox {
  tributary_http_response_v1 view{};
  http::HttpResponse response;
  std::vector<tributary_http_header> headers;
  std::string error;
};

// The host API table (static, lives for the process).
const tributary_host_api_v1* hostApiTable();
}  // namespace tributary::plugins

// Completes the ABI's opaque tributary_host_instance: one per plugin instance.
struct tributary_host_instance {
  std::string connectorName;
  tributary::plugins::InstanceOptions options;  // settings with defaults applied
  std::string logPrefix;                        // "[tributary.example acme/demo] "
};

// Completes the ABI's opaque tributary_host_ctx: one per hook call, on its stack.
struct tributary_host_ctx {
  const char* hook = "";                                // "initial_sync", for messages
  uint32_t pluginMinor = 0;                             // the plugin's ABI minor: 1.1 rules apply from 1
  uint32_t declaredStreams = 0;                         // discover: declare_stream calls so far
  tributary::plugins::RunServices* services = nullptr;  // null during create
  std::optional<std::string> error;                     // set_error
  std::optional<int64_t> retryAfterMs;                  // set_retry_after
  // The host's HTTP client told the plugin to go away (a rate-limit slot or a quota beyond
  // http.max_inline_wait): a WAIT, or a 1.0 plugin's RETRY, then parks the job with this reason
  // until retryAfterMs.
  std::optional<std::string> hostWaitReason;
  std::string hostWaitMessage;
  // A RunServices method stopped the call (RunStopped, or threw): it overrides the
  // plugin's own result.
  std::optional<tributary::plugins::CallResult> hostFailure;
  std::unordered_map<const tributary_http_response_v1*,
                     std::unique_ptr<tributary::plugins::HttpResponseBox>>
      responses;                       // freed at the end of the call if the plugin did not free them
  std::deque<std::string> authValues;  // get_auth_value's answers, valid until the hook returns
};
