#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/Json.h"

namespace tributary::queue {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

enum class JobStatus { Pending, Running, Completed, Failed, Cancelled, Discarded };

std::string_view toString(JobStatus s);
std::optional<JobStatus> parseJobStatus(std::string_view s);

// Priorities: manual work runs before scheduled work, as in the seeds.
constexpr int kPriorityScheduled = 0;
constexpr int kPriorityManual = 1;

// One row of the jobs table.
struct Job {
  std::string id;
  std::string kind;
  std::optional<std::string> workspaceId;
  std::optional<std::string> connectionId;
  std::optional<std::string> parentJobId;
  Json payload = Json::object();
  int priority = 0;
  TimePoint runAt{};
  JobStatus status = JobStatus::Pending;
  std::optional<std::string> waitReason;  // backoff, quota, rate_limit, shutdown
  int attempts = 0;
  int maxAttempts = 3;
  std::optional<std::string> lastError;
  Json errors = Json::array();  // [{attempt, at, error, kind}]
  std::optional<TimePoint> leaseExpiresAt;
  std::optional<TimePoint> heartbeatAt;
  std::optional<std::string> workerId;
  // Which claim of the job this is (its started_at in microseconds, set by claim): a run checks
  // it before it commits, so that a stale run never writes over a later claim's.
  std::optional<int64_t> claimUs;
  int64_t timeoutMs = 0;
  std::optional<std::string> uniqueKey;
  // Its worker ran out of memory while it ran: it runs only on a worker that runs nothing else.
  bool runAlone = false;
  Json progress = Json::object();
  Json result;  // null until set
  bool cancelRequested = false;
  TimePoint createdAt{};
  std::optional<TimePoint> startedAt;
  std::optional<TimePoint> completedAt;

  Json toJson() const;
};

struct EnqueueRequest {
  std::string kind;
  std::optional<std::string> workspaceId;
  std::optional<std::string> connectionId;
  std::optional<std::string> parentJobId;
  Json payload = Json::object();
  int priority = kPriorityScheduled;
  std::optional<TimePoint> runAt;    // default: now
  std::optional<int> maxAttempts;    // default: the kind's policy
  std::optional<int64_t> timeoutMs;  // default: the kind's policy
  // While a job with this key is pending or running, enqueueing another returns that one.
  std::optional<std::string> uniqueKey;
  // While a job with this key is pending, enqueueing another returns that one, its row locked
  // until the caller's transaction ends (see JobQueue::changePendingPayload); a running one does
  // not count, since its work began before this request. For work asked for after other work
  // (the engine's follow-ups). Only through JobQueue::enqueue, in a transaction.
  std::optional<std::string> pendingKey;
};

struct EnqueueResult {
  std::string jobId;
  bool existing = false;  // an equal job was pending or running: nothing was inserted
  JobStatus status = JobStatus::Pending;
};

}  // namespace tributary::queue
