#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "http/HttpResponse.h"
#include "http/VendorProfile.h"

namespace tributary::http {

// What a response calls for: the first of the connector's rules that matches it, else the
// defaults (429: RateLimit; 502, 503, 504: Retry), else nothing (Return).
struct Verdict {
  enum class Kind { Return, Retry, RateLimit, Quota, RefreshAuth };
  Kind kind = Kind::Return;
  const VendorRule* rule = nullptr;  // the connector's rule that matched; null for a default
  std::string why;                   // "429 Too Many Requests", "403 REQUEST_LIMIT_EXCEEDED"
};

Verdict classify(const HttpResponse& response, const std::vector<VendorRule>& rules);

// Whether a body holds the error code: as a string value at any depth of a JSON body, or as
// text of any other body.
bool bodyHolds(std::string_view body, std::string_view code);

// The response's Retry-After (delay-seconds or an HTTP date), as a delay from nowMs; nullopt
// when it has none or it cannot be read. A date in the past is a delay of 0.
std::optional<std::chrono::milliseconds> retryAfter(const HttpResponse& response, int64_t nowMs);

// Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(retry-1))], retry >= 1.
std::chrono::milliseconds fullJitter(int retry, std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                     std::mt19937_64& rng);

}  // namespace tributary::http
