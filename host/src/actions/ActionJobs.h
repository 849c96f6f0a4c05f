#pragma once

#include <string>

#include "common/Json.h"
#include "plugins/ConnectorPlugin.h"
#include "queue/Job.h"

namespace tributary::actions {

// The job kind that runs a connector's action (write-back): payload {action, body}.
inline constexpr const char* kJobKind = "action";

// The job that runs `action` of a connection with `body` (already checked by the caller with
// plugins::ActionBody, and checked again by the worker), as manual work. Its retry policy
// follows the action: an idempotent one gets the kind's (queue.retry.action, else
// queue.retry.default); any other is tried once (max_attempts 1), so that neither a RETRY nor
// a worker lost while it ran makes it happen twice. `tributary actions run` queues it; the HTTP
// API will too.
queue::EnqueueRequest actionJob(const plugins::ActionDescriptor& action, const std::string& workspaceId,
                                const std::string& connectionId, const Json& body);

}  // namespace tributary::actions
