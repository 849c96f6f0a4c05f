#include "actions/ActionJobs.h"

namespace tributary::actions {

queue::EnqueueRequest actionJob(const plugins::ActionDescriptor& action, const std::string& workspaceId,
                                const std::string& connectionId, const Json& body) {
  queue::EnqueueRequest r;
  r.kind = kJobKind;
  r.workspaceId = workspaceId;
  r.connectionId = connectionId;
  r.priority = queue::kPriorityManual;
  r.payload = Json{{"action", action.name}, {"body", body}};
  if (!action.idempotent) r.maxAttempts = 1;
  return r;
}

}  // namespace tributary::actions
