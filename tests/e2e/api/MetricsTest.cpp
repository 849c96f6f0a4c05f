// GET /metrics: the Prometheus text format, strictly parsed, with what a sync did in it (its
// job, the records it wrote, the API's own requests by route pattern and never by raw path),
// bounded labels whatever a client sends, and behind an admin token when api.metrics_auth says so.
#include <gtest/gtest.h>
#include <signal.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <regex>
#include <set>

#include "ApiTestSupport.h"
#include "common/Files.h"
#include "db/Connection.h"

using namespace tributary;
using namespace tributary::test::api_e2e;

namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// `{a="x",b="y\"z"}` (braces excluded) into labels, or throws: every value quoted, escapes only
// \\, \" and \n, no label twice, nothing left over.
std::map<std::string, std::string> parseLabels(const std::string& s, const std::string& line) {
  std::map<std::string, std::string> out;
  static const std::regex name(R"([a-zA-Z_][a-zA-Z0-9_]*)");
  size_t i = 0;
  while (i < s.size()) {
    const auto eq = s.find("=\"", i);
    if (eq == std::string::npos) throw std::runtime_error("a label without =\"value\": " + line);
    const std::string key = s.substr(i, eq - i);
    if (!std::regex_match(key, name)) throw std::runtime_error("a bad label name '" + key + "': " + line);
    std::string value;
    size_t j = eq + 2;
    for (;; ++j) {
      if (j >= s.size()) throw std::runtime_error("an unterminated label value: " + line);
      if (s[j] == '"') break;
      if (s[j] == '\\') {
        if (++j >= s.size()) throw std::runtime_error("a dangling escape: " + line);
        if (s[j] == 'n') {
          value += '\n';
        } else if (s[j] == '\\' || s[j] == '"') {
          value += s[j];
        } else {
          throw std::runtime_error("an unknown escape: " + line);
        }
      } else {
        if (s[j] == '\n') throw std::runtime_error("a raw newline in a label value: " + line);
        value += s[j];
      }
    }
    if (!out.emplace(key, value).second) throw std::runtime_error("label '" + key + "' twice: " + line);
    i = j + 1;
    if (i < s.size()) {
      if (s[i] != ',') throw std::runtime_error("labels not separated by ',': " + line);
      ++i;
    }
  }
  return out;
}

// The text format (0.0.4), strictly: every family has one HELP and one TYPE (counter, gauge or
// histogram) before its samples, and its samples are together; every other line is
// `name{labels} value`; a histogram's buckets grow with le and end with le="+Inf" equal to
// its _count. Throws naming the first line that breaks a rule.
std::vector<Sample> parse(const std::string& text) {
  std::vector<Sample> out;
  std::map<std::string, std::string> types;
  std::set<std::string> helped, finished;
  std::string current;  // the family whose samples are being read
  static const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([^ ]+)$)");
  static const std::regex number(R"(^(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|\+Inf|-Inf|NaN)$)");
  if (text.empty() || text.back() != '\n') throw std::runtime_error("the text does not end with a newline");
  size_t start = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    const std::string line = text.substr(start, nl - start);
    start = nl + 1;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const auto sp = line.find(' ', 7);
      if (sp == std::string::npos) throw std::runtime_error("a comment without text: " + line);
      const std::string family = line.substr(7, sp - 7);
      if (finished.count(family) || (family != current && !current.empty() && types.count(family))) {
        throw std::runtime_error("family " + family + " is split: " + line);
      }
      if (family != current && !current.empty()) finished.insert(current);
      current = family;
      if (line[2] == 'H') {
        if (!helped.insert(family).second) throw std::runtime_error("a second HELP: " + line);
      } else {
        const std::string type = line.substr(sp + 1);
        if (type != "counter" && type != "gauge" && type != "histogram") {
          throw std::runtime_error("an unexpected type: " + line);
        }
        if (!types.emplace(family, type).second) throw std::runtime_error("a second TYPE: " + line);
      }
      continue;
    }
    if (line.empty() || line[0] == '#') throw std::runtime_error("an unexpected line: '" + line + "'");
    std::smatch m;
    if (!std::regex_match(line, m, sample)) throw std::runtime_error("not a sample: " + line);
    Sample s;
    s.name = m[1];
    std::string family = s.name;
    if (!types.count(family)) {
      for (const std::string sfx : {"_bucket", "_sum", "_count"}) {
        if (family.size() > sfx.size() && family.compare(family.size() - sfx.size(), sfx.size(), sfx) == 0) {
          const std::string base = family.substr(0, family.size() - sfx.size());
          if (types.count(base) && types[base] == "histogram") family = base;
        }
      }
    }
    if (!types.count(family)) throw std::runtime_error("no TYPE before " + line);
    if (!helped.count(family)) throw std::runtime_error("no HELP before " + line);
    if (family != current) throw std::runtime_error("a sample away from its family's lines: " + line);
    s.labels = parseLabels(m[3], line);
    const std::string v = m[4];
    if (!std::regex_match(v, number)) throw std::runtime_error("not a number: " + line);
    s.value = v == "+Inf" ? INFINITY : v == "-Inf" ? -INFINITY : v == "NaN" ? NAN : std::stod(v);
    out.push_back(s);
  }
  // Histograms: per series (labels but le), buckets non-decreasing in le, +Inf last and == _count.
  std::map<std::string, std::vector<std::pair<double, double>>> buckets;
  std::map<std::string, double> counts;
  for (const auto& s : out) {
    auto key = [&](const std::string& base) {
      std::string k = base;
      for (const auto& [n, v] : s.labels) {
        if (n != "le") k += "," + n + "=" + v;
      }
      return k;
    };
    if (s.name.size() > 7 && s.name.compare(s.name.size() - 7, 7, "_bucket") == 0) {
      const auto& le = s.labels.at("le");
      buckets[key(s.name.substr(0, s.name.size() - 7))].push_back({le == "+Inf" ? INFINITY : std::stod(le), s.value});
    } else if (s.name.size() > 6 && s.name.compare(s.name.size() - 6, 6, "_count") == 0) {
      counts[key(s.name.substr(0, s.name.size() - 6))] = s.value;
    }
  }
  for (const auto& [series, bs] : buckets) {
    for (size_t i = 1; i < bs.size(); ++i) {
      if (bs[i].first <= bs[i - 1].first || bs[i].second < bs[i - 1].second) {
        throw std::runtime_error("buckets not cumulative in " + series);
      }
    }
    if (bs.back().first != INFINITY || !counts.count(series) || counts[series] != bs.back().second) {
      throw std::runtime_error("no le=\"+Inf\" bucket equal to _count in " + series);
    }
  }
  return out;
}

// The value of the one sample of `name` whose labels include `labels`; NaN when none, and a
// failure when several match.
double valueOf(const std::vector<Sample>& samples, const std::string& name,
               const std::map<std::string, std::string>& labels) {
  double found = NAN;
  int n = 0;
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != v) match = false;
    }
    if (match) {
      found = s.value;
      ++n;
    }
  }
  EXPECT_LE(n, 1) << name << " matched more than one sample";
  return found;
}

}  // namespace

TEST(Metrics, ShowTheQueueTheRunsAndTheApiInThePrometheusFormat) {
  test::TestDatabase db;
  ApiHost host(db);
  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202) << s.body;
  const std::string jobId = s.json()["jobId"];
  EXPECT_EQ(host.waitForJob("ws1", jobId)["status"], "completed");
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/sync/jobs/" + jobId).status, 200);
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/nothing-here").status, 404);
  // Any token is a method to the server; it must not become a series of its own.
  EXPECT_EQ(rawExchange(host.url(), "BREW-7f3a /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").statusLine,
            "HTTP/1.1 405 Method Not Allowed");

  auto m = host.call("GET", "/metrics");
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_EQ(m.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  std::vector<Sample> samples;
  ASSERT_NO_THROW(samples = parse(m.body)) << m.body;

  // The sync's job and run.
  EXPECT_EQ(valueOf(samples, "tributary_jobs", {{"kind", "sync"}, {"status", "completed"}}), 1) << m.body;
  EXPECT_EQ(valueOf(samples, "tributary_sync_runs", {{"connector", "tributary.example"}, {"status", "completed"}}), 1);
  EXPECT_EQ(valueOf(samples, "tributary_sync_run_duration_seconds_count", {{"connector", "tributary.example"}}), 1);
  EXPECT_EQ(valueOf(samples, "tributary_queue_depth", {}), 0);
  EXPECT_EQ(valueOf(samples, "tributary_queue_oldest_pending_seconds", {}), 0);
  EXPECT_EQ(valueOf(samples, "tributary_dead_letters", {}), 0);
  EXPECT_EQ(valueOf(samples, "tributary_worker_restarts_total", {}), 0);
  // The records: what the sync wrote to its tables (the example's four streams of 50).
  db::Connection c(db.conninfo());
  const int64_t written = c.exec(
                               "SELECT (SELECT count(*) FROM deals) + (SELECT count(*) FROM contacts)"
                               " + (SELECT count(*) FROM accounts) + (SELECT count(*) FROM records)")
                              .int64(0, 0);
  EXPECT_EQ(written, 200);
  EXPECT_EQ(valueOf(samples, "tributary_records_synced_total", {{"connector", "tributary.example"}}),
            static_cast<double>(written))
      << m.body;
  const double age = valueOf(samples, "tributary_connection_last_success_age_seconds",
                             {{"workspace", "ws1"}, {"connection", "example"}, {"scheduled", "false"}});
  EXPECT_GE(age, 0) << m.body;
  EXPECT_LT(age, 120) << m.body;

  // The API's requests, by route pattern.
  EXPECT_EQ(
      valueOf(
          samples, "tributary_api_requests_total",
          {{"method", "POST"}, {"route", "/api/workspaces/:workspace/connectors/:connector/sync"}, {"status", "202"}}),
      1)
      << m.body;
  EXPECT_GE(valueOf(samples, "tributary_api_requests_total",
                    {{"method", "GET"}, {"route", "/api/workspaces/:workspace/sync/jobs/:job"}, {"status", "200"}}),
            2);  // waitForJob's polls and the GET above
  EXPECT_GE(valueOf(samples, "tributary_api_request_duration_seconds_count",
                    {{"method", "GET"}, {"route", "/api/workspaces/:workspace/sync/jobs/:job"}}),
            2);
  EXPECT_EQ(
      valueOf(samples, "tributary_api_requests_total", {{"method", "GET"}, {"route", "unmatched"}, {"status", "404"}}),
      1)
      << m.body;
  EXPECT_EQ(
      valueOf(samples, "tributary_api_requests_total", {{"method", "other"}, {"route", "/metrics"}, {"status", "405"}}),
      1)
      << m.body;
  // Route patterns only: no raw path, no job id, no client's method, in any label.
  EXPECT_EQ(m.body.find(jobId), std::string::npos);
  EXPECT_EQ(m.body.find("nothing-here"), std::string::npos);
  EXPECT_EQ(m.body.find("BREW"), std::string::npos);
  EXPECT_EQ(m.body.find("/ws1/"), std::string::npos);
  for (const auto& sm : samples) {
    if (sm.labels.count("route")) {
      const auto& r = sm.labels.at("route");
      EXPECT_TRUE(r == "unmatched" || r == "/metrics" || r.rfind("/api/", 0) == 0) << r;
      EXPECT_EQ(r.find("ws1"), std::string::npos) << r;
    }
  }

  // The example alert rules name only metrics that are here.
  const YAML::Node rules =
      YAML::LoadFile((test::sourceDir() / "packaging" / "prometheus" / "tributary-alerts.yml").string());
  static const std::regex metricName(R"(tributary_[a-z0-9_]+)");
  int alerts = 0;
  for (const auto& group : rules["groups"]) {
    for (const auto& rule : group["rules"]) {
      ++alerts;
      const std::string expr = rule["expr"].as<std::string>();
      for (std::sregex_iterator it(expr.begin(), expr.end(), metricName), end; it != end; ++it) {
        EXPECT_NE(m.body.find("# TYPE " + it->str() + " "), std::string::npos)
            << rule["alert"].as<std::string>() << " names " << it->str() << ", which /metrics does not have";
      }
    }
  }
  EXPECT_GE(alerts, 4);

  // A paused connection is stale on purpose: no freshness to alert on.
  ASSERT_EQ(host.admin("POST", "/api/workspaces/ws1/connections/example/pause").status, 200);
  samples = parse(host.call("GET", "/metrics").body);
  EXPECT_TRUE(
      std::isnan(valueOf(samples, "tributary_connection_last_success_age_seconds", {{"connection", "example"}})));

  // A worker that dies is restarted and counted.
  const Json ready = Json::parse(files::readFile(host.dir() / "ready.json"));
  ASSERT_EQ(::kill(ready["workers"][0]["pid"].get<int>(), SIGKILL), 0);
  double restarts = 0;
  EXPECT_TRUE(test::eventually([&] {
    restarts = valueOf(parse(host.call("GET", "/metrics").body), "tributary_worker_restarts_total", {});
    return restarts == 1;
  })) << restarts;
}

// A sync whose last stream (events) fails at its first page at every attempt, after the other
// streams (a poison record among the deals) are written: once its attempts run out, a dead
// letter, an open record error, the rows it did write, and a connection that never succeeded,
// whose age runs from its creation so that a stale alert sees it.
TEST(Metrics, CountADeadLetterARecordErrorAndAConnectionThatNeverSynced) {
  test::TestDatabase db;
  HostOptions o;
  o.connectionSettings =
      "{records: 10, page_size: 5, poison_ids: \"deal-000000001\", fail_at_page: 1, fail_stream: events}";
  o.extraYaml = "sync: {batch: {initial: 1, min: 1, max: 1}}\n";  // each record committed as it comes
  ApiHost host(db, o);
  db::Connection c(db.conninfo());
  auto createdAgo = [&] {
    return c.exec("SELECT extract(epoch FROM now() - created_at)::float8 FROM connections WHERE name = 'example'")
        .number(0, 0);
  };
  auto samples = parse(host.call("GET", "/metrics").body);
  EXPECT_NEAR(valueOf(samples, "tributary_connection_last_success_age_seconds", {{"connection", "example"}}),
              createdAgo(), 5);
  EXPECT_EQ(valueOf(samples, "tributary_dead_letters", {}), 0);

  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202) << s.body;
  const Json job = host.waitForJob("ws1", s.json()["jobId"]);
  EXPECT_EQ(job["status"], "discarded") << job.dump(2);

  auto m = host.call("GET", "/metrics");
  ASSERT_NO_THROW(samples = parse(m.body)) << m.body;
  EXPECT_EQ(valueOf(samples, "tributary_dead_letters", {}), 1) << m.body;
  EXPECT_EQ(valueOf(samples, "tributary_jobs", {{"kind", "sync"}, {"status", "discarded"}}), 1) << m.body;
  EXPECT_EQ(valueOf(samples, "tributary_record_errors_open", {{"connector", "tributary.example"}}), 1) << m.body;
  EXPECT_EQ(c.exec("SELECT count(*) FROM deals").int64(0, 0), 9);  // all but the poison record
  const int64_t written = c.exec(
                               "SELECT (SELECT count(*) FROM deals) + (SELECT count(*) FROM contacts)"
                               " + (SELECT count(*) FROM accounts) + (SELECT count(*) FROM records)")
                              .int64(0, 0);
  EXPECT_EQ(written, 29) << job.dump(2);  // no events
  EXPECT_EQ(valueOf(samples, "tributary_records_synced_total", {{"connector", "tributary.example"}}),
            static_cast<double>(written))
      << m.body;
  EXPECT_NEAR(valueOf(samples, "tributary_connection_last_success_age_seconds", {{"connection", "example"}}),
              createdAgo(), 5)
      << m.body;
}

// api.metrics_auth: token: no token or a bad one is a 401, a workspace token does not reach it
// (404, as for any admin route), the admin token reads it.
TEST(Metrics, NeedAnAdminTokenWhenMetricsAuthIsToken) {
  test::TestDatabase db;
  HostOptions o;
  o.extraYaml = "api: {metrics_auth: token}\n";
  ApiHost host(db, o);
  EXPECT_EQ(host.call("GET", "/metrics").status, 401);
  EXPECT_EQ(host.call("GET", "/metrics", "", std::string("trb_not_a_token")).status, 401);
  EXPECT_EQ(host.call("GET", "/metrics", "", host.createToken("ws1")).status, 404);
  auto m = host.admin("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  std::vector<Sample> samples;
  ASSERT_NO_THROW(samples = parse(m.body)) << m.body;
  // The refused calls are counted too, under the route they were refused on.
  EXPECT_EQ(valueOf(samples, "tributary_api_requests_total", {{"route", "/metrics"}, {"status", "401"}}), 2) << m.body;
}
