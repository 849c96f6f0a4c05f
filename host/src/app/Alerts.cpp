#include "app/Alerts.h"

#include <algorithm>
#include <optional>
#include <set>
#include <vector>

#include "common/Log.h"
#include "common/Time.h"
#include "engine/Outbox.h"
#include "scheduler/CronExpression.h"

namespace tributary::app::alerts {
namespace {

constexpr const char* kLog = "alerts";
constexpr const char* kStale = "sync.stale";
constexpr const char* kBacklog = "queue.backlog";
constexpr const char* kHostSubject = "host";

// An alert whose cause holds now.
struct Found {
  std::string subject;
  std::optional<std::string> workspaceId;
  std::optional<std::string> connectionId;
  std::string label;  // for the log: workspace/connection, a workspace's slug, or "the host"
  Json payload;
};

double seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

// The schedule's own period at `now`: the gap between its last two slots (nullopt for an
// expression the scheduler refuses too, or one that has not fired twice in 30 years).
std::optional<int64_t> lastGapMs(const std::string& schedule, const std::string& zone, int64_t nowMs) {
  auto cron = scheduler::CronExpression::parse(schedule, zone);
  if (!cron) return std::nullopt;
  auto last = cron->previous(time::fromEpochMs(nowMs));
  if (!last) return std::nullopt;
  auto before = cron->previous(*last - std::chrono::milliseconds(1));
  if (!before) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(*last - *before).count();
}

std::vector<Found> staleConnections(db::Connection& conn, const config::AlertsConfig& cfg) {
  // As the scheduler counts a connection scheduled (scheduler/Scheduler.cpp), and a success as
  // tributary_connection_last_success_age_seconds does (api/Metrics.cpp).
  auto r = conn.exec(
      "SELECT c.id::text, c.workspace_id::text, w.slug, c.name, c.connector, btrim(c.schedule),"
      " coalesce(nullif(btrim(c.schedule_timezone), ''), 'UTC'),"
      " (extract(epoch FROM max(s.completed_at)) * 1000)::bigint,"
      " (extract(epoch FROM greatest(coalesce(max(s.completed_at), c.created_at),"
      "                              coalesce(st.armed_at, c.created_at))) * 1000)::bigint,"
      " (extract(epoch FROM now()) * 1000)::bigint"
      " FROM connections c JOIN workspaces w ON w.id = c.workspace_id"
      " LEFT JOIN schedule_state st ON st.connection_id = c.id"
      " LEFT JOIN sync_runs s ON s.connection_id = c.id AND s.status IN ('completed', 'completed_with_errors')"
      " AND NOT s.dry_run"
      " WHERE c.enabled AND w.enabled AND c.paused_at IS NULL AND coalesce(btrim(c.schedule), '') <> ''"
      " GROUP BY c.id, w.id, st.armed_at ORDER BY w.slug, c.name");
  std::vector<Found> out;
  for (int i = 0; i < r.rows(); ++i) {
    const int64_t nowMs = r.int64(i, 9);
    const int64_t sinceMs = r.int64(i, 8);
    std::optional<int64_t> limitMs;
    if (cfg.staleAfter) {
      limitMs = cfg.staleAfter->count();
    } else if (auto gap = lastGapMs(r.text(i, 5), r.text(i, 6), nowMs)) {
      limitMs = 3 * *gap;
    }
    if (!limitMs || nowMs - sinceMs <= *limitMs) continue;
    const auto lastSuccess = r.optInt64(i, 7);
    Found f;
    f.subject = r.text(i, 0);
    f.workspaceId = r.text(i, 1);
    f.connectionId = r.text(i, 0);
    f.label = r.text(i, 2) + "/" + r.text(i, 3);
    f.payload = {{"workspace", r.text(i, 2)},
                 {"connection", r.text(i, 3)},
                 {"connector", r.text(i, 4)},
                 {"schedule", r.text(i, 5)},
                 {"time_zone", r.text(i, 6)},
                 {"last_success_at", lastSuccess ? Json(time::iso8601Ms(*lastSuccess)) : Json(nullptr)},
                 {"stale_since", time::iso8601Ms(sinceMs + *limitMs)},
                 {"stale_after_seconds", seconds(*limitMs)}};
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Found> backlogs(db::Connection& conn, const config::AlertsConfig& cfg) {
  // Runnable: pending and due; a workspace sync's passive parent is never claimed (as
  // tributary_queue_oldest_pending_seconds counts, api/Metrics.cpp).
  auto r = conn.exec(
      "SELECT j.workspace_id::text, w.slug, count(*), (extract(epoch FROM min(j.run_at)) * 1000)::bigint,"
      " (array_agg(j.id::text ORDER BY j.run_at, j.created_at))[1],"
      " (array_agg(j.kind ORDER BY j.run_at, j.created_at))[1],"
      " (extract(epoch FROM now()) * 1000)::bigint"
      " FROM jobs j LEFT JOIN workspaces w ON w.id = j.workspace_id"
      " WHERE j.status = 'pending' AND NOT j.passive AND j.run_at <= now()"
      " GROUP BY j.workspace_id, w.slug ORDER BY w.slug NULLS FIRST");
  const int64_t limitMs = cfg.backlogAfter.count();
  auto payloadOf = [&](int64_t count, int64_t oldestMs, const std::string& job, const std::string& kind,
                       int64_t nowMs) {
    return Json{{"runnable_jobs", count},
                {"oldest_job_id", job},
                {"oldest_job_kind", kind},
                {"waiting_since", time::iso8601Ms(oldestMs)},
                {"waited_seconds", seconds(nowMs - oldestMs)},
                {"backlog_after_seconds", seconds(limitMs)}};
  };
  std::vector<Found> out;
  int64_t total = 0;
  int oldestRow = -1;
  for (int i = 0; i < r.rows(); ++i) {
    total += r.int64(i, 2);
    if (oldestRow < 0 || r.int64(i, 3) < r.int64(oldestRow, 3)) oldestRow = i;
    const int64_t nowMs = r.int64(i, 6);
    if (r.isNull(i, 0) || nowMs - r.int64(i, 3) <= limitMs) continue;
    Found f;
    f.subject = r.text(i, 0);
    f.workspaceId = r.text(i, 0);
    f.label = "workspace " + r.text(i, 1);
    f.payload = payloadOf(r.int64(i, 2), r.int64(i, 3), r.text(i, 4), r.text(i, 5), nowMs);
    f.payload["workspace"] = r.text(i, 1);
    out.push_back(std::move(f));
  }
  if (oldestRow >= 0 && r.int64(oldestRow, 6) - r.int64(oldestRow, 3) > limitMs) {
    Found f;
    f.subject = kHostSubject;
    f.label = "the host";
    f.payload =
        payloadOf(total, r.int64(oldestRow, 3), r.text(oldestRow, 4), r.text(oldestRow, 5), r.int64(oldestRow, 6));
    out.push_back(std::move(f));
  }
  return out;
}

engine::EventScope scopeOf(const std::optional<std::string>& workspaceId,
                           const std::optional<std::string>& connectionId) {
  if (!workspaceId) return engine::EventScope::host();
  if (connectionId) return engine::EventScope::connection(*workspaceId, *connectionId);
  return engine::EventScope::workspace(*workspaceId);
}

// Raises what began, resolves what ended: each in its own transaction with its event.
void apply(db::Connection& conn, const std::string& kind, const std::vector<Found>& found, Report& report) {
  Json subjects = Json::array();
  for (const auto& f : found) {
    subjects.push_back(f.subject);
    db::Transaction tx(conn);
    auto inserted = conn.exec(
        "INSERT INTO alerts (kind, subject, workspace_id, connection_id, details)"
        " VALUES ($1, $2, $3::uuid, $4::uuid, $5::jsonb) ON CONFLICT (kind, subject) DO NOTHING",
        kind, f.subject, f.workspaceId, f.connectionId, f.payload);
    if (inserted.affected() == 0) continue;  // on already: this episode was announced
    engine::outbox::emit(conn, scopeOf(f.workspaceId, f.connectionId), kind, f.payload);
    tx.commit();
    ++report.raised;
    log::warn(kLog, "{}: {} ({})", kind, f.label, f.payload.dump());
  }
  // Those on whose cause is gone: one at a time, each deleted with its event.
  auto ended = conn.exec(
      "SELECT subject FROM alerts WHERE kind = $1"
      " AND subject NOT IN (SELECT jsonb_array_elements_text($2::jsonb)) ORDER BY raised_at",
      kind, subjects);
  for (int i = 0; i < ended.rows(); ++i) {
    db::Transaction tx(conn);
    auto gone = conn.exec(
        "DELETE FROM alerts WHERE kind = $1 AND subject = $2 RETURNING workspace_id::text, connection_id::text,"
        " details, (extract(epoch FROM raised_at) * 1000)::bigint, (extract(epoch FROM now()) * 1000)::bigint",
        kind, ended.text(i, 0));
    if (gone.empty()) continue;  // another lead resolved it meanwhile
    // What the raising event said, and how long it lasted.
    Json payload = Json::parse(gone.view(0, 2));
    const Json details = payload;
    payload["alert"] = kind;
    payload["raised_at"] = time::iso8601Ms(gone.int64(0, 3));
    payload["lasted_seconds"] = seconds(gone.int64(0, 4) - gone.int64(0, 3));
    engine::outbox::emit(conn, scopeOf(gone.optText(0, 0), gone.optText(0, 1)), "alert.resolved", payload);
    tx.commit();
    ++report.resolved;
    log::info(kLog, "{} resolved after {:.0f} s: {}", kind, seconds(gone.int64(0, 4) - gone.int64(0, 3)),
              details.dump());
  }
}

}  // namespace

Report check(db::Connection& conn, const config::AlertsConfig& cfg) {
  Report report;
  apply(conn, kStale, staleConnections(conn, cfg), report);
  apply(conn, kBacklog, backlogs(conn, cfg), report);
  report.active = static_cast<int>(conn.exec("SELECT count(*) FROM alerts").int64(0, 0));
  return report;
}

}  // namespace tributary::app::alerts
