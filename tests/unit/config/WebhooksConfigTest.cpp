// The webhooks: and alerts: sections, as the loader reads them.
#include <gtest/gtest.h>

#include "config/ConfigLoader.h"

using namespace tributary;
using namespace tributary::config;
using std::chrono::milliseconds;

namespace webhooks_config_test {

LoadResult load(const std::string& yaml) {
  return ConfigLoader([](const std::string&) { return std::optional<std::string>(); })
      .loadString(yaml, "t.yaml", "/etc/trib");
}

std::vector<std::string> messages(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics.items()) out.push_back(d.format());
  return out;
}

TEST(WebhooksConfig, TheDefaultsAreTheStandardWebhooksScheduleAndNoPrivateNetwork) {
  auto r = load("");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  const auto& w = r.config.webhooks;
  EXPECT_TRUE(w.allowPrivate.empty());
  EXPECT_EQ(w.timeout, milliseconds(5000));
  EXPECT_EQ(w.retrySchedule,
            (std::vector<milliseconds>{milliseconds(0), milliseconds(5'000), milliseconds(300'000),
                                       milliseconds(1'800'000), milliseconds(7'200'000), milliseconds(18'000'000),
                                       milliseconds(36'000'000), milliseconds(36'000'000)}));
  EXPECT_EQ(w.disableAfter, milliseconds(5LL * 86'400'000));
  EXPECT_TRUE(w.ordered);
  EXPECT_FALSE(r.config.alerts.staleAfter.has_value());
}

TEST(WebhooksConfig, ReadsEveryKeyWithScheduleItemsInAnyUnit) {
  auto r = load(
      "webhooks:\n  allow_private: [127.0.0.0/8, \"::1\"]\n  timeout: 800ms\n  progress_interval: 0s\n"
      "  retry_schedule: [0, 100ms, 2s]\n  disable_after: 1h\n  ordered: false\n  retention: 1d\n"
      "  concurrency: 3\n  secret_overlap: 10m\n  poll_interval: 50ms\n"
      "alerts:\n  stale_after: 2h\n  backlog_after: 5m\n  check_interval: 1s\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  const auto& w = r.config.webhooks;
  EXPECT_EQ(w.allowPrivate, (std::vector<std::string>{"127.0.0.0/8", "::1"}));
  EXPECT_EQ(w.timeout, milliseconds(800));
  EXPECT_EQ(w.progressInterval, milliseconds(0));
  EXPECT_EQ(w.retrySchedule, (std::vector<milliseconds>{milliseconds(0), milliseconds(100), milliseconds(2000)}));
  EXPECT_EQ(w.disableAfter, milliseconds(3'600'000));
  EXPECT_FALSE(w.ordered);
  EXPECT_EQ(w.concurrency, 3);
  EXPECT_EQ(w.secretOverlap, milliseconds(600'000));
  EXPECT_EQ(r.config.alerts.staleAfter, milliseconds(7'200'000));
  EXPECT_EQ(r.config.alerts.backlogAfter, milliseconds(300'000));
}

TEST(WebhooksConfig, ABadNetworkOrScheduleItemIsNamedByItsPosition) {
  auto r = load("webhooks:\n  allow_private: [10.0.0.0/8, 10.0.0.0/33, localhost]\n  retry_schedule: [0, soon]\n");
  EXPECT_EQ(messages(r),
            (std::vector<std::string>{
                "t.yaml:2:18: webhooks.allow_private: item 2 (\"10.0.0.0/33\") is not a network: give an address or "
                "address/prefix, as 127.0.0.0/8 or ::1",
                "t.yaml:2:18: webhooks.allow_private: item 3 (\"localhost\") is not a network: give an address or "
                "address/prefix, as 127.0.0.0/8 or ::1",
                "t.yaml:3:19: webhooks.retry_schedule: item 2 (\"soon\") is not a duration: give one as 500ms, 5s, 30m "
                "or 2h"}));
  EXPECT_EQ(
      messages(load("webhooks:\n  retry_schedule: []\n")),
      std::vector<std::string>{"t.yaml:2:19: webhooks.retry_schedule: must list at least one wait (the first try's)"});
  EXPECT_EQ(messages(load("webhooks: {ordered: sometimes}\n")).size(), 1u);
}

}  // namespace webhooks_config_test
