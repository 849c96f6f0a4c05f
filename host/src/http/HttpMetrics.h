#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "db/Connection.h"

namespace tributary::http {

// What the client did for one run (sync_runs.metadata and the job's result) or one vendor.
struct HttpCounters {
  int64_t calls = 0;           // requests sent on the wire, retries included
  int64_t http429s = 0;        // 429 responses
  int64_t retries = 0;         // requests sent again (after a 429, 5xx, reset or timeout)
  int64_t waits = 0;           // times a request slept for its slot, a Retry-After or a backoff
  int64_t waitMs = 0;          // how long, in all
  int64_t rateLimitParks = 0;  // requests that parked the job (wait_reason rate_limit)
  int64_t quotaParks = 0;      // requests that parked the job (wait_reason quota)

  HttpCounters& operator+=(const HttpCounters& o);
  // {http_calls, http_429s, http_retries, http_waits, http_wait_ms, http_rate_limit_parks,
  //  http_quota_parks}
  nlohmann::json toJson() const;
};

// The process's counters per vendor (connector), for the metrics the API exposes.
class HttpMetrics {
 public:
  static HttpMetrics& instance();
  void add(const std::string& vendor, const HttpCounters& delta);
  std::map<std::string, HttpCounters> snapshot() const;
  // Adds what this process counted since its last flush to http_vendor_counters (migration
  // 017), where GET /metrics sums every worker process of every host. On failure the delta
  // stays for the next flush.
  void flush(db::Connection& conn);

 private:
  std::mutex flushMutex_;
  std::map<std::string, HttpCounters> flushed_;
  mutable std::mutex mutex_;
  std::map<std::string, HttpCounters> byVendor_;
};

}  // namespace tributary::http
