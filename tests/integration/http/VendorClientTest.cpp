// http::VendorClient with its budgets in PostgreSQL (a RateGate on the test's database) and a
// loopback server the test scripts per request: spacing, 429s and Retry-After, retries of what
// may be repeated and only that, parking beyond http.max_inline_wait, quota rules, the plugin's
// reports and cancellation. Arrival times are the server's.
#include "http/VendorClient.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "LoopbackServer.h"
#include "TestSupport.h"
#include "common/Time.h"
#include "db/Connection.h"
#include "db/Migrator.h"
#include "http/HttpService.h"

using namespace tributary;
using namespace tributary::http;
using http::testing::Arrival;
using http::testing::LoopbackServer;
using http::testing::Reply;
using std::chrono::milliseconds;

namespace {

int64_t msBetween(const Arrival& a, const Arrival& b) {
  return std::chrono::duration_cast<milliseconds>(b.at - a.at).count();
}
// From the moment the server had written its answer to `a` until `b` arrived, in microseconds:
// a Retry-After counts from the response.
int64_t usFromAnswerTo(const Arrival& a, const Arrival& b) {
  return std::chrono::duration_cast<std::chrono::microseconds>(b.at - a.answeredAt.value()).count();
}

LimitClass limitClass(std::string name, double effective, milliseconds per, bool quota = false,
                      bool everyRequest = false) {
  LimitClass c;
  c.name = std::move(name);
  c.effective = effective;
  c.per = per;
  c.quota = quota;
  c.everyRequest = everyRequest;
  return c;
}

// Plenty: 1000 a second, about a millisecond apart.
LimitClass fast() { return limitClass("rest", 1000, milliseconds(1000)); }

VendorRule quotaRule(milliseconds wait = milliseconds(0)) {
  VendorRule r;
  r.action = RuleAction::Quota;
  r.status = 403;
  r.errorCode = "REQUEST_LIMIT_EXCEEDED";
  r.limitClass = "daily";
  r.wait = wait;
  r.description = "Salesforce's request limit";
  return r;
}

const char* const kLimitBody = R"([{"errorCode":"REQUEST_LIMIT_EXCEEDED","message":"TotalRequests Limit exceeded."}])";

struct vendor_client : ::testing::Test {
  test::TestDatabase db;
  config::HttpConfig cfg;
  HttpCounters run;
  std::atomic<bool> cancelled{false};
  std::unique_ptr<HttpService> service;

  void SetUp() override {
    db::Connection conn(db.conninfo());
    db::Migrator(conn, test::migrationsDir()).apply();
    cfg.retry.base = milliseconds(20);
    cfg.retry.maxBackoff = milliseconds(200);
  }

  VendorProfile profile(std::vector<LimitClass> classes, std::vector<VendorRule> rules = {}) {
    VendorProfile p;
    p.vendor = "tributary.test";
    p.label = "acme/test";
    p.account = "acct";
    p.classes = std::move(classes);
    p.rules = std::move(rules);
    return p;
  }
  // A client on a service made with the test's cfg as it is now.
  std::unique_ptr<VendorClient> client(VendorProfile p) {
    service = std::make_unique<HttpService>(cfg);
    return std::make_unique<VendorClient>(
        *service, &service->gate(db.conninfo()), std::move(p), [this] { return cancelled.load(); }, &run);
  }

  static HttpRequest get(const std::string& url) {
    HttpRequest r;
    r.url = url;
    return r;
  }
  static HttpRequest post(const std::string& url) {
    HttpRequest r;
    r.method = "POST";
    r.url = url;
    r.body = R"({"order":1})";
    return r;
  }
};

// Answers `first` to the first `n` requests, then 200.
LoopbackServer::Script firstThenOk(size_t n, Reply first) {
  return [n, first](const Arrival&, size_t i) { return i < n ? first : Reply::ok(); };
}

}  // namespace

TEST_F(vendor_client, RequestsOfAClassAreSpacedSoThatNoWindowSeesMoreThanItsBudget) {
  LoopbackServer server;
  // 10 per second at headroom 0.9: 9 per second, spaced by 1000 / (9 - 1) = 125 ms, so that any
  // closed second holds at most 9.
  auto c = client(profile({limitClass("rest", 10 * 0.9, milliseconds(1000))}));
  for (int i = 0; i < 20; ++i) ASSERT_EQ(c->send(get(server.url("/items"))).status, 200);
  auto a = server.arrivals();
  ASSERT_EQ(a.size(), 20u);
  EXPECT_GE(msBetween(a.front(), a.back()), 19 * 125 - 5);
  EXPECT_LT(msBetween(a.front(), a.back()), 19 * 125 + 1500) << "much slower than the spacing";
  for (size_t i = 0; i + 9 < a.size(); ++i) {
    EXPECT_GT(msBetween(a[i], a[i + 9]), 1000) << "10 requests within a second from request " << i;
  }
  // Slots are 125 ms apart; an arrival is its slot plus however late its thread ran, so a late one
  // followed by a prompt one arrives closer (119 ms was seen on a loaded 2-core machine). The
  // windows above are the promise; this only says the requests are spaced, not bunched.
  for (size_t i = 1; i < a.size(); ++i) EXPECT_GE(msBetween(a[i - 1], a[i]), 100) << "request " << i;
  EXPECT_EQ(c->counters().calls, 20);
  EXPECT_GE(c->counters().waits, 18);
  EXPECT_EQ(run.calls, 20) << "the run's counters get every count too";
}

TEST_F(vendor_client, A429WithRetryAfterIsRetriedOnceTheRetryAfterHasPassed) {
  LoopbackServer server(firstThenOk(1, Reply::withStatus(429, {{"Retry-After", "1"}}, "slow down")));
  auto c = client(profile({fast()}));
  auto r = c->send(get(server.url("/items")));
  EXPECT_EQ(r.status, 200);
  auto a = server.arrivals();
  ASSERT_EQ(a.size(), 2u);
  EXPECT_GE(usFromAnswerTo(a[0], a[1]), 1'000'000);
  EXPECT_LT(msBetween(a[0], a[1]), 2000);
  EXPECT_EQ(c->counters().http429s, 1);
  EXPECT_EQ(c->counters().retries, 1);
  EXPECT_EQ(c->counters().calls, 2);
  EXPECT_GE(c->counters().waitMs, 990);
}

TEST_F(vendor_client, A429sRetryAfterHoldsTheWholeClassForOtherRequestsToo) {
  LoopbackServer server([](const Arrival& a, size_t) {
    return a.method == "POST" ? Reply::withStatus(429, {{"Retry-After", "1"}}) : Reply::ok();
  });
  auto c = client(profile({fast()}));
  // A POST is never sent twice: the 429 is the plugin's, but the class waits.
  EXPECT_EQ(c->send(post(server.url("/orders"))).status, 429);
  EXPECT_EQ(server.count(), 1u);
  EXPECT_EQ(c->counters().retries, 0);
  EXPECT_EQ(c->send(get(server.url("/items"))).status, 200);
  auto a = server.arrivals();
  ASSERT_EQ(a.size(), 2u);
  EXPECT_GE(usFromAnswerTo(a[0], a[1]), 1'000'000);
}

TEST_F(vendor_client, AGetAnswered503TwiceIsRetriedUntilIt200s) {
  LoopbackServer server(firstThenOk(2, Reply::withStatus(503)));
  auto c = client(profile({fast()}));
  auto r = c->send(get(server.url("/items")));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(server.count(), 3u);
  EXPECT_EQ(c->counters().retries, 2);
  EXPECT_EQ(c->counters().calls, 3);
}

TEST_F(vendor_client, AGetStill503AfterMaxAttemptsReturnsThe503) {
  cfg.retry.maxAttempts = 3;
  LoopbackServer server([](const Arrival&, size_t) { return Reply::withStatus(503, {}, "down"); });
  auto c = client(profile({fast()}));
  auto r = c->send(get(server.url("/items")));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "down");
  EXPECT_EQ(server.count(), 3u);
}

TEST_F(vendor_client, APostAnswered503IsReturnedAndSentOnce) {
  LoopbackServer server(firstThenOk(2, Reply::withStatus(503)));
  auto c = client(profile({fast()}));
  EXPECT_EQ(c->send(post(server.url("/orders"))).status, 503);
  EXPECT_EQ(server.count(), 1u);
  EXPECT_EQ(c->counters().retries, 0);
}

TEST_F(vendor_client, AnIdempotentPostAnswered503IsRetried) {
  LoopbackServer server(firstThenOk(2, Reply::withStatus(503)));
  auto c = client(profile({fast()}));
  HttpRequest search = post(server.url("/search"));
  search.idempotent = true;
  EXPECT_EQ(c->send(search).status, 200);
  EXPECT_EQ(server.count(), 3u);
  EXPECT_EQ(c->counters().retries, 2);
}

TEST_F(vendor_client, AGetWhoseConnectionIsResetIsRetried) {
  LoopbackServer server(firstThenOk(1, Reply::reset()));
  auto c = client(profile({fast()}));
  EXPECT_EQ(c->send(get(server.url("/items"))).status, 200);
  EXPECT_EQ(server.count(), 2u);
  EXPECT_EQ(c->counters().retries, 1);
}

TEST_F(vendor_client, APostWhoseConnectionIsResetIsNotSentAgain) {
  LoopbackServer server(firstThenOk(1, Reply::reset()));
  auto c = client(profile({fast()}));
  try {
    c->send(post(server.url("/orders")));
    FAIL() << "a reset POST returned a response";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::Transient);
    EXPECT_TRUE(e.sent());
  }
  EXPECT_EQ(server.count(), 1u);
  EXPECT_EQ(c->counters().retries, 0);
}

TEST_F(vendor_client, ASlotBeyondMaxInlineWaitParksTheJobForRateLimitWithoutSending) {
  cfg.maxInlineWait = milliseconds(1000);
  LoopbackServer server;
  // 2 per 4 s: spaced by 4 s.
  auto c = client(profile({limitClass("slow", 2, milliseconds(4000))}));
  ASSERT_EQ(c->send(get(server.url("/items"))).status, 200);
  const int64_t before = time::nowEpochMs();
  try {
    c->send(get(server.url("/items")));
    FAIL() << "sent without its slot";
  } catch (const WaitRequired& e) {
    EXPECT_EQ(e.reason(), "rate_limit");
    EXPECT_GE(e.untilMs(), before + 3800);
    EXPECT_LE(e.untilMs(), time::nowEpochMs() + 4000);
    const std::string m = e.what();
    const std::string start =
        "GET " + server.url("/items") + ": the rate limit of class 'slow' of tributary.test has no slot for ";
    const std::string end = " s (more than http.max_inline_wait, 1.0 s): the job waits";
    EXPECT_EQ(m.rfind(start, 0), 0u) << m;
    EXPECT_TRUE(m.size() > end.size() && m.compare(m.size() - end.size(), end.size(), end) == 0) << m;
  }
  EXPECT_EQ(server.count(), 1u);
  EXPECT_EQ(c->counters().rateLimitParks, 1);
  EXPECT_EQ(run.rateLimitParks, 1);
}

TEST_F(vendor_client, ARetryAfterBeyondMaxInlineWaitParksTheJobForRateLimit) {
  cfg.maxInlineWait = milliseconds(1000);
  LoopbackServer server(firstThenOk(1, Reply::withStatus(429, {{"Retry-After", "60"}})));
  auto c = client(profile({fast()}));
  const int64_t before = time::nowEpochMs();
  try {
    c->send(get(server.url("/items")));
    FAIL() << "waited a minute inline";
  } catch (const WaitRequired& e) {
    EXPECT_EQ(e.reason(), "rate_limit");
    EXPECT_GE(e.untilMs(), before + 59000);
    EXPECT_LE(e.untilMs(), time::nowEpochMs() + 60000);
  }
  EXPECT_EQ(server.count(), 1u);
}

TEST_F(vendor_client, A429AtTheLastAttemptParksTheJobForRateLimit) {
  cfg.retry.maxAttempts = 2;
  LoopbackServer server([](const Arrival&, size_t) { return Reply::withStatus(429, {{"Retry-After", "0"}}); });
  auto c = client(profile({fast()}));
  try {
    c->send(get(server.url("/items")));
    FAIL() << "returned after its attempts";
  } catch (const WaitRequired& e) {
    EXPECT_EQ(e.reason(), "rate_limit");
    EXPECT_EQ(std::string(e.what()),
              "GET " + server.url("/items") + " is still rate limited (429) after 2 attempts: the job waits");
  }
  EXPECT_EQ(server.count(), 2u);
  EXPECT_EQ(c->counters().http429s, 2);
}

TEST_F(vendor_client, AQuotaRuleParksTheJobForQuotaUntilRetryAfter) {
  LoopbackServer server(firstThenOk(1, Reply::withStatus(403, {{"Retry-After", "120"}}, kLimitBody)));
  auto c = client(profile({fast(), limitClass("daily", 1000, milliseconds(86'400'000), true, true)}, {quotaRule()}));
  const int64_t before = time::nowEpochMs();
  try {
    c->send(get(server.url("/query")));
    FAIL() << "a spent quota returned";
  } catch (const WaitRequired& e) {
    EXPECT_EQ(e.reason(), "quota");
    EXPECT_GE(e.untilMs(), before + 120'000);
    EXPECT_LE(e.untilMs(), time::nowEpochMs() + 120'000);
    EXPECT_EQ(std::string(e.what()), "GET " + server.url("/query") +
                                         ": the vendor's quota is spent (403 REQUEST_LIMIT_EXCEEDED (Salesforce's "
                                         "request limit)); the job waits 120.0 s (its Retry-After), quota wait 1 "
                                         "in a row");
  }
  EXPECT_EQ(server.count(), 1u);
  EXPECT_EQ(c->counters().quotaParks, 1);
}

TEST_F(vendor_client, AQuotaRuleWithoutRetryAfterParksForTheRulesWait) {
  LoopbackServer server(firstThenOk(1, Reply::withStatus(403, {}, kLimitBody)));
  auto c = client(profile({fast(), limitClass("daily", 1000, milliseconds(86'400'000), true, true)},
                          {quotaRule(milliseconds(7000))}));
  const int64_t before = time::nowEpochMs();
  try {
    c->send(get(server.url("/query")));
    FAIL() << "a spent quota returned";
  } catch (const WaitRequired& e) {
    EXPECT_EQ(e.reason(), "quota");
    EXPECT_GE(e.untilMs(), before + 7000);
    EXPECT_LE(e.untilMs(), time::nowEpochMs() + 7000);
  }
}

TEST_F(vendor_client, AQuotaRuleWithoutRetryAfterOrWaitParksForTheResetThePluginReported) {
  LoopbackServer server(firstThenOk(1, Reply::withStatus(403, {}, kLimitBody)));
  auto c = client(profile({fast(), limitClass("daily", 1000, milliseconds(86'400'000), true, true)}, {quotaRule()}));
  const int64_t reset = time::nowEpochMs() + 3000;
  c->report("daily", 10, reset);
  try {
    c->send(get(server.url("/query")));
    FAIL() << "a spent quota returned";
  } catch (const WaitRequired& e) {
    EXPECT_EQ(e.reason(), "quota");
    EXPECT_GE(e.untilMs(), reset - 50);
    EXPECT_LE(e.untilMs(), reset + 50);
  }
}

TEST_F(vendor_client, AQuotaWithNoTimeIsRecheckedAfterQuotaRecheckDoubledPerWaitInARowAndASuccessResetsIt) {
  cfg.quotaRecheck = milliseconds(200);
  // 403 three times, a success, then 403 again.
  LoopbackServer server(
      [](const Arrival&, size_t i) { return i == 3 ? Reply::ok() : Reply::withStatus(403, {}, kLimitBody); });
  auto c = client(profile({fast(), limitClass("daily", 1000, milliseconds(86'400'000), true, true)}, {quotaRule()}));
  // How long after the 403 arrived the job is parked for.
  auto parkedFor = [&]() -> int64_t {
    try {
      c->send(get(server.url("/query")));
    } catch (const WaitRequired& e) {
      EXPECT_EQ(e.reason(), "quota");
      return e.untilMs() - server.arrivals().back().epochMs;
    }
    return -1;  // not parked
  };
  const int64_t first = parkedFor(), second = parkedFor(), third = parkedFor();
  EXPECT_GE(first, 200);
  EXPECT_LE(first, 300);
  EXPECT_GE(second, 400);
  EXPECT_LE(second, 500);
  EXPECT_GE(third, 800);
  EXPECT_LE(third, 900);
  EXPECT_EQ(parkedFor(), -1) << "the fourth (after the third wait, inline) succeeds";
  const int64_t afterSuccess = parkedFor();
  EXPECT_GE(afterSuccess, 200) << "a success starts the doubling again";
  EXPECT_LE(afterSuccess, 300);
  EXPECT_EQ(server.count(), 5u);
  EXPECT_EQ(c->counters().quotaParks, 4);
}

// An unreadable Retry-After is no Retry-After: the rule's wait applies (RetryRules.h: "nullopt
// when it has none or it cannot be read").
TEST_F(vendor_client, AnUnreadableRetryAfterOnAQuotaFallsBackToTheRulesWait) {
  LoopbackServer server(firstThenOk(1, Reply::withStatus(403, {{"Retry-After", "soon"}}, kLimitBody)));
  auto c = client(profile({fast(), limitClass("daily", 1000, milliseconds(86'400'000), true, true)},
                          {quotaRule(milliseconds(7000))}));
  const int64_t before = time::nowEpochMs();
  try {
    c->send(get(server.url("/query")));
    FAIL() << "a spent quota returned";
  } catch (const WaitRequired& e) {
    EXPECT_EQ(e.reason(), "quota");
    EXPECT_GE(e.untilMs(), before + 7000) << "parked for " << e.untilMs() - before << " ms, not the rule's 7 s";
    EXPECT_LE(e.untilMs(), time::nowEpochMs() + 7000);
  }
}

TEST_F(vendor_client, AnEveryRequestClassSpacesTheRequestsOfEveryClass) {
  LoopbackServer server;
  // "burst" counts every request: 2 per 600 ms, spaced by 600 ms; rest and search are plenty.
  auto c = client(profile({fast(), limitClass("search", 1000, milliseconds(1000)),
                           limitClass("burst", 2, milliseconds(600), false, true)}));
  HttpRequest search = get(server.url("/search"));
  search.limitClass = "search";
  ASSERT_EQ(c->send(get(server.url("/items"))).status, 200);
  ASSERT_EQ(c->send(search).status, 200);
  ASSERT_EQ(c->send(get(server.url("/items"))).status, 200);
  auto a = server.arrivals();
  ASSERT_EQ(a.size(), 3u);
  EXPECT_GE(msBetween(a[0], a[1]), 595) << "a request of another class skipped the every-request class";
  EXPECT_GE(msBetween(a[1], a[2]), 595);
}

// A points class: each request costs its points. The spacing must keep any window of the class's
// `per` within its budget, as a plain class's does (costOf: "any closed window of `per` then holds
// at most floor(per / T) + 1 requests"). Read from the budget's row: the slots of back-to-back
// requests are exactly one cost apart.
TEST_F(vendor_client, APointsClassSpacesSoThatNoWindowSeesMoreThanItsBudget) {
  LoopbackServer server;
  LimitClass points = limitClass("points", 10, milliseconds(1000));
  points.points = true;
  auto c = client(profile({points}));
  db::Connection conn(db.conninfo());
  auto tat = [&] {
    return conn.exec("SELECT tat_us FROM http_rate_budgets WHERE account = 'acct' AND class = 'points'").int64(0, 0);
  };
  ASSERT_EQ(c->send(get(server.url("/items"))).status, 200);
  const int64_t first = tat();
  ASSERT_EQ(c->send(get(server.url("/items"))).status, 200);
  const int64_t spacingUs = tat() - first;
  // 11 requests of 1 point at this spacing: the first and the 11th in one closed second would be
  // 11 points in a window of a 10-point budget.
  EXPECT_GT(10 * spacingUs, 1'000'000) << "1-point requests spaced by " << spacingUs << " us";

  HttpRequest heavy = get(server.url("/items"));
  heavy.cost = 5;
  ASSERT_EQ(c->send(heavy).status, 200);
  EXPECT_EQ(tat() - first - spacingUs, 5 * spacingUs) << "a request of 5 points moved the budget by 5 points";
}

// "A rate limit was hit: the class's shared budget waits (Retry-After, else wait_ms, else the
// backoff) and the request is sent again" (connector_abi.h): again after the wait, whichever class
// the rule names.
TEST_F(vendor_client, ARateLimitRuleNamingAnotherClassStillSendsTheRequestAgainOnlyAfterTheWait) {
  VendorRule burst;
  burst.action = RuleAction::RateLimit;
  burst.status = 429;
  burst.errorCode = "BURST";
  burst.limitClass = "search";
  burst.wait = milliseconds(500);
  LoopbackServer server(firstThenOk(1, Reply::withStatus(429, {}, R"({"policyName":"BURST"})")));
  auto c = client(profile({fast(), limitClass("search", 1000, milliseconds(1000))}, {burst}));
  EXPECT_EQ(c->send(get(server.url("/items"))).status, 200);
  auto a = server.arrivals();
  ASSERT_EQ(a.size(), 2u);
  EXPECT_GE(msBetween(a[0], a[1]), 500) << "sent again " << msBetween(a[0], a[1]) << " ms after the rate limit";
}

TEST_F(vendor_client, WithoutClassesA429StillWaitsItsRetryAfterBeforeTheRetry) {
  LoopbackServer server(firstThenOk(1, Reply::withStatus(429, {{"Retry-After", "1"}})));
  auto c = client(profile({}));
  EXPECT_EQ(c->send(get(server.url("/items"))).status, 200);
  auto a = server.arrivals();
  ASSERT_EQ(a.size(), 2u);
  EXPECT_GE(usFromAnswerTo(a[0], a[1]), 1'000'000)
      << "sent again " << usFromAnswerTo(a[0], a[1]) << " us after the 429 with Retry-After: 1";
  EXPECT_EQ(c->counters().retries, 1);
}

TEST_F(vendor_client, ARequestNamingAnUndeclaredClassIsAnInvalidRequestNamingTheKnownOnes) {
  LoopbackServer server;
  auto c = client(profile({fast(), limitClass("search", 5, milliseconds(1000))}));
  HttpRequest r = get(server.url("/items"));
  r.limitClass = "serach";
  try {
    c->send(r);
    FAIL() << "sent with an undeclared class";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::InvalidRequest);
    EXPECT_EQ(std::string(e.what()), "GET " + server.url("/items") +
                                         " names the rate-limit class 'serach', which tributary.test does not "
                                         "declare (known: rest, search)");
  }
  EXPECT_EQ(server.count(), 0u);
}

TEST_F(vendor_client, ARequestNamingAClassOfAVendorWithNoneIsAnInvalidRequest) {
  LoopbackServer server;
  auto c = client(profile({}));
  HttpRequest r = get(server.url("/items"));
  r.limitClass = "rest";
  try {
    c->send(r);
    FAIL() << "sent with an undeclared class";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::InvalidRequest);
    EXPECT_EQ(std::string(e.what()),
              "GET " + server.url("/items") + " names the rate-limit class 'rest', but tributary.test declares none");
  }
  EXPECT_EQ(server.count(), 0u);
}

TEST_F(vendor_client, AReportOfNothingLeftUntilAResetHoldsTheNextRequestUntilThen) {
  LoopbackServer server;
  auto c = client(profile({fast()}));
  const int64_t reset = time::nowEpochMs() + 2000;
  c->report("rest", 0, reset);
  ASSERT_EQ(c->send(get(server.url("/items"))).status, 200);
  auto a = server.arrivals();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_GE(a[0].epochMs, reset - 15) << "sent " << reset - a[0].epochMs << " ms before the reported reset";
  EXPECT_LT(a[0].epochMs, reset + 1000);
  EXPECT_EQ(c->counters().waits, 1);
}

TEST_F(vendor_client, AReportOfAnUndeclaredClassIsRefusedNamingTheKnownOnes) {
  auto c = client(profile({fast()}));
  try {
    c->report("daily", 0, std::nullopt);
    FAIL() << "an undeclared class was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "report_rate_limit names the class 'daily', which tributary.test does not declare (known: rest)");
  }
}

TEST_F(vendor_client, CancellationDuringAWaitThrowsWaitCancelledPromptly) {
  LoopbackServer server;
  auto c = client(profile({limitClass("slow", 2, milliseconds(4000))}));  // 4 s apart, inline
  ASSERT_EQ(c->send(get(server.url("/items"))).status, 200);
  std::thread canceller([this] {
    std::this_thread::sleep_for(milliseconds(300));
    cancelled = true;
  });
  const auto start = std::chrono::steady_clock::now();
  try {
    c->send(get(server.url("/items")));
    ADD_FAILURE() << "the wait ran to its end";
  } catch (const WaitCancelled& e) {
    EXPECT_EQ(std::string(e.what()), "cancelled while waiting: rate-limit slot of class 'slow'");
  }
  const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
  canceller.join();
  EXPECT_GE(took, 250);
  EXPECT_LT(took, 1500) << "the cancellation was noticed late (the wait was 4 s)";
  EXPECT_EQ(server.count(), 1u);
}

TEST_F(vendor_client, ACancelledRunSendsNothing) {
  LoopbackServer server;
  auto c = client(profile({fast()}));
  cancelled = true;
  EXPECT_THROW(c->send(get(server.url("/items"))), WaitCancelled);
  EXPECT_EQ(server.count(), 0u);
}
