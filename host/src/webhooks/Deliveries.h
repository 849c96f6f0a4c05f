#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "db/Connection.h"
#include "engine/Outbox.h"

namespace tributary::webhooks {

// Makes each of `events` a delivery to `endpointId` (its body, msg_<position>, the event's
// time), in the caller's transaction and in one statement; an event the endpoint already has a
// delivery for is left alone. The one way outbox events become deliveries: the dispatcher's
// fan-out and a recovery both use it. Returns how many it made.
// What a host's dispatcher sent since it started (webhooks::Dispatcher::stats; /metrics).
struct DeliveryStats {
  int64_t attempts = 0;
  int64_t delivered = 0;       // attempts answered 2xx
  int64_t failedAttempts = 0;  // every other attempt
  int64_t gaveUp = 0;          // deliveries failed after the schedule's last attempt
  int64_t disabled = 0;        // endpoints disabled
};

int enqueueEvents(db::Connection& conn, const std::string& endpointId, const std::vector<engine::OutboxEvent>& events);

}  // namespace tributary::webhooks
