#include "queue/Job.h"

#include "common/Time.h"

namespace tributary::queue {

std::string_view toString(JobStatus s) {
  switch (s) {
    case JobStatus::Pending: return "pending";
    case JobStatus::Running: return "running";
    case JobStatus::Completed: return "completed";
    case JobStatus::Failed: return "failed";
    case JobStatus::Cancelled: return "cancelled";
    case JobStatus::Discarded: return "discarded";
  }
  return "pending";
}

std::optional<JobStatus> parseJobStatus(std::string_view s) {
  for (auto st : {JobStatus::Pending, JobStatus::Running, JobStatus::Completed, JobStatus::Failed, JobStatus::Cancelled,
                  JobStatus::Discarded}) {
    if (toString(st) == s) return st;
  }
  return std::nullopt;
}

Json Job::toJson() const {
  auto opt = [](const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); };
  auto optTime = [](const std::optional<TimePoint>& t) { return t ? Json(time::iso8601(*t)) : Json(nullptr); };
  return Json{{"id", id},
              {"kind", kind},
              {"workspace_id", opt(workspaceId)},
              {"connection_id", opt(connectionId)},
              {"parent_job_id", opt(parentJobId)},
              {"status", toString(status)},
              {"wait_reason", opt(waitReason)},
              {"priority", priority},
              {"payload", payload},
              {"progress", progress},
              {"result", result},
              {"attempts", attempts},
              {"max_attempts", maxAttempts},
              {"last_error", opt(lastError)},
              {"errors", errors},
              {"worker_id", opt(workerId)},
              {"timeout_ms", timeoutMs},
              {"unique_key", opt(uniqueKey)},
              {"run_alone", runAlone},
              {"cancel_requested", cancelRequested},
              {"run_at", time::iso8601(runAt)},
              {"lease_expires_at", optTime(leaseExpiresAt)},
              {"heartbeat_at", optTime(heartbeatAt)},
              {"created_at", time::iso8601(createdAt)},
              {"started_at", optTime(startedAt)},
              {"completed_at", optTime(completedAt)}};
}

}  // namespace tributary::queue
