#include "engine/Outbox.h"

#include <stdexcept>

#include "common/Redact.h"
#include "db/AdvisoryLocks.h"
#include "db/PgArray.h"

namespace tributary::engine::outbox {

void emit(db::Connection& conn, const EventScope& scope, std::string_view type, const Json& payload) {
  if (type.empty()) throw std::invalid_argument("an event needs a type");
  if (scope.connectionId && !scope.workspaceId) {
    throw std::invalid_argument("event " + std::string(type) + " names connection " + *scope.connectionId +
                                " but no workspace");
  }
  if (!payload.is_object()) {
    throw std::invalid_argument("the payload of event " + std::string(type) + " is not a JSON object");
  }
  if (!conn.inTransaction()) {
    throw std::logic_error("outbox::emit outside a transaction: an event commits with the change it announces");
  }
  // Events are read out of the process as they are stored (post-sync processors, the API,
  // webhooks): a payload (a run's error, its streams' messages) is redacted here, the one way in.
  // Positions in commit order (see Outbox.h): the lock first, then the position.
  conn.execPrepared("SELECT pg_advisory_xact_lock($1::int4, $2::int4)", db::advisory::kClass,
                    db::advisory::kOutboxOrder);
  conn.execPrepared(
      "INSERT INTO events (workspace_id, connection_id, run_id, job_id, type, payload)"
      " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5, $6::jsonb)",
      scope.workspaceId, scope.connectionId, scope.runId, scope.jobId, type, redact::json(payload));
}

OutboxPage read(db::Connection& conn, int64_t after, int limit, const OutboxFilter& filter) {
  if (limit <= 0) throw std::invalid_argument("outbox read: the limit must be positive");
  auto r = conn.execPrepared(
      "SELECT id, type, workspace_id, connection_id, run_id, job_id, payload,"
      " (extract(epoch from created_at) * 1000)::bigint FROM events"
      " WHERE id > $1 AND ($3::uuid IS NULL OR workspace_id = $3::uuid)"
      " AND ($4::uuid IS NULL OR connection_id = $4::uuid) AND ($5::text[] IS NULL OR type = ANY($5::text[]))"
      " ORDER BY id LIMIT $2",
      after, limit, filter.workspaceId, filter.connectionId,
      filter.types.empty() ? db::Param() : db::Param(db::textArray(filter.types)));
  OutboxPage page;
  page.next = after;
  auto horizon = conn.execPrepared("SELECT pruned_through FROM outbox_state");
  if (!horizon.empty() && after < horizon.int64(0, 0)) {
    page.truncated = true;
    page.next = horizon.int64(0, 0);
  }
  for (int i = 0; i < r.rows(); ++i) {
    OutboxEvent e;
    e.position = r.int64(i, 0);
    e.type = r.text(i, 1);
    e.scope = EventScope{r.optText(i, 2), r.optText(i, 3), r.optText(i, 4), r.optText(i, 5)};
    e.payload = Json::parse(r.view(i, 6));
    e.createdAtMs = r.int64(i, 7);
    page.next = e.position;
    page.events.push_back(std::move(e));
  }
  return page;
}

int64_t prune(db::Connection& conn, std::chrono::milliseconds retention, int batch) {
  int64_t total = 0;
  while (true) {
    db::Transaction tx(conn);
    if (!conn.exec("SELECT pg_try_advisory_xact_lock($1::int4, $2::int4)", db::advisory::kClass,
                   db::advisory::kMaintenance)
             .boolean(0, 0)) {
      return total;  // another host is at it
    }
    auto r = conn.exec(
        "WITH gone AS (DELETE FROM events WHERE id IN (SELECT id FROM events"
        "  WHERE created_at < now() - $1::bigint * interval '1 millisecond' ORDER BY id LIMIT $2) RETURNING id)"
        " UPDATE outbox_state SET pruned_through = greatest(pruned_through, (SELECT max(id) FROM gone)),"
        "  pruned_at = now() WHERE EXISTS (SELECT 1 FROM gone)"
        " RETURNING (SELECT count(*) FROM gone)",
        retention.count(), batch);
    tx.commit();
    const int64_t n = r.empty() ? 0 : r.int64(0, 0);
    total += n;
    if (n < batch) return total;
  }
}

}  // namespace tributary::engine::outbox
