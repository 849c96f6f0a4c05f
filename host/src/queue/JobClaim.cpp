#include "queue/JobClaim.h"

namespace tributary::queue {

JobClaim::JobClaim(std::string jobId, std::string workerId, int64_t claimUs)
    : jobId_(std::move(jobId)), workerId_(std::move(workerId)), claimUs_(claimUs) {}

std::optional<JobClaim> JobClaim::of(const Job& job) {
  if (!job.workerId || !job.claimUs) return std::nullopt;
  return JobClaim(job.id, *job.workerId, *job.claimUs);
}

void JobClaim::assertHeld(db::Connection& conn) const {
  auto held = conn.execPrepared(
      "SELECT 1 FROM jobs WHERE id = $1::uuid AND status = 'running' AND worker_id = $2"
      " AND (extract(epoch from started_at) * 1000000)::bigint = $3 FOR SHARE",
      jobId_, workerId_, claimUs_);
  if (held.empty()) {
    throw ClaimLost("job " + jobId_ + " is no longer held by " + workerId_ +
                    " (its lease expired and it was rescued, or it was released); nothing more of this run is "
                    "committed");
  }
}

}  // namespace tributary::queue
