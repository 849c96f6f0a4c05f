// Outgoing webhooks over real HTTP: a running host, and a receiver on 127.0.0.1
// (tests/js/webhooks/receiver.mjs) that checks every delivery with the standardwebhooks package
// and the seeds' X-Webhook-Signature with an HMAC of its own.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "../api/ApiTestSupport.h"
#include "common/Files.h"
#include "common/Time.h"
#include "db/Connection.h"

using namespace tributary;
using namespace tributary::test::api_e2e;

namespace webhooks_test {

// The receiver: one node process, many named hooks.
class Receiver {
 public:
  Receiver() {
    process_ = std::make_unique<test::ServerProcess>(
        std::vector<std::string>{"/usr/bin/env", "node",
                                 (test::sourceDir() / "tests" / "js" / "webhooks" / "receiver.mjs").string(),
                                 (dir_ / "ready.json").string()},
        dir_ / "receiver.log");
    auto ready = process_->waitForReadyFile(dir_ / "ready.json", std::chrono::seconds(30));
    if (!ready) throw std::runtime_error("the receiver did not start:\n" + process_->log());
    port_ = (*ready)["port"].get<int>();
  }
  ~Receiver() {
    if (::testing::Test::HasFailure()) std::cerr << "--- the receiver's output:\n" << process_->log() << "\n";
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string url(const std::string& name) const { return base() + "/hook/" + name; }
  void configure(const std::string& name, const Json& cfg) const {
    auto r = test::httpRequest("PUT", base() + "/_config/" + name, cfg.dump(), {{"Content-Type", "application/json"}});
    if (r.status != 200) throw std::runtime_error("configuring the receiver failed: " + r.body);
  }
  Json log(const std::string& name) const {
    auto r = test::httpGet(base() + "/_log/" + name);
    return r.status == 200 ? r.json() : Json::array();
  }
  // Waits until `done` holds of the log of `name`; returns the log.
  Json waitFor(const std::string& name, const std::function<bool(const Json&)>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(60)) const {
    Json last;
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      last = log(name);
      if (done(last)) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "the receiver's log of " << name << " never came to what was waited for:\n" << last.dump(2);
    return last;
  }

 private:
  test::TempDir dir_;
  std::unique_ptr<test::ServerProcess> process_;
  int port_ = 0;
};

// Loopback allowed (the receiver is there), fast retries, a short timeout.
HostOptions hostOptions(const std::string& webhooks = "") {
  HostOptions o;
  o.keyFile = true;
  o.extraYaml =
      "webhooks: {allow_private: [127.0.0.0/8], timeout: 2s, retry_schedule: [0, 200ms, 400ms, 800ms],"
      " progress_interval: 0s, poll_interval: 100ms" +
      webhooks + "}\n";
  return o;
}

// The value of the sample `series` (name and labels, as /metrics writes them); NaN when absent.
double sampleOf(const std::string& metrics, const std::string& series) {
  const auto at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return std::nan("");
  return std::stod(metrics.substr(at + series.size() + 2));
}

std::vector<std::string> typesOf(const Json& log, bool onlyAnswered2xx = true) {
  std::vector<std::string> out;
  for (const auto& e : log) {
    if (!onlyAnswered2xx || (e["answered"].get<int>() / 100 == 2)) out.push_back(e["body"]["type"]);
  }
  return out;
}

// An endpoint of ws1 made over the API to the receiver's `name` (with `fields` beside its url),
// whose generated secret and `answers` (status, failFirst, sleepMs, ...) the receiver is given.
struct Made {
  std::string id, secret;
};
Made endpointTo(ApiHost& host, const Receiver& rx, const std::string& name, Json answers = Json::object(),
                Json fields = Json::object()) {
  fields["url"] = rx.url(name);
  auto created = host.admin("POST", "/api/workspaces/ws1/webhooks", fields.dump());
  if (created.status != 201) throw std::runtime_error("creating the endpoint " + name + " failed: " + created.body);
  const Json j = created.json();
  Made m{j["id"], j["secret"]};
  answers["secret"] = m.secret;
  rx.configure(name, answers);
  return m;
}

size_t countOf(const Json& log, const std::string& type) {
  size_t n = 0;
  for (const auto& e : log) n += e["body"]["type"] == type && e["answered"].get<int>() / 100 == 2;
  return n;
}

// Every delivery the receiver saw verified by the library and by the legacy HMAC, and the
// library refused its tampered and stale copies.
void expectAllVerified(const Json& log) {
  for (const auto& e : log) {
    EXPECT_TRUE(e["verified"].get<bool>()) << e.dump(2);
    EXPECT_TRUE(e["legacyOk"].get<bool>()) << e.dump(2);
    EXPECT_TRUE(e["tamperedRejected"].get<bool>()) << e.dump(2);
    EXPECT_TRUE(e["staleRejected"].get<bool>()) << e.dump(2);
  }
}

// LW-3: the seeds' PUT .../webhook with their raw secret, the test event, then a real sync's
// progress and completion, all signed so that the receiver's library and HMAC verify them.
TEST(Webhooks, TheSeedsSingleWebhookGetsTheTestEventAndASyncsEventsSignedBothWays) {
  test::TestDatabase db;
  Receiver rx;
  rx.configure("seeds", {{"secret", "test-secret-key"}, {"raw", true}});
  ApiHost host(db, hostOptions());

  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/webhook").status, 404);
  auto put = host.admin("PUT", "/api/workspaces/ws1/webhook",
                        Json{{"webhookUrl", rx.url("seeds")}, {"webhookSecret", "test-secret-key"}}.dump());
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_FALSE(put.json().contains("secret")) << "a secret given is never echoed";
  const std::string id = put.json()["id"];
  auto got = host.admin("GET", "/api/workspaces/ws1/webhook");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.json()["webhookUrl"], rx.url("seeds"));
  EXPECT_EQ(got.json()["id"], id);

  auto test = host.admin("POST", "/api/workspaces/ws1/webhook/test");
  ASSERT_EQ(test.status, 202) << test.body;
  auto log = rx.waitFor("seeds", [](const Json& l) { return l.size() >= 1; });
  ASSERT_GE(log.size(), 1u);
  const Json& t = log[0]["body"];
  EXPECT_EQ(t["event"], "sync.progress");
  EXPECT_EQ(t["type"], "sync.progress");
  EXPECT_EQ(t["data"]["jobType"], "test");
  EXPECT_EQ(t["data"]["progress"], (Json{{"current", 50}, {"total", 100}, {"message", "Test webhook notification"}}));
  EXPECT_FALSE(t["workspaceId"].get<std::string>().empty());
  EXPECT_EQ(log[0]["id"], test.json()["messageId"]);

  auto sync = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(sync.status, 202) << sync.body;
  EXPECT_EQ(host.waitForJob("ws1", sync.json()["jobId"])["status"], "completed");
  log = rx.waitFor("seeds", [](const Json& l) { return countOf(l, "sync.completed") == 1; });
  const auto types = typesOf(log);
  ASSERT_GE(types.size(), 4u);
  EXPECT_EQ(types[1], "sync.started");
  EXPECT_EQ(types.back(), "sync.completed");
  EXPECT_GE(countOf(log, "sync.progress"), 2u) << "the test event and at least one of the sync's";
  const Json& done = log.back()["body"];
  EXPECT_EQ(done["data"]["totalRecords"], 200) << done.dump(2);
  EXPECT_EQ(done["data"]["jobId"], sync.json()["jobId"]);
  EXPECT_EQ(done["data"]["jobType"], "sync");
  EXPECT_TRUE(done["data"]["streams"].is_object() || done["data"]["streams"].is_array()) << done.dump(2);
  expectAllVerified(log);

  // The alias edits the same endpoint; DELETE removes it.
  auto moved = host.admin("PUT", "/api/workspaces/ws1/webhook", Json{{"webhookUrl", rx.url("moved")}}.dump());
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.json()["id"], id);
  EXPECT_EQ(host.admin("DELETE", "/api/workspaces/ws1/webhook").status, 200);
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/webhook").status, 404);
}

// A failing sync's sync.failed reaches an endpoint created through the collection, whose
// generated secret is shown once, in whsec_ form, and verifies with the library.
TEST(Webhooks, AGeneratedSecretIsShownOnceAndAFailedSyncArrivesAsSyncFailed) {
  test::TestDatabase db;
  Receiver rx;
  HostOptions o = hostOptions();
  // A connection more (the config's connections: list ends where extraYaml begins).
  o.extraYaml =
      "  - {workspace: ws1, name: broken, connector: tributary.example,"
      " settings: {records: 20, page_size: 5, fail_at_page: 1, fail_mode: fatal}}\n" +
      o.extraYaml;
  ApiHost host(db, o);
  auto created = host.admin("POST", "/api/workspaces/ws1/webhooks",
                            Json{{"url", rx.url("gen")}, {"events", {"sync.failed", "sync.completed"}}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string secret = created.json()["secret"];
  EXPECT_EQ(secret.rfind("whsec_", 0), 0u) << secret;
  const std::string eid = created.json()["id"];
  auto shown = host.admin("GET", "/api/workspaces/ws1/webhooks/" + eid);
  ASSERT_EQ(shown.status, 200);
  EXPECT_FALSE(shown.json().contains("secret")) << shown.body;
  EXPECT_EQ(shown.json()["events"], Json::array({"sync.failed", "sync.completed"}));
  rx.configure("gen", {{"secret", secret}});

  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/broken/sync");
  ASSERT_EQ(s.status, 202) << s.body;
  EXPECT_EQ(host.waitForJob("ws1", s.json()["jobId"])["status"], "failed");
  auto log = rx.waitFor("gen", [](const Json& l) { return countOf(l, "sync.failed") >= 1; });
  EXPECT_EQ(typesOf(log), std::vector<std::string>{"sync.failed"}) << "the filter lets nothing else through";
  EXPECT_FALSE(log[0]["body"]["data"]["error"].get<std::string>().empty()) << log.dump(2);
  expectAllVerified(log);
}

// A receiver that fails each message's first two attempts: every event still arrives, once per
// webhook-id with a 2xx, in event order, and the log shows each attempt on the schedule.
TEST(Webhooks, AnEndpointFailingFirstAttemptsGetsEveryEventOnceInOrderOnTheSchedule) {
  test::TestDatabase db;
  Receiver rx;
  ApiHost host(db, hostOptions());
  const std::string eid = endpointTo(host, rx, "flaky", {{"failFirst", 2}, {"failStatus", 500}}).id;

  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202);
  host.waitForJob("ws1", s.json()["jobId"]);
  auto log = rx.waitFor("flaky", [](const Json& l) { return countOf(l, "sync.completed") == 1; });
  expectAllVerified(log);

  std::vector<std::string> order;
  std::map<std::string, std::vector<int>> answers;
  for (const auto& e : log) {
    answers[e["id"]].push_back(e["answered"]);
    if (e["answered"] == 200) order.push_back(e["id"]);
  }
  for (const auto& [id, a] : answers) EXPECT_EQ(a, (std::vector<int>{500, 500, 200})) << id;
  EXPECT_EQ(std::set<std::string>(order.begin(), order.end()).size(), order.size()) << "one 2xx per webhook-id";
  // msg_<position>: the outbox's order.
  for (size_t i = 1; i < order.size(); ++i) {
    EXPECT_LT(std::stoll(order[i - 1].substr(4)), std::stoll(order[i].substr(4))) << "out of order at " << i;
  }
  // The webhook-timestamp is set anew per attempt; the id stays.
  auto deliveries = host.admin("GET", "/api/workspaces/ws1/webhooks/" + eid + "/deliveries?limit=500");
  ASSERT_EQ(deliveries.status, 200) << deliveries.body;
  ASSERT_EQ(deliveries.json()["deliveries"].size(), answers.size()) << deliveries.body;
  const Json listed = deliveries.json();  // alive for the loop
  for (const auto& d : listed["deliveries"]) {
    EXPECT_EQ(d["status"], "succeeded") << d.dump(2);
    const auto& a = d["attempts"];
    ASSERT_EQ(a.size(), 3u) << d.dump(2);
    EXPECT_EQ(a[0]["status"], 500);
    EXPECT_EQ(a[2]["status"], 200);
    // On the schedule: 200 ms, then 400 ms after each failure (at least).
    const auto at = [&](int i) { return time::toEpochMs(*time::parseIso8601(a[i]["startedAt"].get<std::string>())); };
    EXPECT_GE(at(1) - at(0), 190) << d.dump(2);
    EXPECT_GE(at(2) - at(1), 390) << d.dump(2);
  }
  // /metrics: this serve's attempts by outcome, and the log by status.
  const std::string metrics = host.call("GET", "/metrics").body;
  const double n = static_cast<double>(answers.size());
  EXPECT_EQ(sampleOf(metrics, "tributary_webhook_attempts_total{outcome=\"failed\"}"), 2 * n) << metrics;
  EXPECT_EQ(sampleOf(metrics, "tributary_webhook_attempts_total{outcome=\"delivered\"}"), n) << metrics;
  EXPECT_EQ(sampleOf(metrics, "tributary_webhook_deliveries{status=\"succeeded\"}"), n) << metrics;
  EXPECT_EQ(sampleOf(metrics, "tributary_webhook_deliveries{status=\"pending\"}"), 0) << metrics;
  EXPECT_EQ(sampleOf(metrics, "tributary_webhook_endpoints{state=\"enabled\"}"), 1) << metrics;
}

// EDGE-3: an endpoint that sleeps 30 s per request does not make a sync slower.
TEST(Webhooks, AnEndpointThatSleepsNeverSlowsASync) {
  test::TestDatabase db;
  Receiver rx;
  HostOptions o = hostOptions();
  o.connectionSettings = "{records: 400, page_size: 20, latency_ms: 5}";
  ApiHost host(db, o);
  auto timed = [&] {
    const auto t0 = std::chrono::steady_clock::now();
    auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
    EXPECT_EQ(s.status, 202) << s.body;
    EXPECT_EQ(host.waitForJob("ws1", s.json()["jobId"])["status"], "completed");
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  };
  const auto without = timed();
  endpointTo(host, rx, "sleepy", {{"sleepMs", 30000}});
  const auto with = timed();
  EXPECT_LT(with, without * 2 + 1500) << "without a webhook " << without << " ms, with a sleeping one " << with
                                      << " ms";
  // The attempts timed out (webhooks.timeout 2s) and wait for their retries.
  auto log = rx.waitFor("sleepy", [](const Json& l) { return l.size() >= 1; });
  EXPECT_GE(log.size(), 1u);
}

// A receiver down while the host is killed mid-delivery and restarted: after recovery every
// event arrives, each under the webhook-id it first went out with.
TEST(Webhooks, EveryEventArrivesAfterTheReceiverWasDownAndTheHostKilledMidDelivery) {
  test::TestDatabase db;
  Receiver rx;
  ApiHost host(db, hostOptions(", retry_schedule: [0, 300ms, 300ms, 300ms, 300ms, 300ms, 300ms, 300ms, 300ms, 1s,"
                               " 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s]"));
  const std::string secret = endpointTo(host, rx, "down", {{"status", 503}}).secret;

  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202);
  host.waitForJob("ws1", s.json()["jobId"]);
  rx.waitFor("down", [](const Json& l) { return l.size() >= 2; });
  // Now each attempt hangs (the receiver holds it): kill the host while one is in flight.
  const int64_t held = time::nowEpochMs();
  rx.configure("down", {{"secret", secret}, {"status", 503}, {"sleepMs", 3000}});
  auto before = rx.waitFor("down", [&](const Json& l) {
    return std::any_of(l.begin(), l.end(), [&](const Json& e) { return e["receivedAtMs"].get<int64_t>() >= held; });
  });
  std::string inFlight;
  for (const auto& e : before) {
    if (e["receivedAtMs"].get<int64_t>() >= held) inFlight = e["id"];
  }
  ASSERT_FALSE(inFlight.empty());
  host.kill();
  rx.configure("down", {{"secret", secret}});
  host.restart();
  auto log = rx.waitFor(
      "down", [](const Json& l) { return countOf(l, "sync.completed") == 1; }, std::chrono::seconds(90));
  expectAllVerified(log);
  std::map<std::string, int> delivered;
  std::map<std::string, std::string> typeOfId;
  for (const auto& e : log) {
    if (e["answered"] == 200) ++delivered[e["id"]];
    typeOfId[e["id"]] = e["body"]["type"];
  }
  EXPECT_EQ(delivered.size(), typeOfId.size()) << "an event never arrived:\n" << log.dump(2);
  for (const auto& [id, n] : delivered) EXPECT_GE(n, 1) << id;
  EXPECT_EQ(countOf(log, "sync.started"), 1u);
  EXPECT_EQ(delivered[inFlight], 1) << "the delivery in flight at the kill arrived, once, under its id " << inFlight;
}

// A 410 disables the endpoint at once and tells the workspace's other endpoints.
TEST(Webhooks, A410DisablesTheEndpointAndTheOthersAreTold) {
  test::TestDatabase db;
  Receiver rx;
  ApiHost host(db, hostOptions());
  const Made gone = endpointTo(host, rx, "gone", {{"status", 410}});
  endpointTo(host, rx, "other");
  const std::string eid = gone.id;
  ASSERT_EQ(host.admin("POST", "/api/workspaces/ws1/webhooks/" + eid + "/test").status, 202);
  auto log = rx.waitFor("other", [](const Json& l) { return countOf(l, "webhook.endpoint_disabled") == 1; });
  const Json& told = log.back()["body"];
  EXPECT_EQ(told["data"]["endpointId"], eid) << told.dump(2);
  EXPECT_NE(told["data"]["reason"].get<std::string>().find("410"), std::string::npos);
  auto shown = host.admin("GET", "/api/workspaces/ws1/webhooks/" + eid);
  EXPECT_FALSE(shown.json()["enabled"].get<bool>()) << shown.body;
  EXPECT_EQ(rx.log("gone").size(), 1u) << "a 410 is not retried";
  EXPECT_EQ(host.admin("POST", "/api/workspaces/ws1/webhooks/" + eid + "/test").status, 409);
}

// An endpoint failing every attempt for webhooks.disable_after is disabled; once fixed and
// enabled, a redelivery and a recovery send again what it missed, under the same ids.
TEST(Webhooks, DisableAfterThenRedeliveryAndRecoverySendAgainWithTheSameIds) {
  test::TestDatabase db;
  Receiver rx;
  ApiHost host(db, hostOptions(", disable_after: 1s"));
  const Made broken = endpointTo(host, rx, "broken", {{"status", 500}});
  const std::string& eid = broken.id;
  const std::string& secret = broken.secret;
  const std::string since = time::iso8601(time::Clock::now() - std::chrono::seconds(1));
  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202);
  host.waitForJob("ws1", s.json()["jobId"]);
  ASSERT_TRUE(test::eventually(
      [&] { return !host.admin("GET", "/api/workspaces/ws1/webhooks/" + eid).json()["enabled"].get<bool>(); },
      std::chrono::seconds(30)));
  auto shown = host.admin("GET", "/api/workspaces/ws1/webhooks/" + eid).json();
  EXPECT_NE(shown["disabledReason"].get<std::string>().find("every attempt failed for 1s"), std::string::npos)
      << shown.dump(2);

  rx.configure("broken", {{"secret", secret}});
  ASSERT_EQ(host.admin("PATCH", "/api/workspaces/ws1/webhooks/" + eid, R"({"enabled": true})").status, 200);
  auto rec = host.admin("POST", "/api/workspaces/ws1/webhooks/" + eid + "/recover?since=" + since);
  ASSERT_EQ(rec.status, 202) << rec.body;
  // Every id the receiver saw failing comes again and is answered 200, under the same id. (Not
  // necessarily before the rest: the head that failed its every attempt held back nothing once
  // failed, so the others may go out as soon as the endpoint is enabled, before the recovery.)
  auto failingNeverArrived = [](const Json& l) {
    std::set<std::string> failing, ok;
    for (const auto& e : l) (e["answered"] == 200 ? ok : failing).insert(e["id"].get<std::string>());
    std::vector<std::string> missing;
    for (const auto& id : failing) {
      if (!ok.count(id)) missing.push_back(id);
    }
    return missing;
  };
  auto log = rx.waitFor(
      "broken", [&](const Json& l) { return countOf(l, "sync.completed") >= 1 && failingNeverArrived(l).empty(); });
  for (const auto& id : failingNeverArrived(log)) ADD_FAILURE() << id << " never arrived";
  ASSERT_TRUE(test::eventually([&] {
    return host.admin("GET", "/api/workspaces/ws1/webhooks/" + eid + "/deliveries?status=pending")
        .json()["deliveries"]
        .empty();
  }));

  // A redelivery sends a delivery that succeeded once more, under its id, with new attempts.
  auto all = host.admin("GET", "/api/workspaces/ws1/webhooks/" + eid + "/deliveries?status=succeeded&limit=1");
  ASSERT_EQ(all.status, 200) << all.body;
  ASSERT_EQ(all.json()["deliveries"].size(), 1u) << all.body;
  const Json one = all.json()["deliveries"][0];
  const std::string did = one["id"], mid = one["messageId"];
  auto okCount = [&](const Json& l) {
    return std::count_if(l.begin(), l.end(), [&](const Json& e) { return e["id"] == mid && e["answered"] == 200; });
  };
  const auto before = okCount(rx.log("broken"));
  auto re = host.admin("POST", "/api/workspaces/ws1/webhooks/" + eid + "/deliveries/" + did + "/redeliver");
  ASSERT_EQ(re.status, 202) << re.body;
  EXPECT_EQ(re.json()["messageId"], mid);
  rx.waitFor("broken", [&](const Json& l) { return okCount(l) == before + 1; });
  EXPECT_EQ(host.admin("POST", "/api/workspaces/ws1/webhooks/" + eid + "/deliveries/nope/redeliver").status, 404);
  EXPECT_EQ(host.admin("POST", "/api/workspaces/ws1/webhooks/" + eid + "/recover?since=yesterday").status, 400);
}

// Events that happened while an endpoint was disabled make no deliveries; a recovery makes them,
// in event order, and they arrive.
TEST(Webhooks, EventsOfWhileAnEndpointWasDisabledArriveByARecovery) {
  test::TestDatabase db;
  Receiver rx;
  ApiHost host(db, hostOptions());
  const std::string eid = endpointTo(host, rx, "away", Json::object(), {{"enabled", false}}).id;
  const std::string since = time::iso8601(time::Clock::now() - std::chrono::seconds(1));
  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202);
  const std::string job = s.json()["jobId"];
  host.waitForJob("ws1", job);
  // The fan-out passes the disabled endpoint's cursor over the job's events, making nothing.
  ASSERT_TRUE(test::eventually([&] {
    db::Connection c(db.conninfo());
    return c
        .exec("SELECT e.outbox_cursor >= (SELECT max(id) FROM events) FROM webhook_endpoints e WHERE e.id = $1::uuid",
              eid)
        .boolean(0, 0);
  }));
  EXPECT_TRUE(host.admin("GET", "/api/workspaces/ws1/webhooks/" + eid + "/deliveries").json()["deliveries"].empty());

  ASSERT_EQ(host.admin("PATCH", "/api/workspaces/ws1/webhooks/" + eid, R"({"enabled": true})").status, 200);
  auto rec = host.admin("POST", "/api/workspaces/ws1/webhooks/" + eid + "/recover?since=" + since);
  ASSERT_EQ(rec.status, 202) << rec.body;
  EXPECT_GE(rec.json()["created"].get<int64_t>(), 3) << rec.body;  // started, progress, completed
  EXPECT_EQ(rec.json()["requeued"], 0) << rec.body;
  auto log = rx.waitFor("away", [](const Json& l) { return countOf(l, "sync.completed") == 1; });
  expectAllVerified(log);
  const auto types = typesOf(log);
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "sync.started");
  EXPECT_EQ(types.back(), "sync.completed");
  for (const auto& e : log) {
    if (e["body"]["type"] == "sync.completed") {
      EXPECT_EQ(e["body"]["data"]["jobId"], job) << e.dump();
    }
  }
}

// The destination is checked again at each delivery: an endpoint saved while its network was
// allowed gets nothing once the allowlist no longer holds it, and each attempt says why.
TEST(Webhooks, ADestinationNoLongerAllowedIsRefusedAtDeliveryNamingItsAddress) {
  test::TestDatabase db;
  Receiver rx;
  ApiHost host(db, hostOptions());
  const std::string eid = endpointTo(host, rx, "moved").id;
  host.kill();
  const auto config = host.dir() / "tributary.yaml";
  std::string yaml = files::readFile(config);
  const std::string allowed = "allow_private: [127.0.0.0/8]";
  ASSERT_NE(yaml.find(allowed), std::string::npos) << yaml;
  yaml.replace(yaml.find(allowed), allowed.size(), "allow_private: []");
  host.dir().write("tributary.yaml", yaml);
  host.restart();

  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/example/sync");
  ASSERT_EQ(s.status, 202);
  host.waitForJob("ws1", s.json()["jobId"]);
  Json failed;
  ASSERT_TRUE(test::eventually(
      [&] {
        failed = host.admin("GET", "/api/workspaces/ws1/webhooks/" + eid + "/deliveries?status=failed").json();
        return !failed["deliveries"].empty();
      },
      std::chrono::seconds(30)));
  const Json d = failed["deliveries"][0];
  ASSERT_EQ(d["attempts"].size(), 4u) << d.dump(2);  // the schedule's every attempt
  for (const auto& a : d["attempts"]) {
    EXPECT_TRUE(a["status"].is_null()) << a.dump();
    EXPECT_NE(a["error"].get<std::string>().find("127.0.0.1, a loopback address"), std::string::npos) << a.dump();
  }
  EXPECT_TRUE(rx.log("moved").empty()) << rx.log("moved").dump(2);
}

// EDGE-2 and the private-address refusals, at the API.
// Alerts: a scheduled connection without a success for alerts.stale_after reaches the endpoint
// as sync.stale, once however many looks see it stale, and its next success as alert.resolved;
// /metrics counts the alert while it is on.
TEST(Webhooks, AStaleConnectionArrivesAsSyncStaleOnceAndItsNextSuccessAsAlertResolved) {
  test::TestDatabase db;
  Receiver rx;
  HostOptions o = hostOptions();
  o.extraYaml =
      "  - {workspace: ws1, name: yearly, connector: tributary.example, schedule: '0 0 1 1 *',"
      " settings: {records: 10, page_size: 5}}\n" +
      o.extraYaml + "alerts: {stale_after: 1h, check_interval: 100ms}\n";
  ApiHost host(db, o);
  endpointTo(host, rx, "alerts", Json::object(), {{"events", {"sync.stale", "alert.resolved"}}});
  // Made two hours ago, as far as the host can tell, and never synced.
  db::Connection conn(db.conninfo());
  const std::string id =
      conn.exec(
              "UPDATE connections SET created_at = now() - interval '2 hours' WHERE name = 'yearly' RETURNING id::text")
          .text(0, 0);
  auto log = rx.waitFor("alerts", [](const Json& l) { return countOf(l, "sync.stale") >= 1; });
  ASSERT_EQ(countOf(log, "sync.stale"), 1u) << log.dump(2);
  const Json data = log[0]["body"]["data"];
  EXPECT_EQ(data["connection"], "yearly") << data.dump();
  EXPECT_EQ(data["connectionId"], id) << data.dump();
  EXPECT_TRUE(data["lastSuccessAt"].is_null()) << data.dump();
  EXPECT_EQ(data["staleAfterSeconds"].get<double>(), 3600.0) << data.dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // five more looks
  EXPECT_EQ(sampleOf(host.call("GET", "/metrics").body, "tributary_alerts_active{type=\"sync.stale\"}"), 1);

  auto s = host.admin("POST", "/api/workspaces/ws1/connectors/yearly/sync");
  ASSERT_EQ(s.status, 202) << s.body;
  EXPECT_EQ(host.waitForJob("ws1", s.json()["jobId"])["status"], "completed");
  log = rx.waitFor("alerts", [](const Json& l) { return countOf(l, "alert.resolved") >= 1; });
  EXPECT_EQ(typesOf(log), (std::vector<std::string>{"sync.stale", "alert.resolved"})) << log.dump(2);
  EXPECT_EQ(log.back()["body"]["data"]["alert"], "sync.stale");
  EXPECT_EQ(sampleOf(host.call("GET", "/metrics").body, "tributary_alerts_active{type=\"sync.stale\"}"), 0);
  expectAllVerified(log);
}

TEST(Webhooks, BadAndPrivateDestinationsAreRefusedNamingTheField) {
  test::TestDatabase db;
  HostOptions o;
  o.keyFile = true;
  ApiHost host(db, o);
  auto put = [&](const std::string& url) {
    return host.admin("PUT", "/api/workspaces/ws1/webhook", Json{{"webhookUrl", url}}.dump());
  };
  for (const auto& [url, says] : std::vector<std::pair<std::string, std::string>>{
           {"not a url", "must be an absolute http:// or https:// URL"},
           {"ftp://example.com/x", "must be an absolute http:// or https:// URL"},
           {"http:///nohost", "has no host"},
           {"http://127.0.0.1:9/x", "127.0.0.1, a loopback address"},
           {"http://localhost:9/x", "resolves to"},
           {"http://10.1.2.3/x", "a private address"},
           {"http://169.254.169.254/latest/meta-data", "link-local (cloud metadata)"},
           {"http://[::1]:9/x", "::1, a loopback address"},
           {"http://user:pw@example.com/x", "user name or password"}}) {
    auto r = put(url);
    EXPECT_EQ(r.status, 400) << url << ": " << r.body;
    EXPECT_EQ(r.json()["error"]["details"]["field"], "webhookUrl") << url;
    EXPECT_NE(r.json()["error"]["message"].get<std::string>().find(says), std::string::npos) << url << ": " << r.body;
  }
  auto badEvent = host.admin("POST", "/api/workspaces/ws1/webhooks",
                             Json{{"url", "https://93.184.215.14/h"}, {"events", {"sync.exploded"}}}.dump());
  EXPECT_EQ(badEvent.status, 400) << badEvent.body;
  EXPECT_EQ(badEvent.json()["error"]["details"]["field"], "events");
  auto badSecret = host.admin("POST", "/api/workspaces/ws1/webhooks",
                              Json{{"url", "https://93.184.215.14/h"}, {"secret", "whsec_***"}}.dump());
  EXPECT_EQ(badSecret.status, 400) << badSecret.body;
  EXPECT_EQ(badSecret.json()["error"]["details"]["field"], "secret");
  EXPECT_EQ(host.admin("GET", "/api/workspaces/ws1/webhooks").json()["webhooks"].size(), 0u);
}

}  // namespace webhooks_test
