#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/Json.h"
#include "db/Connection.h"
#include "queue/Job.h"

namespace tributary::api {

// A job as the API shows it, with the seeds' field names: id, status, progress {current,
// total, message}, result {results, totalRecords, errors}, error, attempts, maxAttempts,
// createdAt, startedAt, completedAt; waitReason and runAt while it is parked; plus kind,
// connector, connection, parentJobId and, for a workspace sync's passive parent, childJobIds.
// A parent's progress and result are its children's, summed.
struct JobView {
  queue::Job job;
  std::optional<std::string> connection;  // the connection's name
  std::optional<std::string> connector;
  std::vector<JobView> children;  // a passive parent's
  bool passive = false;

  Json toJson() const;
  // Whether its status is final (for a parent: every child's).
  bool finished() const;
};

// The job `jobId` of `workspaceId` (none: not there, or another workspace's).
std::optional<JobView> loadJob(db::Connection& conn, const std::string& workspaceId, const std::string& jobId);

struct JobPage {
  std::vector<JobView> jobs;
  std::optional<std::string> nextCursor;
};
// Newest first; `cursor` is the previous page's nextCursor. Children of a parent are listed
// under it, not on their own.
JobPage listJobs(db::Connection& conn, const std::string& workspaceId, int limit,
                 const std::optional<std::string>& status, const std::optional<std::string>& connection,
                 const std::optional<std::string>& cursor);

}  // namespace tributary::api
