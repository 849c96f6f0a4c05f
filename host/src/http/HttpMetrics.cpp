#include "http/HttpMetrics.h"

namespace tributary::http {

HttpCounters& HttpCounters::operator+=(const HttpCounters& o) {
  calls += o.calls;
  http429s += o.http429s;
  retries += o.retries;
  waits += o.waits;
  waitMs += o.waitMs;
  rateLimitParks += o.rateLimitParks;
  quotaParks += o.quotaParks;
  return *this;
}

nlohmann::json HttpCounters::toJson() const {
  return {{"http_calls", calls},           {"http_429s", http429s},  {"http_retries", retries},
          {"http_waits", waits},           {"http_wait_ms", waitMs}, {"http_rate_limit_parks", rateLimitParks},
          {"http_quota_parks", quotaParks}};
}

HttpMetrics& HttpMetrics::instance() {
  static HttpMetrics m;
  return m;
}

void HttpMetrics::add(const std::string& vendor, const HttpCounters& delta) {
  std::lock_guard lock(mutex_);
  byVendor_[vendor] += delta;
}

std::map<std::string, HttpCounters> HttpMetrics::snapshot() const {
  std::lock_guard lock(mutex_);
  return byVendor_;
}

}  // namespace tributary::http
