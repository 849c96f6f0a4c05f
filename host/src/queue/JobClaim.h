#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "db/Connection.h"
#include "db/DbError.h"
#include "queue/Job.h"

namespace tributary::queue {

// Thrown by JobClaim::assertHeld: the job was rescued elsewhere (its lease expired) or released,
// so the run holding this claim must commit nothing more. SQLSTATE 55000 (object not in
// prerequisite state), so that callers that sort database errors see a non-record failure.
class ClaimLost : public db::DbError {
 public:
  explicit ClaimLost(const std::string& message) : db::DbError(message, "55000") {}
};

// One claim of a job by one worker: what a run checks before each of its commits. Every claim
// sets the job's started_at anew, so a run holding an older claim of the same job, on the same
// worker, is told apart too. How a claim is encoded in `jobs` is the queue's business alone.
class JobClaim {
 public:
  JobClaim(std::string jobId, std::string workerId, int64_t claimUs);
  // The claim a worker holds on `job` (as returned by JobQueue::claim); none for a job that was
  // not claimed (a test's or a dry tool's hand-made Job).
  static std::optional<JobClaim> of(const Job& job);

  // Throws ClaimLost unless the job still runs on this worker under this claim, and keeps it so
  // until `conn`'s transaction ends: the job row is taken FOR SHARE, so a rescue or release
  // waits for this commit, and after it this claim's runs commit nothing more. Call it last
  // before COMMIT, so the row is held only for the commit itself.
  void assertHeld(db::Connection& conn) const;

  const std::string& jobId() const { return jobId_; }
  const std::string& workerId() const { return workerId_; }

 private:
  std::string jobId_;
  std::string workerId_;
  int64_t claimUs_;
};

}  // namespace tributary::queue
