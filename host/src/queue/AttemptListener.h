#pragma once

#include <optional>
#include <string>
#include <vector>

#include "db/Connection.h"
#include "queue/Job.h"

namespace tributary::queue {

// A job's attempt that the queue ended on its own, without word from the worker running it: its
// lease expired, or its worker process died.
struct EndedAttempt {
  std::string jobId;
  std::string kind;
  std::optional<std::string> connectionId;
  JobStatus status = JobStatus::Pending;  // now: pending (to be retried), or out of attempts
  std::string error;                      // the reason recorded on the job
};

// What the job's runner keeps about its attempts (the sync engine's runs) is the runner's, not
// the queue's: the queue tells it here, inside the transaction that ends the attempts, so the
// two commit together. Implementations write only their own tables on `conn` and throw only on
// a database error (which rolls the whole rescue back, to be tried again).
class AttemptListener {
 public:
  virtual ~AttemptListener() = default;
  virtual void attemptsEnded(db::Connection& conn, const std::vector<EndedAttempt>& attempts) = 0;
};

}  // namespace tributary::queue
