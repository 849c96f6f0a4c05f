#include <gtest/gtest.h>

#include "VendorFixture.h"
#include "framework/ConfigError.h"
#include "framework/FaultInjector.h"
#include "framework/RollingWindowLimiter.h"
#include "framework/Scenario.h"

using namespace tributary::sim;
using tributary::sim::testing::VendorFixture;

TEST(ratelimit, SlidingWindowCountsByTheWallClock) {
  int64_t now = 1000;
  RollingWindowLimiter limiter(3, 1000, [&] { return now; });
  EXPECT_TRUE(limiter.acquire().allowed);
  now += 400;
  EXPECT_TRUE(limiter.acquire().allowed);
  EXPECT_EQ(limiter.acquire().remaining, 0u);
  const auto refused = limiter.acquire();
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retryAfterMs, 600);
  now += 600;
  EXPECT_TRUE(limiter.acquire().allowed) << "the first request left the window";
  EXPECT_FALSE(limiter.acquire().allowed);
  limiter.reset();
  EXPECT_TRUE(limiter.acquire().allowed);
  RollingWindowLimiter off(0, 1000, [&] { return now; });
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(off.acquire().allowed);
}

TEST(faults, CountPathMethodAndSeededProbability) {
  FaultInjector injector;
  injector.add(FaultRule::fromJson(
      {{"kind", "server_error"}, {"status", 503}, {"count", 2}, {"path", "/crm/v3/objects/deals"}, {"method", "GET"}},
      "test"));
  const auto deals = SimRequest::make("GET", "/crm/v3/objects/deals");
  EXPECT_TRUE(injector.decide(SimRequest::make("GET", "/crm/v3/objects/contacts"), false).empty());
  EXPECT_TRUE(injector.decide(SimRequest::make("POST", "/crm/v3/objects/deals"), false).empty());
  EXPECT_EQ(injector.decide(deals, false).at(0).status, 503);
  EXPECT_EQ(injector.decide(deals, false).size(), 1u);
  EXPECT_TRUE(injector.decide(deals, false).empty()) << "retired after count";
  injector.clear();
  auto pattern = [&](uint64_t seed) {
    FaultInjector seeded;
    seeded.add(
        FaultRule::fromJson({{"kind", "latency"}, {"latency_ms", 1}, {"probability", 0.3}, {"seed", seed}}, "t"));
    std::string out;
    for (int i = 0; i < 200; ++i) out += seeded.decide(deals, false).empty() ? '.' : 'x';
    return out;
  };
  EXPECT_EQ(pattern(7), pattern(7));
  EXPECT_NE(pattern(7), pattern(8));
  const std::string seven = pattern(7);
  const auto hits = std::count(seven.begin(), seven.end(), 'x');
  EXPECT_NEAR(hits / 200.0, 0.3, 0.1);
  injector.add(FaultRule::fromJson({{"kind", "expired_cursor"}}, "t"));
  EXPECT_TRUE(injector.decide(deals, false).empty()) << "only requests that carry a cursor";
  EXPECT_EQ(injector.decide(deals, true).size(), 1u);
}

TEST(faults, BadRulesNameTheField) {
  auto message = [](const nlohmann::json& body) {
    try {
      FaultRule::fromJson(body, "faults[0]");
    } catch (const ConfigError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({{"kind", "server_error"}, {"status", 404}}), "faults[0].status: expected 500, 502, 503 or 504");
  EXPECT_EQ(message({{"kind", "latency"}}), "faults[0].latency_ms: required for a latency fault");
  EXPECT_EQ(message({{"kind", "rate_limit"}, {"probability", 2}}),
            "faults[0].probability: expected a number in [0, 1]");
  EXPECT_NE(message({{"kind", "rate_limit"}, {"colour", 1}}).find("faults[0].colour: unknown field"),
            std::string::npos);
}

TEST(faults, RespondRulesAreCheckedFieldByField) {
  auto message = [](const nlohmann::json& body) {
    try {
      FaultRule::fromJson(body, "faults[0]");
    } catch (const ConfigError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  const nlohmann::json ok = {{"kind", "respond"}, {"status", 200}};
  auto with = [&](const std::string& key, const nlohmann::json& value) {
    nlohmann::json rule = ok;
    rule[key] = value;
    return message(rule);
  };
  EXPECT_EQ(message(ok), "no error");
  EXPECT_EQ(message({{"kind", "respond"}}),
            "faults[0].status: required for a respond fault (an integer from 100 to 599)");
  EXPECT_EQ(with("status", 99), "faults[0].status: expected an integer from 100 to 599");
  EXPECT_EQ(with("status", 600), "faults[0].status: expected an integer from 100 to 599");
  EXPECT_EQ(with("status", "200"), "faults[0].status: expected an integer from 100 to 599");
  EXPECT_EQ(with("status", 100), "no error");
  EXPECT_EQ(with("status", 599), "no error");
  EXPECT_EQ(with("body", nlohmann::json::object()),
            "faults[0].body: expected a string, sent as is (a JSON body goes in as its text)");
  EXPECT_EQ(with("headers", "Retry-After: 1"), "faults[0].headers: expected an object of header name to string value");
  EXPECT_EQ(with("headers", {{"Retry-After", 1}}),
            "faults[0].headers.Retry-After: expected a string (in YAML quote numbers: \"1\")");
  EXPECT_EQ(with("headers", {{"Retry After", "1"}}),
            "faults[0].headers: 'Retry After' is not a header name (use letters, digits and !#$%&'*+-.^_`|~)");
  EXPECT_EQ(with("headers", {{"X-Note", "a\r\nSet-Cookie: x"}}),
            "faults[0].headers.X-Note: expected a string without CR, LF or NUL");
  EXPECT_EQ(with("headers", {{"content-length", "5"}}),
            "faults[0].headers.content-length: not settable (the simulator frames the body with Content-Length)");
  EXPECT_EQ(with("colour", 1),
            "faults[0].colour: unknown field (allowed: kind, method, path, count, probability, seed, status, "
            "latency_ms, body, headers)");
  // The other kinds take none of respond's fields.
  EXPECT_EQ(message({{"kind", "server_error"}, {"body", "x"}}),
            "faults[0].body: expected no body (only respond takes one)");
  EXPECT_EQ(message({{"kind", "rate_limit"}, {"headers", nlohmann::json::object()}}),
            "faults[0].headers: expected no headers (only respond takes them)");
  EXPECT_EQ(message({{"kind", "rate_limit"}, {"status", 503}}),
            "faults[0].status: expected no status (only server_error and respond take one)");
}

TEST(faults, RespondReplacesTheAnswerWithExactlyTheRuleStatusHeadersAndBody) {
  VendorFixture hs(R"(
vendors:
  hubspot:
    objects: {deals: 5}
    faults:
      - kind: respond
        status: 200
        body: '{"errors":[{"message":"Complexity budget exhausted","extensions":{"code":"ComplexityException"}}]}'
        headers: {Retry-After: "1"}
        count: 2
        path: /crm/v3/objects/deals
)");
  const char* token = "hubspot-test-token";
  EXPECT_EQ(hs.call("GET", "/crm/v3/objects/contacts", "", token).faults, "") << "another path";
  for (int i = 0; i < 2; ++i) {
    const auto r = hs.call("GET", "/crm/v3/objects/deals", "", token);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(hs.json(r)["errors"][0]["extensions"]["code"], "ComplexityException");
    EXPECT_EQ(r.headers, (std::vector<std::pair<std::string, std::string>>{{"Retry-After", "1"}}));
    EXPECT_EQ(r.contentType, "application/json;charset=UTF-8");
  }
  EXPECT_TRUE(hs.json(hs.call("GET", "/crm/v3/objects/deals", "", token)).contains("results"));

  const auto set = hs.call("POST", "/admin/faults",
                           R"({"kind":"respond","status":403,"body":"quota","headers":{"Content-Type":"text/plain"}})");
  ASSERT_EQ(set.status, 200);
  const auto listed = hs.json(set)["faults"].back();
  EXPECT_EQ(listed["kind"], "respond");
  EXPECT_EQ(listed["status"], 403);
  EXPECT_EQ(listed["body"], "quota");
  EXPECT_EQ(listed["headers"], nlohmann::json({{"Content-Type", "text/plain"}}));
  const auto r = hs.call("POST", "/crm/v3/objects/deals/search", "{}", token);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "quota");
  EXPECT_EQ(r.contentType, "text/plain");
  EXPECT_TRUE(r.headers.empty()) << "Content-Type is the content type, not an extra header";
  EXPECT_EQ(r.faults, "respond");
}

TEST(orders, EachPostTakesOneNumberedOrderWithItsBodyAndConnection) {
  VendorFixture hs("vendors:\n  hubspot: {}\n");
  auto post = [&](const std::string& body, uint64_t connection) {
    SimRequest request = SimRequest::make("POST", "/_sim/orders", body);
    request.connection = connection;
    return hs.runtime->dispatch(request);
  };
  const auto first = post(R"({"sku":"a"})", 7);
  EXPECT_EQ(first.status, 201);
  EXPECT_EQ(hs.json(first), nlohmann::json({{"id", 1}}));
  EXPECT_EQ(hs.json(post("", 8))["id"], 2);
  const auto listed = hs.json(hs.call("GET", "/admin/orders"))["orders"];
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]["body"], R"({"sku":"a"})");
  EXPECT_EQ(listed[0]["connection"], 7);
  EXPECT_EQ(listed[1]["body"], "");
  EXPECT_EQ(listed[1]["connection"], 8);
  EXPECT_EQ(listed[1]["time_ms"], *hs.wallMs);
  const auto log = hs.json(hs.call("GET", "/admin/requests"))["requests"];
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["path"], "/_sim/orders");
  EXPECT_EQ(log[0]["status"], 201);
  EXPECT_EQ(log[0]["connection"], 7);

  EXPECT_EQ(hs.call("DELETE", "/admin/orders").status, 200);
  EXPECT_TRUE(hs.json(hs.call("GET", "/admin/orders"))["orders"].empty());
  EXPECT_EQ(hs.json(post("again", 9))["id"], 3) << "ids are never given twice";
  EXPECT_EQ(hs.call("PUT", "/_sim/orders").status, 405);
  EXPECT_EQ(hs.json(hs.call("GET", "/_sim/nope"))["error"],
            "GET /_sim/nope: no such simulator route (the only one is POST /_sim/orders)");
}

TEST(orders, FaultsHitTheOrdersPathAndAReplacedAnswerTakesNoOrder) {
  VendorFixture sf("vendors:\n  salesforce: {}\n");
  ASSERT_EQ(
      sf.call("POST", "/admin/faults", R"({"kind":"server_error","status":503,"count":1,"path":"/_sim/"})").status,
      200);
  const auto unavailable = sf.call("POST", "/_sim/orders", "x");
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(sf.json(unavailable)[0]["errorCode"], "SERVER_UNAVAILABLE") << "the vendor's own 503 body";
  sf.call("POST", "/admin/faults", R"({"kind":"connection_reset","count":1})");
  EXPECT_EQ(sf.call("POST", "/_sim/orders", "y").delivery, SimResponse::Delivery::ResetConnection);
  EXPECT_TRUE(sf.json(sf.call("GET", "/admin/orders"))["orders"].empty());
  sf.call("POST", "/admin/faults", R"({"kind":"truncated_body","count":1})");
  EXPECT_EQ(sf.call("POST", "/_sim/orders", "z").delivery, SimResponse::Delivery::TruncatedBody);
  EXPECT_EQ(sf.json(sf.call("GET", "/admin/orders"))["orders"].size(), 1u) << "taken, though its answer is cut";
}

TEST(faults, VendorShapedBodiesForEachReplacingFault) {
  VendorFixture hs(R"(
vendors:
  hubspot:
    objects: {deals: 5}
    faults:
      - {kind: rate_limit, count: 1}
)");
  const char* token = "hubspot-test-token";
  // Every rule with a count fires on the next matching requests, so set them one at a time.
  auto r = hs.call("GET", "/crm/v3/objects/deals", "", token);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(hs.json(r)["policyName"], "TEN_SECONDLY_ROLLING");
  ASSERT_EQ(hs.call("POST", "/admin/faults", R"({"kind":"server_error","status":502,"count":1})").status, 200);
  r = hs.call("GET", "/crm/v3/objects/deals", "", token);
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(hs.json(r)["status"], "error");
  hs.call("POST", "/admin/faults", R"({"kind":"expired_token","count":1})");
  r = hs.call("GET", "/crm/v3/objects/deals", "", token);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(hs.json(r)["category"], "EXPIRED_AUTHENTICATION");
  hs.call("POST", "/admin/faults", R"({"kind":"malformed_json","count":1})");
  r = hs.call("GET", "/crm/v3/objects/deals", "", token);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(nlohmann::json::accept(r.body));
  hs.call("POST", "/admin/faults", R"({"kind":"expired_cursor","count":1})");
  r = hs.call("GET", "/crm/v3/objects/deals", "", token);
  EXPECT_EQ(r.status, 200) << "expired_cursor waits for a request with a cursor";
  r = hs.call("GET", "/crm/v3/objects/deals?after=30000000002", "", token);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(hs.json(r)["category"], "VALIDATION_ERROR");
  const auto log = hs.json(hs.call("GET", "/admin/requests"));
  EXPECT_EQ(log["requests"].size(), 6u);
  EXPECT_EQ(log["requests"][0]["faults"], "rate_limit");
  EXPECT_EQ(log["requests"][0]["token"], "hubspot-test-token");
  EXPECT_EQ(log["requests"][5]["query"], "after=30000000002");

  VendorFixture sf(R"(
vendors:
  salesforce:
    faults: [{kind: rate_limit, count: 1}]
)");
  const std::string q = "/services/data/v60.0/query?q=SELECT+Id+FROM+Account";
  r = sf.call("GET", q, "", "salesforce-test-token");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(sf.json(r)[0]["errorCode"], "REQUEST_LIMIT_EXCEEDED");
  sf.call("POST", "/admin/faults", R"({"kind":"expired_token","count":1})");
  r = sf.call("GET", q, "", "salesforce-test-token");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(sf.json(r)[0]["errorCode"], "INVALID_SESSION_ID");
  sf.call("POST", "/admin/faults", R"({"kind":"server_error","status":503,"count":1})");
  r = sf.call("GET", q, "", "salesforce-test-token");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.header("Sforce-Limit-Info"), "");
}

TEST(scenario, ErrorsNameFileLineAndKey) {
  auto message = [](const std::string& text) {
    try {
      VendorFixture fixture(text);
    } catch (const ConfigError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("vendors:\n  hubspot:\n    objects: {dealz: 5}\n"),
            "test.yaml:3:15: vendors.hubspot.objects.dealz: unknown key (allowed: deals, contacts, "
            "companies)");
  EXPECT_EQ(message("vendors:\n  hubspot:\n    objects: {deals: many}\n"),
            "test.yaml:3:22: vendors.hubspot.objects.deals: expected a non-negative integer, got 'many'");
  EXPECT_EQ(message("vendors:\n  zendesk: {}\n"),
            "test.yaml:2:12: vendors.zendesk: unknown vendor (known: hubspot, salesforce)");
  EXPECT_EQ(message("seed: 1\n"), "test.yaml:1:1: missing key 'vendors' (a mapping of vendor name to its section)");
  EXPECT_EQ(message("clock: {start: yesterday}\nvendors: {hubspot: {}}\n"),
            "test.yaml:1:16: clock.start: expected an ISO 8601 time such as 2024-06-01T00:00:00Z");
  EXPECT_NE(message("vendors: [\n").find("test.yaml:2:1: not valid YAML"), std::string::npos);
  EXPECT_NE(message("vendors:\n  salesforce:\n    faults: [{kind: nope}]\n")
                .find("test.yaml: vendors.salesforce.faults[0].kind: unknown fault 'nope'"),
            std::string::npos);
}
