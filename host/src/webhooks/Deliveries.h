#pragma once

#include <string>
#include <vector>

#include "db/Connection.h"
#include "engine/Outbox.h"

namespace tributary::webhooks {

// Makes each of `events` a delivery to `endpointId` (its body, msg_<position>, the event's
// time), in the caller's transaction and in one statement; an event the endpoint already has a
// delivery for is left alone. The one way outbox events become deliveries: the dispatcher's
// fan-out and a recovery both use it. Returns how many it made.
int enqueueEvents(db::Connection& conn, const std::string& endpointId, const std::vector<engine::OutboxEvent>& events);

}  // namespace tributary::webhooks
