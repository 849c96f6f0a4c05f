// GET /metrics: the Prometheus text format, strictly parsed, with what a sync did in it (its
// job, its records, the API's own requests by route pattern), and behind a token when
// api.metrics_auth says so.
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>
#include <set>

#include "ApiTestSupport.h"
#include "common/Files.h"

using namespace tributary;
using namespace tributary::test::api_e2e;

namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// The text format, strictly: every sample's family has a TYPE before it, every line is a
// comment or `name{label="value",...} value`, label values escaped.
std::vector<Sample> parse(const std::string& text) {
  std::vector<Sample> out;
  std::set<std::string> typed;
  static const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|\+Inf|NaN)$)");
  static const std::regex label(R"(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)\"(,|$))");
  size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string::npos) throw std::runtime_error("the last line has no newline");
    const std::string line = text.substr(start, nl - start);
    start = nl + 1;
    if (line.rfind("# TYPE ", 0) == 0) {
      typed.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) continue;
    std::smatch m;
    if (!std::regex_match(line, m, sample)) throw std::runtime_error("not a sample: " + line);
    Sample s;
    s.name = m[1];
    std::string base = s.name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string sfx = suffix;
      if (base.size() > sfx.size() && base.compare(base.size() - sfx.size(), sfx.size(), sfx) == 0 &&
          typed.count(base.substr(0, base.size() - sfx.size()))) {
        base = base.substr(0, base.size() - sfx.size());
      }
    }
    if (!typed.count(base)) throw std::runtime_error("no TYPE before " + line);
    std::string ls = m[3];
    for (std::sregex_iterator it(ls.begin(), ls.end(), label), end; it != end; ++it) s.labels[(*it)[1]] = (*it)[2];
    s.value = m[4] == "+Inf" ? INFINITY : std::stod(m[4]);
    out.push_back(s);
  }
  return out;
}

double valueOf(const std::vector<Sample>& samples, const std::string& name,
               const std::map<std::string, std::string>& labels) {
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != v) match = false;
    }
    if (match) return s.value;
  }
  return -1;
}

}  // namespace

TEST(Metrics, ShowTheQueueTheRunsAndTheApiInThePrometheusFormat) {
  test::TestDatabase db;
  ApiHost host(db);
  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202);
  host.waitForJob("ws1", s.json()["jobId"]);
  host.admin("GET", "/api/workspaces/ws1/sync/jobs/" + s.json()["jobId"].get<std::string>());
  host.admin("GET", "/api/workspaces/ws1/nothing-here");

  auto m = host.call("GET", "/metrics");
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_EQ(m.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  std::vector<Sample> samples;
  ASSERT_NO_THROW(samples = parse(m.body)) << m.body;
  EXPECT_EQ(valueOf(samples, "tributary_jobs", {{"kind", "sync"}, {"status", "completed"}}), 1) << m.body;
  EXPECT_EQ(valueOf(samples, "tributary_sync_runs", {{"connector", "tributary.example"}, {"status", "completed"}}), 1);
  EXPECT_EQ(valueOf(samples, "tributary_records_synced", {{"connector", "tributary.example"}}), 200) << m.body;
  EXPECT_EQ(valueOf(samples, "tributary_queue_depth", {}), 0);
  EXPECT_EQ(valueOf(samples, "tributary_dead_letters", {}), 0);
  EXPECT_EQ(valueOf(samples, "tributary_sync_run_duration_seconds_count", {{"connector", "tributary.example"}}), 1);
  EXPECT_GE(valueOf(samples, "tributary_connection_last_success_age_seconds", {{"connection", "example"}}), 0);
  EXPECT_EQ(
      valueOf(
          samples, "tributary_api_requests_total",
          {{"method", "POST"}, {"route", "/api/workspaces/:workspace/connectors/:connector/sync"}, {"status", "202"}}),
      1)
      << m.body;
  EXPECT_GE(valueOf(samples, "tributary_api_request_duration_seconds_count",
                    {{"method", "GET"}, {"route", "/api/workspaces/:workspace/sync/jobs/:job"}}),
            1);
  EXPECT_EQ(valueOf(samples, "tributary_api_requests_total", {{"route", "unmatched"}, {"status", "404"}}), 1);
  // Route patterns only: no raw path, no job id, in any label.
  EXPECT_EQ(m.body.find(s.json()["jobId"].get<std::string>()), std::string::npos);
  EXPECT_EQ(m.body.find("nothing-here"), std::string::npos);

  // A worker that dies is restarted and counted.
  const Json ready = Json::parse(files::readFile(host.dir() / "ready.json"));
  ASSERT_EQ(::kill(ready["workers"][0]["pid"].get<int>(), SIGKILL), 0);
  double restarts = 0;
  EXPECT_TRUE(test::eventually([&] {
    restarts = valueOf(parse(host.call("GET", "/metrics").body), "tributary_worker_restarts_total", {});
    return restarts >= 1;
  })) << restarts;
}

TEST(Metrics, NeedAnAdminTokenWhenMetricsAuthIsToken) {
  test::TestDatabase db;
  HostOptions o;
  o.extraYaml = "api: {metrics_auth: token}\n";
  ApiHost host(db, o);
  EXPECT_EQ(host.call("GET", "/metrics").status, 401);
  EXPECT_EQ(host.call("GET", "/metrics", "", host.createToken("ws1")).status, 404);
  auto m = host.admin("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NO_THROW(parse(m.body));
}
