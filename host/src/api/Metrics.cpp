#include "api/Metrics.h"

#include <fmt/format.h>

namespace tributary::api {
namespace {

using server::Response;

std::string number(double v) { return fmt::format("{:g}", v); }

// One family's HELP and TYPE lines.
void family(std::string& out, const std::string& name, const std::string& type, const std::string& help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

std::string labels(std::initializer_list<std::pair<const char*, std::string>> kv) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : kv) {
    if (!first) out += ",";
    first = false;
    out += std::string(k) + "=\"" + promEscape(v) + "\"";
  }
  return out + "}";
}

}  // namespace

std::string promEscape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void ApiMetrics::observe(const std::string& method, const std::string& route, int status, double ms) {
  const std::string r = route.empty() ? "unmatched" : route;
  std::lock_guard lock(mutex_);
  ++requests_[{method, r, status}];
  auto& h = latency_[{method, r}];
  const double s = ms / 1000.0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (s <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += s;
}

void ApiMetrics::render(std::string& out) const {
  std::lock_guard lock(mutex_);
  family(out, "tributary_api_requests_total", "counter", "API requests answered, by method, route pattern and status.");
  for (const auto& [k, n] : requests_) {
    const auto& [method, route, status] = k;
    out += "tributary_api_requests_total" +
           labels({{"method", method}, {"route", route}, {"status", std::to_string(status)}}) + " " +
           std::to_string(n) + "\n";
  }
  family(out, "tributary_api_request_duration_seconds", "histogram",
         "Time to answer an API request, by method and route pattern.");
  for (const auto& [k, h] : latency_) {
    const auto& [method, route] = k;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out += "tributary_api_request_duration_seconds_bucket" +
             labels({{"method", method}, {"route", route}, {"le", number(kBuckets[i])}}) + " " +
             std::to_string(h.counts[i]) + "\n";
    }
    out += "tributary_api_request_duration_seconds_bucket" +
           labels({{"method", method}, {"route", route}, {"le", "+Inf"}}) + " " + std::to_string(h.count) + "\n";
    out += "tributary_api_request_duration_seconds_sum" + labels({{"method", method}, {"route", route}}) + " " +
           number(h.sum) + "\n";
    out += "tributary_api_request_duration_seconds_count" + labels({{"method", method}, {"route", route}}) + " " +
           std::to_string(h.count) + "\n";
  }
}

void installMetricsRoutes(Api& api, server::Router& router, std::shared_ptr<ApiMetrics> metrics,
                          std::function<int64_t()> workerRestarts) {
  const Access access = api.cfg().api.metricsNeedToken ? Access::Admin : Access::Open;
  api.route(router, "GET", "/metrics", access, [metrics, workerRestarts](Call& call) {
    auto& db = call.db();
    std::string out;
    family(out, "tributary_jobs", "gauge",
           "Jobs in the queue's table, by kind and status (finished ones until pruned).");
    auto r = db.exec("SELECT kind, status, count(*) FROM jobs GROUP BY 1, 2 ORDER BY 1, 2");
    for (int i = 0; i < r.rows(); ++i) {
      out += "tributary_jobs" + labels({{"kind", r.text(i, 0)}, {"status", r.text(i, 1)}}) + " " +
             std::to_string(r.int64(i, 2)) + "\n";
    }
    r = db.exec(
        "SELECT count(*) FILTER (WHERE run_at <= now() AND NOT passive),"
        " coalesce(extract(epoch from now() - min(run_at) FILTER (WHERE run_at <= now() AND NOT passive)), 0),"
        " count(*) FILTER (WHERE wait_reason IN ('rate_limit', 'quota') AND run_at > now())"
        " FROM jobs WHERE status = 'pending'");
    family(out, "tributary_queue_depth", "gauge", "Pending jobs that are due now (the backlog).");
    out += "tributary_queue_depth " + std::to_string(r.int64(0, 0)) + "\n";
    family(out, "tributary_queue_oldest_pending_seconds", "gauge", "How long the oldest due pending job has waited.");
    out += "tributary_queue_oldest_pending_seconds " + r.text(0, 1) + "\n";
    family(out, "tributary_jobs_parked", "gauge", "Pending jobs waiting out a vendor's rate limit or quota.");
    out += "tributary_jobs_parked " + std::to_string(r.int64(0, 2)) + "\n";
    family(out, "tributary_dead_letters", "gauge", "Discarded jobs (their attempts ran out), until retried or pruned.");
    out += "tributary_dead_letters " +
           std::to_string(db.exec("SELECT count(*) FROM jobs WHERE status = 'discarded'").int64(0, 0)) + "\n";

    // Runs, recomputed from the retained sync_runs rows at each scrape.
    family(out, "tributary_sync_runs", "gauge", "Sync runs on record, by connector and status.");
    r = db.exec(
        "SELECT connector, status, count(*), coalesce(sum(records_synced), 0) FROM sync_runs GROUP BY 1, 2"
        " ORDER BY 1, 2");
    std::map<std::string, int64_t> records;
    for (int i = 0; i < r.rows(); ++i) {
      out += "tributary_sync_runs" + labels({{"connector", r.text(i, 0)}, {"status", r.text(i, 1)}}) + " " +
             std::to_string(r.int64(i, 2)) + "\n";
      records[r.text(i, 0)] += r.int64(i, 3);
    }
    family(out, "tributary_records_synced", "gauge", "Records the sync runs on record wrote or checked, by connector.");
    for (const auto& [c, n] : records) {
      out += "tributary_records_synced" + labels({{"connector", c}}) + " " + std::to_string(n) + "\n";
    }
    family(out, "tributary_sync_run_duration_seconds", "histogram",
           "Duration of the finished sync runs on record, by connector.");
    std::string bucketSql;
    const double runBuckets[] = {1, 5, 15, 60, 300, 900, 3600, 4 * 3600};
    for (double b : runBuckets) {
      bucketSql += ", count(*) FILTER (WHERE duration_ms <= " + std::to_string(static_cast<int64_t>(b * 1000)) + ")";
    }
    r = db.exec("SELECT connector, count(*), coalesce(sum(duration_ms), 0)" + bucketSql +
                " FROM sync_runs WHERE duration_ms IS NOT NULL GROUP BY 1 ORDER BY 1");
    for (int i = 0; i < r.rows(); ++i) {
      const std::string c = r.text(i, 0);
      for (size_t b = 0; b < std::size(runBuckets); ++b) {
        out += "tributary_sync_run_duration_seconds_bucket" +
               labels({{"connector", c}, {"le", number(runBuckets[b])}}) + " " +
               std::to_string(r.int64(i, static_cast<int>(3 + b))) + "\n";
      }
      out += "tributary_sync_run_duration_seconds_bucket" + labels({{"connector", c}, {"le", "+Inf"}}) + " " +
             std::to_string(r.int64(i, 1)) + "\n";
      out += "tributary_sync_run_duration_seconds_sum" + labels({{"connector", c}}) + " " +
             number(static_cast<double>(r.int64(i, 2)) / 1000.0) + "\n";
      out += "tributary_sync_run_duration_seconds_count" + labels({{"connector", c}}) + " " +
             std::to_string(r.int64(i, 1)) + "\n";
    }
    family(out, "tributary_record_errors_open", "gauge", "Poison records not yet stored, by connector.");
    r = db.exec(
        "SELECT c.connector, count(*) FROM sync_record_errors e JOIN connections c ON c.id = e.connection_id"
        " WHERE e.resolved_at IS NULL GROUP BY 1 ORDER BY 1");
    for (int i = 0; i < r.rows(); ++i) {
      out += "tributary_record_errors_open" + labels({{"connector", r.text(i, 0)}}) + " " +
             std::to_string(r.int64(i, 1)) + "\n";
    }
    family(out, "tributary_connection_last_success_age_seconds", "gauge",
           "Seconds since each enabled connection's last successful sync (absent: never synced).");
    r = db.exec(
        "SELECT w.slug, c.name, c.connector, extract(epoch from now() - max(s.completed_at))"
        " FROM connections c JOIN workspaces w ON w.id = c.workspace_id"
        " JOIN sync_runs s ON s.connection_id = c.id AND s.status IN ('completed', 'completed_with_errors')"
        " AND NOT s.dry_run WHERE c.enabled GROUP BY 1, 2, 3 ORDER BY 1, 2");
    for (int i = 0; i < r.rows(); ++i) {
      out += "tributary_connection_last_success_age_seconds" +
             labels({{"workspace", r.text(i, 0)}, {"connection", r.text(i, 1)}, {"connector", r.text(i, 2)}}) + " " +
             r.text(i, 3) + "\n";
    }
    // The HTTP client, per vendor, summed over every worker process of every host.
    const std::pair<const char*, const char*> http[] = {
        {"requests", "Requests sent to the vendor, retries included."},
        {"429s", "429 answers from the vendor."},
        {"retries", "Requests sent again after a 429, 5xx, reset or timeout."},
        {"waits", "Times a request waited for its slot, a Retry-After or a backoff."},
        {"rate_limit_parks", "Jobs parked on the vendor's rate limit."},
        {"quota_parks", "Jobs parked on the vendor's quota."}};
    r = db.exec("SELECT vendor, counter, value FROM http_vendor_counters ORDER BY 1, 2");
    for (const auto& [name, help] : http) {
      const std::string metric =
          std::string("tributary_http_") + (std::string(name) == "429s" ? "429" : name) + "_total";
      family(out, metric, "counter", help);
      for (int i = 0; i < r.rows(); ++i) {
        if (r.text(i, 1) == name) out += metric + labels({{"vendor", r.text(i, 0)}}) + " " + r.text(i, 2) + "\n";
      }
    }
    family(out, "tributary_worker_restarts_total", "counter", "Worker processes this serve restarted after they died.");
    out += "tributary_worker_restarts_total " + std::to_string(workerRestarts ? workerRestarts() : 0) + "\n";
    metrics->render(out);
    return Response::plain(200, out, "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace tributary::api
