// Nothing secret in what the queue stores of a job (issue 16): its last_error, its errors, its
// result and its progress are redacted, whatever a handler (a plugin, a vendor through it) put
// in them.
#include <gtest/gtest.h>

#include "QueueTestSupport.h"
#include "SecretSweep.h"
#include "common/Redact.h"

using namespace tributary;
using namespace tributary::queue;

namespace {

constexpr const char* kRemembered = "queue-remembered-secret-0001";  // as the OAuth runtime remembers a token
constexpr const char* kUrlToken = "ya29.queue-url-0002";
constexpr const char* kRefreshToken = "rt-queue-result-0003";

const std::string kError = std::string("GET https://api.test/v1/deals?limit=5&access_token=") + kUrlToken +
                           " answered 401: token " + kRemembered + " is not valid";
const std::string kRedactedError =
    "GET https://api.test/v1/deals?limit=5&access_token=[redacted] answered 401: token [redacted] is not valid";

// Claims the next job as w1 and ends it with `o`.
void endNext(test::QueueDatabase& q, const std::string& id, const Outcome& o) {
  auto jobs = q.queue->claim("w1", 1);
  ASSERT_EQ(jobs.size(), 1u);
  ASSERT_EQ(jobs[0].id, id);
  ASSERT_TRUE(q.queue->finish(id, "w1", o, jobs[0].claimUs));
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

TEST(RedactedJobErrors, ARetriedAndAFailedJobStoreTheirErrorsResultAndProgressRedacted) {
  test::QueueDatabase q;
  redact::remember(kRemembered);

  EnqueueRequest r;
  r.kind = "t.redact";
  r.maxAttempts = 3;
  const std::string retried = q.queue->enqueue(r).jobId;
  {
    auto jobs = q.queue->claim("w1", 1);
    ASSERT_EQ(jobs.size(), 1u);
    q.queue->setProgress(retried, Json{{"current", 1}, {"message", std::string("page 1 of token ") + kRemembered}});
    Outcome o;
    o.kind = Outcome::Kind::Retry;
    o.error = kError;
    ASSERT_TRUE(q.queue->finish(retried, "w1", o, jobs[0].claimUs));
  }
  const Job afterRetry = q.job(retried);
  EXPECT_EQ(afterRetry.status, JobStatus::Pending);
  ASSERT_TRUE(afterRetry.lastError);
  EXPECT_EQ(*afterRetry.lastError, kRedactedError);
  ASSERT_EQ(afterRetry.errors.size(), 1u);
  EXPECT_EQ(afterRetry.errors[0]["error"], kRedactedError);
  EXPECT_EQ(afterRetry.progress["message"], "page 1 of token [redacted]");

  r.maxAttempts = 1;
  const std::string failed = q.queue->enqueue(r).jobId;
  Outcome fatal;
  fatal.kind = Outcome::Kind::Fatal;
  fatal.error = kError;
  fatal.result = Json{{"refresh_token", kRefreshToken}, {"records", 3}, {"note", std::string("saw ") + kRemembered}};
  q.queue->cancel(retried);  // out of the way: the next claim is the failed job's
  endNext(q, failed, fatal);
  const Job afterFatal = q.job(failed);
  EXPECT_EQ(afterFatal.status, JobStatus::Failed);
  EXPECT_EQ(afterFatal.lastError.value_or(""), kRedactedError);
  EXPECT_EQ(afterFatal.result["refresh_token"], "[redacted]");
  EXPECT_EQ(afterFatal.result["records"], 3);
  EXPECT_EQ(afterFatal.result["note"], "saw [redacted]");

  const auto hits = test::findSecrets(q, {kRemembered, kUrlToken, kRefreshToken});
  EXPECT_TRUE(hits.empty()) << joined(hits);
}
