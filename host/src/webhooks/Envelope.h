#pragma once

#include <cstdint>
#include <string>

#include "common/Json.h"
#include "engine/Outbox.h"

namespace tributary::webhooks {

// The body of a delivery: {type, event, workspaceId, timestamp, data}, `event` repeating `type`
// for the seeds' receivers, `timestamp` the event's commit time (ISO 8601, UTC, ms).
//
// `data` is the event's payload with camelCase keys, plus what names it: jobId, runId and
// connectionId from its scope, and jobType ("sync") for a sync.* event. sync.completed adds
// totalRecords (the run's records); sync.progress keeps its progress {current, total, message}.
Json envelopeOf(const engine::OutboxEvent& event);

// The seeds' test event (LW-3): a sync.progress with data.jobType "test" and progress
// {current: 50, total: 100, message: "Test webhook notification"}.
Json testEnvelope(const std::string& workspaceId, int64_t nowMs);

// "msg_<position>" for an outbox event: one id per event, the same on every attempt.
std::string messageIdOf(int64_t position);

}  // namespace tributary::webhooks
