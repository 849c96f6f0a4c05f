#include <gtest/gtest.h>

#include "queue/JobQueue.h"

using namespace tributary;
using std::chrono::milliseconds;

// Full jitter: attempt n waits uniformly in [0, min(cap, base * factor^(n-1))].
TEST(Backoff, DelaysFallWithinTheirBoundsAndSpreadAcrossThem) {
  config::RetryPolicy p;  // the seeds' defaults: 2 s, 4 s, 8 s
  const milliseconds bounds[] = {milliseconds(2000), milliseconds(4000), milliseconds(8000)};
  for (int attempt = 1; attempt <= 3; ++attempt) {
    milliseconds lo = milliseconds::max(), hi = milliseconds(0);
    double sum = 0;
    const int n = 4000;
    for (int i = 0; i < n; ++i) {
      auto d = queue::JobQueue::backoff(p, attempt);
      ASSERT_GE(d.count(), 0);
      ASSERT_LE(d, bounds[attempt - 1]) << "attempt " << attempt;
      lo = std::min(lo, d);
      hi = std::max(hi, d);
      sum += static_cast<double>(d.count());
    }
    const double bound = static_cast<double>(bounds[attempt - 1].count());
    EXPECT_LT(static_cast<double>(lo.count()), bound * 0.05) << "no short delays: not full jitter";
    EXPECT_GT(static_cast<double>(hi.count()), bound * 0.95) << "no long delays: not full jitter";
    EXPECT_NEAR(sum / n, bound / 2, bound * 0.05) << "not uniform";
  }
}

TEST(Backoff, IsCappedAndNeverNegative) {
  config::RetryPolicy p;
  p.base = milliseconds(1000);
  p.factor = 10;
  p.cap = milliseconds(5000);
  for (int i = 0; i < 1000; ++i) {
    auto d = queue::JobQueue::backoff(p, 12);
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d, milliseconds(5000));
  }
}
