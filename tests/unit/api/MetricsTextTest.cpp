// The Prometheus text format as /metrics writes it (api::PromText, api::ApiMetrics): escaping,
// values that read back exactly, histograms, and labels that stay bounded whatever the client
// sends.
#include <gtest/gtest.h>

#include <cmath>

#include "api/Metrics.h"
#include "api/PromText.h"

using namespace tributary;
using api::PromText;

TEST(MetricsText, EscapesLabelValuesAndHelpAsTheFormatSays) {
  EXPECT_EQ(PromText::escapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(PromText::escapeLabelValue("plain: {x} = 'y'"), "plain: {x} = 'y'");
  EXPECT_EQ(PromText::escapeHelp("a \"quoted\" back\\slash\nnext"), "a \"quoted\" back\\\\slash\\nnext");

  PromText t;
  t.family("tributary_x", "gauge", "X, by \"name\".\nSecond line.");
  t.sample("tributary_x", {{"name", "we\"ird\\\n"}, {"other", ""}}, 3);
  t.sample("tributary_x", {}, 4);
  EXPECT_EQ(t.text(),
            "# HELP tributary_x X, by \"name\".\\nSecond line.\n"
            "# TYPE tributary_x gauge\n"
            "tributary_x{name=\"we\\\"ird\\\\\\n\",other=\"\"} 3\n"
            "tributary_x 4\n");
}

TEST(MetricsText, WritesValuesThatReadBackExactly) {
  EXPECT_EQ(PromText::number(0), "0");
  EXPECT_EQ(PromText::number(-0.0), "0");
  EXPECT_EQ(PromText::number(200), "200");
  EXPECT_EQ(PromText::number(0.0025), "0.0025");
  // A rounded %g would write 123457 and 9.0072e+15.
  EXPECT_EQ(PromText::number(123456.789), "123456.789");
  EXPECT_EQ(std::stod(PromText::number(9007199254740992.0)), 9007199254740992.0);
  EXPECT_EQ(std::stod(PromText::number(0.1 + 0.2)), 0.1 + 0.2);
  EXPECT_EQ(PromText::number(INFINITY), "+Inf");
  EXPECT_EQ(PromText::number(-INFINITY), "-Inf");
  EXPECT_EQ(PromText::number(NAN), "NaN");
}

TEST(MetricsText, WritesAHistogramsCumulativeBucketsSumAndCount) {
  PromText t;
  t.histogram("h_seconds", {{"connector", "c"}}, {1, 5}, {2, 3}, 4, 12.5);
  EXPECT_EQ(t.text(),
            "h_seconds_bucket{connector=\"c\",le=\"1\"} 2\n"
            "h_seconds_bucket{connector=\"c\",le=\"5\"} 3\n"
            "h_seconds_bucket{connector=\"c\",le=\"+Inf\"} 4\n"
            "h_seconds_sum{connector=\"c\"} 12.5\n"
            "h_seconds_count{connector=\"c\"} 4\n");
}

TEST(MetricsText, CountsApiRequestsByRoutePatternWithBoundedLabels) {
  api::ApiMetrics m;
  m.observe("GET", "/api/workspaces/:workspace/sync/jobs/:job", 200, 3);   // 0.003 s
  m.observe("GET", "/api/workspaces/:workspace/sync/jobs/:job", 200, 20);  // 0.02 s
  m.observe("GET", "/api/workspaces/:workspace/sync/jobs/:job", 404, 1);
  m.observe("GET", "", 404, 0.5);
  // Any token is a method to Poco: each would be a series of its own.
  m.observe("X-RANDOM-1", "/metrics", 405, 0.2);
  m.observe("X-RANDOM-2", "/metrics", 405, 0.2);
  PromText t;
  m.render(t);
  const std::string& s = t.text();

  EXPECT_NE(s.find("# TYPE tributary_api_requests_total counter\n"), std::string::npos);
  EXPECT_NE(s.find("# TYPE tributary_api_request_duration_seconds histogram\n"), std::string::npos);
  EXPECT_NE(s.find("tributary_api_requests_total{method=\"GET\",route=\"/api/workspaces/:workspace/sync/jobs/:job\","
                   "status=\"200\"} 2\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("tributary_api_requests_total{method=\"GET\",route=\"/api/workspaces/:workspace/sync/jobs/:job\","
                   "status=\"404\"} 1\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("tributary_api_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("tributary_api_requests_total{method=\"other\",route=\"/metrics\",status=\"405\"} 2\n"),
            std::string::npos)
      << s;
  EXPECT_EQ(s.find("X-RANDOM"), std::string::npos) << s;

  // Cumulative buckets: 1 ms and 3 ms by 0.005 s, 20 ms by 0.025 s; all three by +Inf.
  const std::string jobs = "method=\"GET\",route=\"/api/workspaces/:workspace/sync/jobs/:job\"";
  for (const auto& [le, n] : std::vector<std::pair<std::string, int>>{
           {"0.001", 1}, {"0.0025", 1}, {"0.005", 2}, {"0.01", 2}, {"0.025", 3}, {"10", 3}, {"+Inf", 3}}) {
    EXPECT_NE(s.find("tributary_api_request_duration_seconds_bucket{" + jobs + ",le=\"" + le + "\"} " +
                     std::to_string(n) + "\n"),
              std::string::npos)
        << le << "\n"
        << s;
  }
  EXPECT_NE(s.find("tributary_api_request_duration_seconds_count{" + jobs + "} 3\n"), std::string::npos) << s;
  const auto sumAt = s.find("tributary_api_request_duration_seconds_sum{" + jobs + "} ");
  ASSERT_NE(sumAt, std::string::npos) << s;
  EXPECT_DOUBLE_EQ(std::stod(s.substr(s.find("} ", sumAt) + 2)), 0.024);
}

TEST(MetricsText, KnowsTheStandardMethodsOnly) {
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    EXPECT_EQ(api::ApiMetrics::methodLabel(m), m);
  }
  EXPECT_EQ(api::ApiMetrics::methodLabel("get"), "other");
  EXPECT_EQ(api::ApiMetrics::methodLabel("PROPFIND"), "other");
  EXPECT_EQ(api::ApiMetrics::methodLabel(""), "other");
}
