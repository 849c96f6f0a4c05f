#include "http/HttpMetrics.h"

#include "db/PgArray.h"

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

void HttpMetrics::flush(db::Connection& conn) {
  std::lock_guard lock(flushMutex_);
  const auto now = snapshot();
  std::vector<std::string> vendors, counters;
  std::vector<int64_t> values;
  for (const auto& [vendor, c] : now) {
    const HttpCounters before = flushed_.count(vendor) ? flushed_.at(vendor) : HttpCounters{};
    const std::pair<const char*, int64_t> deltas[] = {{"requests", c.calls - before.calls},
                                                      {"429s", c.http429s - before.http429s},
                                                      {"retries", c.retries - before.retries},
                                                      {"waits", c.waits - before.waits},
                                                      {"wait_ms", c.waitMs - before.waitMs},
                                                      {"rate_limit_parks", c.rateLimitParks - before.rateLimitParks},
                                                      {"quota_parks", c.quotaParks - before.quotaParks}};
    for (const auto& [name, d] : deltas) {
      if (d == 0) continue;
      vendors.push_back(vendor);
      counters.push_back(name);
      values.push_back(d);
    }
  }
  if (vendors.empty()) return;
  std::string valueArray = "{";
  for (size_t i = 0; i < values.size(); ++i) valueArray += (i ? "," : "") + std::to_string(values[i]);
  valueArray += "}";
  conn.exec(
      "INSERT INTO http_vendor_counters (vendor, counter, value)"
      " SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])"
      " ON CONFLICT (vendor, counter) DO UPDATE SET value = http_vendor_counters.value + EXCLUDED.value",
      db::textArray(vendors), db::textArray(counters), valueArray);
  flushed_ = now;
}

}  // namespace tributary::http
