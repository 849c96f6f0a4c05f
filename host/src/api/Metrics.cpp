#include "api/Metrics.h"

#include <set>
#include <vector>

namespace tributary::api {
namespace {

using server::Response;

void jobs(PromText& out, db::Connection& db) {
  out.family("tributary_jobs", "gauge", "Jobs in the queue's table by kind and status (finished ones until pruned).");
  auto r = db.exec("SELECT kind, status, count(*) FROM jobs GROUP BY 1, 2 ORDER BY 1, 2");
  for (int i = 0; i < r.rows(); ++i) {
    out.sample("tributary_jobs", {{"kind", r.text(i, 0)}, {"status", r.text(i, 1)}}, r.number(i, 2));
  }
}

void backlog(PromText& out, db::Connection& db) {
  // A workspace sync's passive parent is never claimed: it is not work waiting for a worker.
  auto r = db.exec(
      "SELECT count(*) FILTER (WHERE run_at <= now()),"
      " coalesce(extract(epoch FROM now() - min(run_at) FILTER (WHERE run_at <= now())), 0)::float8,"
      " count(*) FILTER (WHERE wait_reason IN ('rate_limit', 'quota') AND run_at > now())"
      " FROM jobs WHERE status = 'pending' AND NOT passive");
  out.family("tributary_queue_depth", "gauge", "Pending jobs that are due now: the backlog waiting for a worker.");
  out.sample("tributary_queue_depth", {}, r.number(0, 0));
  out.family("tributary_queue_oldest_pending_seconds", "gauge",
             "How long the oldest due pending job has waited for a worker (0 when none waits).");
  out.sample("tributary_queue_oldest_pending_seconds", {}, r.number(0, 1));
  out.family("tributary_jobs_parked", "gauge", "Pending jobs waiting out a vendor's rate limit or quota.");
  out.sample("tributary_jobs_parked", {}, r.number(0, 2));
  out.family("tributary_dead_letters", "gauge",
             "Discarded jobs (their attempts ran out), until retried or pruned by queue.retention.");
  out.sample("tributary_dead_letters", {},
             db.exec("SELECT count(*) FROM jobs WHERE status = 'discarded'").number(0, 0));
}

// Recomputed at each scrape from the sync_runs rows on record, not counted in process: any host
// shows every host's runs, and a restart loses nothing. The run counts are gauges since a run
// changes status (running, then completed; a failed run resumed is running again); the records
// only ever grow, so they are a counter. The duration histogram covers the finished runs on
// record, so it can step back when a finished run is resumed (rare: Prometheus reads it as a
// counter reset).
void runs(PromText& out, db::Connection& db) {
  out.family("tributary_sync_runs", "gauge", "Sync runs on record by connector and status.");
  auto r = db.exec("SELECT connector, status, count(*) FROM sync_runs GROUP BY 1, 2 ORDER BY 1, 2");
  for (int i = 0; i < r.rows(); ++i) {
    out.sample("tributary_sync_runs", {{"connector", r.text(i, 0)}, {"status", r.text(i, 1)}}, r.number(i, 2));
  }
  out.family("tributary_records_synced_total", "counter",
             "Records the sync runs wrote (inserted or updated; dry runs excluded), by connector.");
  r = db.exec("SELECT connector, sum(records_synced) FROM sync_runs WHERE NOT dry_run GROUP BY 1 ORDER BY 1");
  for (int i = 0; i < r.rows(); ++i) {
    out.sample("tributary_records_synced_total", {{"connector", r.text(i, 0)}}, r.number(i, 1));
  }

  static const std::vector<double> bounds = {1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600};
  std::string buckets;
  for (double b : bounds) {
    buckets += ", count(*) FILTER (WHERE duration_ms <= " + std::to_string(static_cast<int64_t>(b * 1000)) + ")";
  }
  out.family("tributary_sync_run_duration_seconds", "histogram",
             "Duration of the finished sync runs on record, by connector.");
  r = db.exec("SELECT connector, count(*), coalesce(sum(duration_ms), 0)" + buckets +
              " FROM sync_runs WHERE duration_ms IS NOT NULL"
              " AND status IN ('completed', 'completed_with_errors', 'failed', 'cancelled')"
              " GROUP BY 1 ORDER BY 1");
  for (int i = 0; i < r.rows(); ++i) {
    std::vector<uint64_t> cumulative;
    for (size_t b = 0; b < bounds.size(); ++b) {
      cumulative.push_back(static_cast<uint64_t>(r.int64(i, 3 + static_cast<int>(b))));
    }
    out.histogram("tributary_sync_run_duration_seconds", {{"connector", r.text(i, 0)}}, bounds, cumulative,
                  static_cast<uint64_t>(r.int64(i, 1)), r.number(i, 2) / 1000.0);
  }
}

void recordErrors(PromText& out, db::Connection& db) {
  out.family("tributary_record_errors_open", "gauge", "Poison records not yet stored (unresolved), by connector.");
  auto r = db.exec(
      "SELECT c.connector, count(*) FROM sync_record_errors e JOIN connections c ON c.id = e.connection_id"
      " WHERE e.resolved_at IS NULL GROUP BY 1 ORDER BY 1");
  for (int i = 0; i < r.rows(); ++i) {
    out.sample("tributary_record_errors_open", {{"connector", r.text(i, 0)}}, r.number(i, 1));
  }
}

// For the stale-sync alert: a connection that never succeeded counts from its creation (absent,
// it would never alert); a paused or disabled one is left out (it is stale on purpose).
void freshness(PromText& out, db::Connection& db) {
  out.family("tributary_connection_last_success_age_seconds", "gauge",
             "Seconds since each enabled, unpaused connection's last successful sync (since its creation if none); "
             "scheduled=\"false\" for on-demand connections.");
  auto r = db.exec(
      "SELECT w.slug, c.name, c.connector, c.schedule IS NOT NULL,"
      " extract(epoch FROM now() - coalesce(max(s.completed_at), c.created_at))::float8"
      " FROM connections c JOIN workspaces w ON w.id = c.workspace_id"
      " LEFT JOIN sync_runs s ON s.connection_id = c.id AND s.status IN ('completed', 'completed_with_errors')"
      " AND NOT s.dry_run"
      " WHERE c.enabled AND w.enabled AND c.paused_at IS NULL"
      " GROUP BY w.slug, c.name, c.connector, c.schedule, c.created_at ORDER BY 1, 2");
  for (int i = 0; i < r.rows(); ++i) {
    out.sample("tributary_connection_last_success_age_seconds",
               {{"workspace", r.text(i, 0)},
                {"connection", r.text(i, 1)},
                {"connector", r.text(i, 2)},
                {"scheduled", r.boolean(i, 3) ? "true" : "false"}},
               r.number(i, 4));
  }
}

// The HTTP client per vendor, summed over every worker process of every host
// (http::HttpMetrics::flush).
void vendors(PromText& out, db::Connection& db) {
  struct Counter {
    const char* stored;  // http_vendor_counters.counter
    const char* metric;
    const char* help;
    double scale;
  };
  static const Counter counters[] = {
      {"requests", "tributary_http_requests_total", "Requests sent to the vendor, retries included.", 1},
      {"429s", "tributary_http_429_total", "429 (Too Many Requests) answers from the vendor.", 1},
      {"retries", "tributary_http_retries_total", "Requests sent again after a 429, 5xx, reset or timeout.", 1},
      {"waits", "tributary_http_waits_total", "Times a request waited for its slot, a Retry-After or a backoff.", 1},
      {"wait_ms", "tributary_http_wait_seconds_total", "Time requests spent in those waits.", 0.001},
      {"rate_limit_parks", "tributary_http_rate_limit_parks_total", "Jobs parked on the vendor's rate limit.", 1},
      {"quota_parks", "tributary_http_quota_parks_total", "Jobs parked on the vendor's quota.", 1}};
  auto r = db.exec("SELECT counter, vendor, value FROM http_vendor_counters ORDER BY 1, 2");
  for (const auto& c : counters) {
    out.family(c.metric, "counter", c.help);
    for (int i = 0; i < r.rows(); ++i) {
      if (r.view(i, 0) == c.stored) out.sample(c.metric, {{"vendor", r.text(i, 1)}}, r.number(i, 2) * c.scale);
    }
  }
}

// Outgoing webhooks (migrations/018): the endpoints, the delivery log by status, and how far
// behind each endpoint with pending deliveries is (the age of its oldest).
void webhookFigures(PromText& out, db::Connection& db) {
  auto e =
      db.exec("SELECT count(*) FILTER (WHERE enabled), count(*) FILTER (WHERE NOT enabled) FROM webhook_endpoints");
  out.family("tributary_webhook_endpoints", "gauge", "Webhook endpoints, enabled or disabled.");
  out.sample("tributary_webhook_endpoints", {{"state", "enabled"}}, e.number(0, 0));
  out.sample("tributary_webhook_endpoints", {{"state", "disabled"}}, e.number(0, 1));
  auto d = db.exec(
      "SELECT s.status, count(d.id) FROM unnest(ARRAY['pending', 'succeeded', 'failed']) s(status)"
      " LEFT JOIN webhook_deliveries d ON d.status = s.status GROUP BY 1 ORDER BY 1");
  out.family("tributary_webhook_deliveries", "gauge",
             "Deliveries in the log (webhooks.retention), by status: pending ones are still to be sent.");
  for (int i = 0; i < d.rows(); ++i)
    out.sample("tributary_webhook_deliveries", {{"status", d.text(i, 0)}}, d.number(i, 1));
  auto lag = db.exec(
      "SELECT w.slug, e.id, extract(epoch from now() - min(d.created_at))::float8 FROM webhook_deliveries d"
      " JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN workspaces w ON w.id = e.workspace_id"
      " WHERE d.status = 'pending' GROUP BY 1, 2 ORDER BY 1, 2");
  out.family("tributary_webhook_oldest_pending_age_seconds", "gauge",
             "Age of each endpoint's oldest pending delivery (from its event): how far behind it is.");
  for (int i = 0; i < lag.rows(); ++i) {
    out.sample("tributary_webhook_oldest_pending_age_seconds",
               {{"workspace", lag.text(i, 0)}, {"endpoint", lag.text(i, 1)}}, lag.number(i, 2));
  }
}

// The alerts on now (app/Alerts.h): one row per episode, whichever host raised it.
void alertsOn(PromText& out, db::Connection& db) {
  auto r = db.exec(
      "SELECT k.kind, count(a.kind) FROM unnest(ARRAY['queue.backlog', 'sync.stale']) k(kind)"
      " LEFT JOIN alerts a ON a.kind = k.kind GROUP BY 1 ORDER BY 1");
  out.family("tributary_alerts_active", "gauge",
             "Alerts on now, by type: sync.stale per connection, queue.backlog per workspace and for the host.");
  for (int i = 0; i < r.rows(); ++i) out.sample("tributary_alerts_active", {{"type", r.text(i, 0)}}, r.number(i, 1));
}

void serveCounters(PromText& out, const ServeCounters& c) {
  out.family("tributary_worker_restarts_total", "counter",
             "Worker processes this serve's supervisor restarted after they died.");
  out.sample("tributary_worker_restarts_total", {}, static_cast<double>(c.workerRestarts));
  out.family("tributary_webhook_attempts_total", "counter",
             "Webhook attempts this serve sent, by outcome (delivered: a 2xx; failed: anything else).");
  out.sample("tributary_webhook_attempts_total", {{"outcome", "delivered"}}, static_cast<double>(c.webhooks.delivered));
  out.sample("tributary_webhook_attempts_total", {{"outcome", "failed"}},
             static_cast<double>(c.webhooks.failedAttempts));
  out.family("tributary_webhook_given_up_total", "counter",
             "Deliveries this serve marked failed after the last attempt of webhooks.retry_schedule.");
  out.sample("tributary_webhook_given_up_total", {}, static_cast<double>(c.webhooks.gaveUp));
  out.family("tributary_webhook_endpoints_disabled_total", "counter",
             "Endpoints this serve disabled (a 410, or failing for webhooks.disable_after).");
  out.sample("tributary_webhook_endpoints_disabled_total", {}, static_cast<double>(c.webhooks.disabled));
}

}  // namespace

std::string ApiMetrics::methodLabel(const std::string& method) {
  static const std::set<std::string> known = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  return known.count(method) ? method : "other";
}

void ApiMetrics::observe(const std::string& method, const std::string& route, int status, double ms) {
  const std::string m = methodLabel(method);
  const std::string r = route.empty() ? "unmatched" : route;
  const double s = ms / 1000.0;
  std::lock_guard lock(mutex_);
  ++requests_[{m, r, status}];
  auto& h = latency_[{m, r}];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (s <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += s;
}

void ApiMetrics::render(PromText& out) const {
  static const std::vector<double> bounds(kBuckets.begin(), kBuckets.end());
  std::lock_guard lock(mutex_);
  out.family("tributary_api_requests_total", "counter",
             "API requests this serve answered, by method, route pattern and status code.");
  for (const auto& [k, n] : requests_) {
    const auto& [method, route, status] = k;
    out.sample("tributary_api_requests_total",
               {{"method", method}, {"route", route}, {"status", std::to_string(status)}}, static_cast<double>(n));
  }
  out.family("tributary_api_request_duration_seconds", "histogram",
             "Time this serve took to answer an API request, by method and route pattern.");
  for (const auto& [k, h] : latency_) {
    out.histogram("tributary_api_request_duration_seconds", {{"method", k.first}, {"route", k.second}}, bounds,
                  std::vector<uint64_t>(h.counts.begin(), h.counts.end()), h.count, h.sum);
  }
}

void installMetricsRoutes(Api& api, server::Router& router, std::shared_ptr<ApiMetrics> metrics,
                          std::function<ServeCounters()> serve) {
  const Access access = api.cfg().api.metricsNeedToken ? Access::Admin : Access::Open;
  api.route(router, "GET", "/metrics", access, [metrics, serve](Call& call) {
    auto& db = call.db();
    PromText out;
    jobs(out, db);
    backlog(out, db);
    runs(out, db);
    recordErrors(out, db);
    freshness(out, db);
    vendors(out, db);
    webhookFigures(out, db);
    alertsOn(out, db);
    serveCounters(out, serve ? serve() : ServeCounters{});
    metrics->render(out);
    return Response::plain(200, out.take(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace tributary::api
