#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/SyncMode.h"

namespace tributary::plugins {

using SyncMode = sync::Mode;  // one type for the mode, host-wide (common/SyncMode.h)

// One sync hook call: one stream. See tributary_sync_request_v1 in connector_abi.h.
struct SyncRequest {
  std::string stream;
  std::string cursorJson;               // the last committed checkpoint of this stream and mode; "" for none
  std::optional<int64_t> sinceMs;       // watermark minus overlap, epoch ms
  std::optional<int64_t> windowFromMs;  // backfill: inclusive
  std::optional<int64_t> windowToMs;    // backfill: exclusive
  std::vector<std::string> ids;         // backfill by id
  std::string stateJson;                // 1.1: the stream's carried state; "" for none
};

// 1.1: one call of the action hook. The body has been validated against the action's keys.
struct ActionRequest {
  std::string action;
  std::string bodyJson;  // a JSON object
};

}  // namespace tributary::plugins
