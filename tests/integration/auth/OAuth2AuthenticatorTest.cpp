// auth::OAuth2Authenticator and auth::ConnectFlow against PostgreSQL (auth_credentials,
// oauth_states) and a loopback vendor whose token endpoint and API the tests script: the token
// refreshed ahead of its expiry, a refusal refreshed once and sent again, one refresh however many
// runs see the same expired token at once, a refused refresh token marking the credential until
// the connect flow runs again, and an expired state.
#include "auth/OAuth2Authenticator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "LoopbackServer.h"
#include "TestSupport.h"
#include "auth/ConnectFlow.h"
#include "auth/CredentialStore.h"
#include "common/Strings.h"
#include "db/Connection.h"
#include "db/Migrator.h"
#include "http/HttpService.h"
#include "http/VendorClient.h"
#include "secrets/KeyRing.h"

using namespace tributary;
using http::testing::Arrival;
using http::testing::LoopbackServer;
using http::testing::Reply;
using std::chrono::milliseconds;

namespace {

std::string formField(const std::string& body, const std::string& name) {
  for (const auto& pair : strings::split(body, '&')) {
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string::npos ? "" : pair.substr(eq + 1);
  }
  return "";
}

std::string header(const Arrival& a, const std::string& name) {
  for (const auto& [k, v] : a.headers) {
    if (strings::toLower(k) == strings::toLower(name)) return v;
  }
  return "";
}

struct oauth2_authenticator : ::testing::Test {
  test::TestDatabase db;
  test::TempDir dir;
  std::shared_ptr<secrets::KeyRing> ring;
  std::unique_ptr<db::Pool> pool;
  std::unique_ptr<http::HttpService> service;
  std::string connectionId;
  // The vendor: tokens it issued (the newest is the one its API accepts unless `acceptAll`).
  std::mutex mutex;
  int issued = 0;
  int expiresIn = 3600;
  bool refuseRefresh = false;
  int tokenDelayMs = 0;

  void SetUp() override {
    db::Connection conn(db.conninfo());
    db::Migrator(conn, test::migrationsDir()).apply();
    auto ws = conn.exec("INSERT INTO workspaces (slug, name) VALUES ('acme', 'Acme') RETURNING id");
    connectionId = conn.exec(
                           "INSERT INTO connections (workspace_id, name, connector) VALUES ($1::uuid, 'sf',"
                           " 'tributary.fixture_auth') RETURNING id",
                           ws.text(0, 0))
                       .text(0, 0);
    ring = secrets::KeyRing::loadOrCreate(dir / "secret.key");
    pool = std::make_unique<db::Pool>(db.conninfo(), config::PoolConfig{1, 8, milliseconds(60000), true});
    service = std::make_unique<http::HttpService>(config::HttpConfig{});
    service->setKeyRing([r = ring] { return r; });
  }

  Reply tokenAnswer(const Arrival& a) {
    std::lock_guard lock(mutex);
    if (tokenDelayMs) std::this_thread::sleep_for(milliseconds(tokenDelayMs));
    const std::string grant = formField(a.body, "grant_type");
    if (grant == "refresh_token" && refuseRefresh) {
      return Reply::withStatus(400, {{"Content-Type", "application/json"}},
                               R"({"error":"invalid_grant","error_description":"expired access/refresh token"})");
    }
    ++issued;
    Json body{{"access_token", "at-" + std::to_string(issued)},
              {"token_type", "Bearer"},
              {"instance_url", "https://eu1.example.com"}};
    if (expiresIn > 0) body["expires_in"] = expiresIn;
    if (grant == "authorization_code") body["refresh_token"] = "rt-1";
    return Reply::withStatus(200, {{"Content-Type", "application/json"}}, body.dump());
  }

  auth::AuthSettings settings(const LoopbackServer& vendor) const {
    auth::AuthSettings s;
    s.type = plugins::AuthType::OAuth2;
    s.label = "acme/sf";
    s.workspace = "acme";
    s.connection = "sf";
    s.connectionId = connectionId;
    s.credential = "connection:" + connectionId;
    s.paramName = "Authorization";
    s.valuePrefix = "Bearer ";
    s.tokenUrl = vendor.url("/token");
    s.authorizeUrl = vendor.url("/authorize");
    s.redirectUri = "http://127.0.0.1:1/oauth/callback";
    s.clientId = "client";
    s.clientSecret = "client-secret-value";
    return s;
  }

  // Tokens as the connect flow would have stored them (the vendor's first answer).
  void connected(const LoopbackServer& vendor, int expiresInS) {
    auto c = pool->acquire();
    auth::TokenAnswer a;
    a.accessToken = "at-0";
    a.refreshToken = "rt-1";
    a.expiresInS = expiresInS;
    a.extra = Json{{"instance_url", "https://eu1.example.com"}};
    auth::CredentialStore(*ring).store(*c, "connection:" + connectionId, connectionId, a, "", false);
    (void)vendor;
  }

  size_t refreshes(const LoopbackServer& vendor) const {
    size_t n = 0;
    for (const auto& a : vendor.arrivals())
      n += a.uri == "/token" && formField(a.body, "grant_type") == "refresh_token";
    return n;
  }
};

}  // namespace

TEST_F(oauth2_authenticator, ATokenAboutToExpireIsRefreshedBeforeItIsSentAndTheRefreshTokenIsKept) {
  LoopbackServer vendor([&](const Arrival& a, size_t) { return a.uri == "/token" ? tokenAnswer(a) : Reply::ok(); });
  connected(vendor, 1);  // expires in 1 s: refreshed from 0.9 s on (a tenth of its life ahead)
  auth::OAuth2Authenticator auth(settings(vendor), *pool, *service, {});
  http::HttpRequest r;
  r.url = vendor.url("/api");
  EXPECT_EQ(auth.apply(r), 1u);
  EXPECT_EQ(r.headers.back().second, "Bearer at-0");
  EXPECT_EQ(refreshes(vendor), 0u);

  std::this_thread::sleep_for(milliseconds(950));
  http::HttpRequest later;
  later.url = vendor.url("/api");
  EXPECT_EQ(auth.apply(later), 2u);
  EXPECT_EQ(later.headers.back().second, "Bearer at-1");
  ASSERT_EQ(refreshes(vendor), 1u);
  const Arrival sent = vendor.arrivals().back();
  EXPECT_EQ(formField(sent.body, "refresh_token"), "rt-1");
  EXPECT_EQ(formField(sent.body, "client_id"), "client");

  // The vendor gave no new refresh token: the old one is kept for the next refresh.
  auto c = pool->acquire();
  const auto stored = auth::CredentialStore(*ring).load(*c, "connection:" + connectionId);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->refreshToken, "rt-1");
  EXPECT_EQ(stored->accessToken, "at-1");
  EXPECT_EQ(stored->refreshCount, 1);
  EXPECT_FALSE(stored->refreshStartedAtMs) << "the refresh's marker was left behind";
}

TEST_F(oauth2_authenticator, FourRunsRefusedAtOnceRefreshOnceAndAllSendTheNewToken) {
  tokenDelayMs = 300;  // a slow token endpoint, so that every run is waiting while one refreshes
  LoopbackServer vendor([&](const Arrival& a, size_t) { return a.uri == "/token" ? tokenAnswer(a) : Reply::ok(); });
  connected(vendor, 3600);
  std::vector<std::unique_ptr<auth::OAuth2Authenticator>> runs;
  std::vector<uint64_t> seen;
  for (int i = 0; i < 4; ++i) {
    runs.push_back(std::make_unique<auth::OAuth2Authenticator>(settings(vendor), *pool, *service, nullptr));
    http::HttpRequest r;
    seen.push_back(runs.back()->apply(r));
  }
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      if (runs[i]->refreshAfterRejection(seen[i])) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(refreshes(vendor), 1u) << "more than one refresh reached the vendor";
  for (auto& run : runs) {
    http::HttpRequest r;
    EXPECT_EQ(run->apply(r), 2u);
    EXPECT_EQ(r.headers.back().second, "Bearer at-1");
  }
}

TEST_F(oauth2_authenticator, TheVendorClientResendsARequestRefusedForItsTokenOnceWithTheNewOne) {
  std::atomic<int> apiCalls{0};
  LoopbackServer vendor([&](const Arrival& a, size_t) {
    if (a.uri == "/token") return tokenAnswer(a);
    ++apiCalls;
    // Only the newest token works; "at-9" never exists, so the second test below is refused twice.
    if (header(a, "Authorization") == "Bearer at-" + std::to_string(issued)) return Reply::ok("data");
    return Reply::withStatus(401, {{"Content-Type", "application/json"}},
                             R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])");
  });
  connected(vendor, 0);  // no expiry given (Salesforce): only the vendor's refusal says so
  {
    auto c = pool->acquire();
    auth::TokenAnswer a;
    a.accessToken = "at-stale";
    a.refreshToken = "rt-1";
    auth::CredentialStore(*ring).store(*c, "connection:" + connectionId, connectionId, a, "", false);
  }
  http::VendorProfile profile;
  profile.vendor = "tributary.fixture_auth";
  profile.label = "acme/sf";
  profile.account = "conn:acme/sf";
  http::VendorRule rule;
  rule.action = http::RuleAction::RefreshAuth;
  rule.status = 401;
  rule.errorCode = "INVALID_SESSION_ID";
  profile.rules.push_back(rule);
  http::VendorClient client(*service, nullptr, profile, {});
  client.setAuthenticator(std::make_unique<auth::OAuth2Authenticator>(settings(vendor), *pool, *service, nullptr));

  http::HttpRequest post;
  post.method = "POST";  // not repeatable, yet resent: a refused credential had no effect
  post.url = vendor.url("/api");
  post.body = "{}";
  const auto res = client.send(post);
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(apiCalls.load(), 2);
  EXPECT_EQ(refreshes(vendor), 1u);
  EXPECT_EQ(client.authValue("instance_url"), "https://eu1.example.com");

  // A request marked NO_AUTH carries no credential at all.
  http::HttpRequest bare;
  bare.url = vendor.url("/download");
  bare.noAuth = true;
  client.send(bare);
  EXPECT_EQ(header(vendor.arrivals().back(), "Authorization"), "");
}

TEST_F(oauth2_authenticator, ARefusedRefreshTokenMarksTheCredentialAndLaterRunsFailAtOnceNamingTheCommand) {
  refuseRefresh = true;
  LoopbackServer vendor([&](const Arrival& a, size_t) { return a.uri == "/token" ? tokenAnswer(a) : Reply::ok(); });
  connected(vendor, 3600);
  auth::OAuth2Authenticator first(settings(vendor), *pool, *service, nullptr);
  http::HttpRequest r;
  const uint64_t v = first.apply(r);
  try {
    first.refreshAfterRejection(v);
    FAIL() << "a refused refresh token was not an error";
  } catch (const http::HttpError& e) {
    EXPECT_EQ(e.kind(), http::HttpError::Kind::Credential);
    EXPECT_NE(std::string(e.what()).find("invalid_grant"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tributary oauth authorize acme sf"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("rt-1"), std::string::npos) << "the message holds the refresh token";
  }
  EXPECT_EQ(refreshes(vendor), 1u);
  // The next run does not ask the vendor again.
  auth::OAuth2Authenticator next(settings(vendor), *pool, *service, nullptr);
  http::HttpRequest r2;
  EXPECT_THROW(next.apply(r2), http::HttpError);
  EXPECT_EQ(refreshes(vendor), 1u);
}

TEST_F(oauth2_authenticator, AStatePastItsExpiryIsRefusedAndAFreshOneConnects) {
  LoopbackServer vendor([&](const Arrival& a, size_t) { return a.uri == "/token" ? tokenAnswer(a) : Reply::ok(); });
  auth::ConnectFlow flow(ring, service->transport());
  auto c = pool->acquire();
  const auto s = settings(vendor);
  const auto expired = flow.begin(*c, s, "", milliseconds(1));
  std::this_thread::sleep_for(milliseconds(20));
  try {
    flow.finish(*c, s, expired.state, "code-1");
    FAIL() << "an expired state connected";
  } catch (const auth::ConnectError& e) {
    EXPECT_EQ(e.code(), "expired_state") << e.what();
    EXPECT_EQ(e.status(), 400);
  }
  EXPECT_EQ(vendor.count(), 0u) << "an expired state reached the vendor";
  const auto fresh = flow.begin(*c, s);
  EXPECT_NE(fresh.url.find("state="), std::string::npos);
  EXPECT_NE(fresh.url.find("client_id=client"), std::string::npos);
  const auto done = flow.finish(*c, s, fresh.state, "code-2");
  EXPECT_EQ(done.version, 1u);
  ASSERT_EQ(vendor.count(), 1u);
  EXPECT_EQ(formField(vendor.arrivals()[0].body, "code"), "code-2");
  EXPECT_EQ(formField(vendor.arrivals()[0].body, "grant_type"), "authorization_code");
}
