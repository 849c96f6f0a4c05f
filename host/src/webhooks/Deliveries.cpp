#include "webhooks/Deliveries.h"

#include "webhooks/Envelope.h"

namespace tributary::webhooks {

int enqueueEvents(db::Connection& conn, const std::string& endpointId, const std::vector<engine::OutboxEvent>& events) {
  if (events.empty()) return 0;
  Json rows = Json::array();
  for (const auto& e : events) {
    rows.push_back({{"message_id", messageIdOf(e.position)},
                    {"event_position", e.position},
                    {"event_type", e.type},
                    {"job_id", e.scope.jobId ? Json(*e.scope.jobId) : Json(nullptr)},
                    {"body", envelopeOf(e).dump()},
                    {"created_ms", e.createdAtMs}});
  }
  return conn
      .exec(
          "INSERT INTO webhook_deliveries (endpoint_id, message_id, event_position, event_type, job_id, body,"
          " created_at)"
          " SELECT $1::uuid, x.message_id, x.event_position, x.event_type, x.job_id, x.body,"
          "  to_timestamp(x.created_ms / 1000.0)"
          " FROM jsonb_to_recordset($2::jsonb) AS x(message_id text, event_position bigint, event_type text,"
          "  job_id uuid, body text, created_ms bigint)"
          " ORDER BY x.event_position"
          " ON CONFLICT (endpoint_id, event_position) WHERE event_position IS NOT NULL DO NOTHING"
          " RETURNING 1",
          endpointId, rows.dump())
      .rows();
}

}  // namespace tributary::webhooks
