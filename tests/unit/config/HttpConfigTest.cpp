// The http: section: the host's HTTP client (timeouts, waits, retries, the connection pool, a CA file).
#include <gtest/gtest.h>

#include <map>

#include "TestSupport.h"
#include "config/ConfigLoader.h"

using namespace tributary;
using namespace tributary::config;

namespace http_config_test {

EnvLookup noEnv() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

LoadResult load(const std::string& yaml, const std::filesystem::path& dir = "/etc/trib") {
  return ConfigLoader(noEnv()).loadString(yaml, "t.yaml", dir);
}

std::vector<std::string> messages(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics.items()) out.push_back(d.format());
  return out;
}

const char* kPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

TEST(HttpConfig, AbsentSectionGivesTheDefaults) {
  auto r = load("");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  const auto& h = r.config.http;
  EXPECT_EQ(h.timeout, std::chrono::seconds(30));
  EXPECT_EQ(h.maxInlineWait, std::chrono::seconds(30));
  EXPECT_EQ(h.quotaRecheck, std::chrono::minutes(15));
  EXPECT_FALSE(h.caFile.has_value()) << "the system's CAs only";
  EXPECT_EQ(h.retry.maxAttempts, 5);
  EXPECT_EQ(h.retry.base, std::chrono::milliseconds(500));
  EXPECT_EQ(h.retry.maxBackoff, std::chrono::seconds(30));
  EXPECT_EQ(h.pool.maxIdlePerHost, 8);
  EXPECT_EQ(h.pool.idleTimeout, std::chrono::seconds(30));
  EXPECT_EQ(h.pool.maxAge, std::chrono::minutes(5));
}

TEST(HttpConfig, ReadsEveryKeyAndResolvesTheCaFileAgainstTheConfigFilesDirectory) {
  test::TempDir dir;
  dir.write("certs/ca.pem", kPem);
  auto r = load(R"(http:
  timeout: 5s
  max_inline_wait: 0s
  quota_recheck: 2m
  ca_file: certs/ca.pem
  retry: {max_attempts: 1, base: 100ms, max_backoff: 2s}
  pool: {max_idle_per_host: 0, idle_timeout: 1s, max_age: 10s}
)",
                dir.path());
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  const auto& h = r.config.http;
  EXPECT_EQ(h.timeout, std::chrono::seconds(5));
  EXPECT_EQ(h.maxInlineWait, std::chrono::milliseconds(0)) << "0: every wait parks the job";
  EXPECT_EQ(h.quotaRecheck, std::chrono::minutes(2));
  EXPECT_EQ(h.caFile, dir / "certs/ca.pem");
  EXPECT_EQ(h.retry.maxAttempts, 1);
  EXPECT_EQ(h.retry.base, std::chrono::milliseconds(100));
  EXPECT_EQ(h.retry.maxBackoff, std::chrono::seconds(2));
  EXPECT_EQ(h.pool.maxIdlePerHost, 0);
  EXPECT_EQ(h.pool.idleTimeout, std::chrono::seconds(1));
  EXPECT_EQ(h.pool.maxAge, std::chrono::seconds(10));
}

TEST(HttpConfig, ANullCaFileMeansTheSystemsCasOnly) {
  auto r = load("http:\n  ca_file: ~\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_FALSE(r.config.http.caFile.has_value());
}

TEST(HttpConfig, AMissingCaFileIsReportedAtItsKeyWithTheResolvedPath) {
  auto r = load("http:\n  ca_file: certs/ca.pem\n");
  EXPECT_EQ(messages(r), std::vector<std::string>{"t.yaml:2:12: http.ca_file: cannot read the CA file: cannot read "
                                                  "/etc/trib/certs/ca.pem: No such file or directory"});
  EXPECT_FALSE(r.config.http.caFile.has_value());
}

TEST(HttpConfig, ACaFileWithNoCertificateIsRefused) {
  test::TempDir dir;
  auto key = dir.write("key.pem", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
  auto r = load("http: {ca_file: key.pem}\n", dir.path());
  EXPECT_EQ(messages(r), std::vector<std::string>{"t.yaml:1:17: http.ca_file: holds no PEM certificate (-----BEGIN "
                                                  "CERTIFICATE-----): " +
                                                  key.string()});
}

TEST(HttpConfig, AnEmptyCaFileIsRefused) {
  auto r = load("http: {ca_file: \"\"}\n");
  EXPECT_EQ(messages(r), std::vector<std::string>{"t.yaml:1:17: http.ca_file: must not be empty: give a PEM file of "
                                                  "CA certificates, or leave it out to trust the system's CAs only"});
}

TEST(HttpConfig, ACaFileFromAnUnsetVariableIsReportedOnce) {
  auto r = load("http: {ca_file: \"${CA_FILE}\"}\n");
  EXPECT_EQ(messages(r), std::vector<std::string>{"t.yaml:1:17: http.ca_file: environment variable CA_FILE is not set "
                                                  "(use ${CA_FILE:-default} to give a default)"});
}

TEST(HttpConfig, ARetryBaseAboveTheMaxBackoffIsRefused) {
  auto r = load("http:\n  retry:\n    base: 1m\n    max_backoff: 10s\n");
  EXPECT_EQ(messages(r),
            std::vector<std::string>{"t.yaml:3:11: http.retry.base: must not exceed http.retry.max_backoff (10s)"});
}

TEST(HttpConfig, OutOfRangeAndBadValuesNameTheirKey) {
  auto r =
      load("http:\n  timeout: 0s\n  retry: {max_attempts: 0}\n  pool: {max_idle_per_host: -1, max_age: forever}\n");
  EXPECT_EQ(
      messages(r),
      (std::vector<std::string>{
          "t.yaml:2:12: http.timeout: must be at least 1ms, got 0s",
          "t.yaml:3:25: http.retry.max_attempts: must be between 1 and 100, got 0",
          "t.yaml:4:29: http.pool.max_idle_per_host: must be between 0 and 1000, got -1",
          "t.yaml:4:42: http.pool.max_age: expected a duration such as 500ms, 30s, 5m, 2h or 1d, got \"forever\""}));
}

TEST(HttpConfig, AnUnknownKeySuggestsTheClosest) {
  auto r = load("http:\n  timout: 5s\n  retry: {max_attempt: 3}\n");
  EXPECT_EQ(messages(r), (std::vector<std::string>{
                             "t.yaml:3:11: http.retry.max_attempt: unknown key (did you mean \"max_attempts\"?)",
                             "t.yaml:2:3: http.timout: unknown key (did you mean \"timeout\"?)"}));
}

}  // namespace http_config_test
