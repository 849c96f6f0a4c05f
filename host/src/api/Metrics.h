#pragma once

#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "api/Api.h"

namespace tributary::api {

// GET /metrics in the Prometheus text format (0.0.4). The API's own request counts and latency
// histograms are counted here, in process, per route pattern (never a raw path: the label set
// stays bounded); the rest is read from the database at scrape time, so that any host of a
// database shows the whole of it: jobs, the queue, runs, records, record errors, freshness and
// the HTTP client's per-vendor counters (which each worker process adds to
// http_vendor_counters at its heartbeats).
class ApiMetrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};

  void observe(const std::string& method, const std::string& route, int status, double ms);
  // The API's families, appended to `out`.
  void render(std::string& out) const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> latency_;
};

// A label value escaped for the text format (\\, \" and \n).
std::string promEscape(const std::string& value);

// `workerRestarts` reads the supervisor's count (serve's own workers).
void installMetricsRoutes(Api& api, server::Router& router, std::shared_ptr<ApiMetrics> metrics,
                          std::function<int64_t()> workerRestarts);

}  // namespace tributary::api
