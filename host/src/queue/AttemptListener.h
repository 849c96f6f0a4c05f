#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/Json.h"
#include "db/Connection.h"
#include "queue/Job.h"

namespace tributary::queue {

// How the queue ended an attempt.
enum class AttemptEnd {
  Lost,       // its worker died or its lease expired: the attempt is charged
  Released,   // it shared a worker that died of another job (or of memory): given back
  TimedOut,   // it ignored its timeout past the grace period, and its worker process is ending
  Failed,     // the queue counted it as a failed attempt (waits with a time already past, in a row)
  Cancelled,  // cancelled while pending (its run may have waited for it)
};

// A job's attempt that the queue ended on its own, without word from the worker running it: its
// lease expired, or its worker process died.
struct EndedAttempt {
  std::string jobId;
  std::string kind;
  std::optional<std::string> connectionId;
  JobStatus status = JobStatus::Pending;  // now: pending (to be retried), or out of attempts
  std::string error;                      // the reason recorded on the job
  AttemptEnd end = AttemptEnd::Lost;
};

// Work the runner had finished (and recorded so) before the queue learnt of it.
struct FinishedWork {
  std::string jobId;
  Json result;  // the job's result, as its runner would have reported it
};

// What the job's runner keeps about its attempts (the sync engine's runs) is the runner's, not
// the queue's: the queue tells it here, inside the transaction that ends the attempts, so the
// two commit together. Implementations write only their own tables on `conn` and throw only on
// a database error (which rolls the whole rescue back, to be tried again).
//
// It returns the attempts whose work had in fact finished: the runner committed its end, and
// only the worker's report of it to the queue was lost (a failover as it wrote it). The queue
// completes those jobs instead of running them again.
class AttemptListener {
 public:
  virtual ~AttemptListener() = default;
  virtual std::vector<FinishedWork> attemptsEnded(db::Connection& conn, const std::vector<EndedAttempt>& attempts) = 0;
};

}  // namespace tributary::queue
