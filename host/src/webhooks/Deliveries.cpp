#include "webhooks/Deliveries.h"

#include "webhooks/Envelope.h"

namespace tributary::webhooks {

bool enqueueEvent(db::Connection& conn, const std::string& endpointId, const engine::OutboxEvent& event) {
  return !conn.exec(
                  "INSERT INTO webhook_deliveries (endpoint_id, message_id, event_position, event_type, job_id, body,"
                  " created_at) VALUES ($1::uuid, $2, $3, $4, $5::uuid, $6, to_timestamp($7::bigint / 1000.0))"
                  " ON CONFLICT (endpoint_id, event_position) WHERE event_position IS NOT NULL DO NOTHING"
                  " RETURNING id",
                  endpointId, messageIdOf(event.position), event.position, event.type, event.scope.jobId,
                  envelopeOf(event).dump(), event.createdAtMs)
              .empty();
}

}  // namespace tributary::webhooks
