#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "api/Api.h"
#include "api/PromText.h"
#include "webhooks/Deliveries.h"

namespace tributary::api {

// The API's own request counts and latency histograms, counted in process (HttpServer's
// observer) by method, route pattern and status code. Every label is bounded: the route is the
// pattern that matched (never a raw path, "unmatched" for none), a method outside the standard
// ones is "other", and a status is one of the codes the server sends.
class ApiMetrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};

  void observe(const std::string& method, const std::string& route, int status, double ms);
  // tributary_api_requests_total and tributary_api_request_duration_seconds.
  void render(PromText& out) const;

  // The method as a label: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, or "other" (a client
  // may send any token, and each would be a series of its own).
  static std::string methodLabel(const std::string& method);

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};  // cumulative: observations <= kBuckets[i]
    uint64_t count = 0;
    double sum = 0;  // seconds
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> latency_;
};

// GET /metrics in the Prometheus text format (0.0.4): open, or admin only with
// api.metrics_auth: token. Besides `metrics` (this serve's API) and `workerRestarts` (this
// serve's supervisor), everything is read from the database at scrape time, one short query
// each, so that every host of a database shows the same figures for the queue, the runs, the
// records, the record errors, freshness and the HTTP client's per-vendor counters (which each
// worker process adds to http_vendor_counters at its heartbeats).
//
// `serve` gives what only this process counts: its supervisor's restarts and its webhook
// dispatcher's attempts (webhooks::Dispatcher::stats).
struct ServeCounters {
  int64_t workerRestarts = 0;
  webhooks::DeliveryStats webhooks;
};
void installMetricsRoutes(Api& api, server::Router& router, std::shared_ptr<ApiMetrics> metrics,
                          std::function<ServeCounters()> serve);

}  // namespace tributary::api
