#include "http/HttpError.h"

#include <gtest/gtest.h>

using namespace tributary::http;

// An HTTP error's message names its request, and travels into jobs, runs and logs: the query's
// tokens are gone from it as it is made (issue 16).
TEST(HttpError, MessagesThatNameAUrlLoseItsTokens) {
  const HttpError e(HttpError::Kind::Transient,
                    "GET https://api.test/v1?access_token=ya29.abc&limit=5: Connection refused");
  EXPECT_STREQ(e.what(), "GET https://api.test/v1?access_token=[redacted]&limit=5: Connection refused");
  const WaitRequired w(0, "rate_limit", "GET https://u:pw-123@api.test/?api_key=k1: rate limited for 60 s");
  // The value runs to a blank: a colon may be a token's, so it goes too.
  EXPECT_STREQ(w.what(), "GET https://u:[redacted]@api.test/?api_key=[redacted] rate limited for 60 s");
  const WaitCancelled c("cancelled before GET https://api.test/?hapikey=k2");
  EXPECT_STREQ(c.what(), "cancelled before GET https://api.test/?hapikey=[redacted]");
}
