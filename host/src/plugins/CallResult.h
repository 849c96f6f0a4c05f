#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::plugins {

// What a hook call came to. See connector_abi.h for the meaning of each code.
enum class ResultCode { Ok, Retry, Fatal, Wait, Cancelled };

std::string_view toString(ResultCode code);

struct CallResult {
  ResultCode code = ResultCode::Ok;
  std::string message;                    // empty for Ok
  std::optional<int64_t> retryAfterMs;    // epoch ms: required for Wait, a hint for Retry
  std::string waitReason = "rate_limit";  // for Wait: rate_limit or quota (the host's HTTP client says which)

  bool ok() const { return code == ResultCode::Ok; }
};

}  // namespace tributary::plugins
