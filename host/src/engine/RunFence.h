#pragma once

#include <atomic>
#include <optional>

#include "db/Connection.h"
#include "queue/JobClaim.h"

namespace tributary::engine {

// A run's side of the queue's fence. Every transaction of a sync that writes ends with check(),
// which asks the queue whether this job's claim still holds (queue::JobClaim::assertHeld). Once
// it does not, the run is lost: it commits nothing more and reports nothing, since a run that
// took its place now owns the job. Shared by the threads of one run (a double-buffered commit
// checks it on its own thread).
class RunFence {
 public:
  // No claim (a dry run, which commits nothing): check() passes.
  explicit RunFence(std::optional<queue::JobClaim> claim) : claim_(std::move(claim)) {}

  // Last before COMMIT: throws queue::ClaimLost (and marks the run lost) unless the job still
  // runs here under this claim.
  void check(db::Connection& conn) {
    if (!claim_) return;
    try {
      claim_->assertHeld(conn);
    } catch (const queue::ClaimLost&) {
      lost_ = true;
      throw;
    }
  }
  bool lost() const { return lost_.load(); }

 private:
  std::optional<queue::JobClaim> claim_;
  std::atomic<bool> lost_{false};
};

}  // namespace tributary::engine
