#pragma once

#include <string>

#include "db/Connection.h"
#include "engine/Outbox.h"

namespace tributary::webhooks {

// Makes `event` a delivery to `endpointId` (its body, msg_<position>, the event's time), in the
// caller's transaction; does nothing when the endpoint already has one for the event. The one
// way an outbox event becomes a delivery: the dispatcher's fan-out and a recovery both use it.
// Returns whether it made one.
bool enqueueEvent(db::Connection& conn, const std::string& endpointId, const engine::OutboxEvent& event);

}  // namespace tributary::webhooks
