#include "common/Log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "common/Json.h"
#include "common/Redact.h"

using namespace tributary;

namespace {

// What the log writes to stderr (fd 2) while `body` runs: the bytes that leave the process.
template <typename F>
std::string capturedStderr(F body) {
  std::FILE* sink = std::tmpfile();
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(::fileno(sink), STDERR_FILENO);
  body();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::string out;
  std::rewind(sink);
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, sink)) > 0;) out.append(buf, n);
  std::fclose(sink);
  return out;
}

}  // namespace

TEST(Log, LinesComeOutRedactedInTheTextFormat) {
  redact::remember("log-secret-text-0001");
  log::configure(log::Level::Info, log::Format::Text);
  const std::string out = capturedStderr([] {
    log::warn("http", "GET https://api.test/x?access_token=ya29.abc&limit=5 failed for log-secret-text-0001");
  });
  EXPECT_NE(out.find("GET https://api.test/x?access_token=[redacted]&limit=5 failed for [redacted]"), std::string::npos)
      << out;
  EXPECT_EQ(out.find("ya29.abc"), std::string::npos) << out;
  EXPECT_EQ(out.find("log-secret-text-0001"), std::string::npos) << out;
}

TEST(Log, LinesComeOutRedactedInTheJsonFormat) {
  redact::remember("log-secret-json-0002");
  log::configure(log::Level::Info, log::Format::Json);
  const std::string out =
      capturedStderr([] { log::error("plugin", "[acme/hubspot] Authorization: Bearer log-secret-json-0002"); });
  log::configure(log::Level::Info, log::Format::Text);
  ASSERT_FALSE(out.empty());
  const Json line = Json::parse(out);
  EXPECT_EQ(line["msg"], "[acme/hubspot] Authorization: [redacted]");
  EXPECT_EQ(out.find("log-secret-json-0002"), std::string::npos) << out;
}
