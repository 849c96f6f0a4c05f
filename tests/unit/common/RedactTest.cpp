#include "common/Redact.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace tributary;
using redact::text;

// Every test remembers values of its own (the registry is the process's), so they run in any
// order.

TEST(Redact, AuthorizationAndCookieHeadersLoseTheirValueToTheEndOfTheLine) {
  EXPECT_EQ(text("Authorization: Bearer abc.def.ghi\r\nAccept: */*"), "Authorization: [redacted]\r\nAccept: */*");
  EXPECT_EQ(text("proxy-authorization:Basic Zm9vOmJhcg=="), "proxy-authorization:[redacted]");
  EXPECT_EQ(text("Cookie: sid=1; theme=dark\nSet-Cookie: sid=2; HttpOnly"),
            "Cookie: [redacted]\nSet-Cookie: [redacted]");
  EXPECT_EQ(text("sent headers {X-Api-Key: k-123}"), "sent headers {X-Api-Key: [redacted]");
  EXPECT_EQ(text("X-HubSpot-Auth-Token: pat-na1-xyz"), "X-HubSpot-Auth-Token: [redacted]");
  EXPECT_EQ(text("x-goog-api-key: AIza12"), "x-goog-api-key: [redacted]");
  EXPECT_EQ(text("AUTHORIZATION: x"), "AUTHORIZATION: [redacted]");
}

TEST(Redact, QueryAndFormParametersLoseTheirValueUpToTheNextParameter) {
  EXPECT_EQ(text("GET https://api.example.com/v1/deals?limit=10&access_token=ya29.a0AfH6SM&after=5 failed"),
            "GET https://api.example.com/v1/deals?limit=10&access_token=[redacted]&after=5 failed");
  EXPECT_EQ(text("grant_type=refresh_token&refresh_token=1//0gAbC&client_id=abc&client_secret=s3cr3t"),
            "grant_type=refresh_token&refresh_token=[redacted]&client_id=abc&client_secret=[redacted]");
  EXPECT_EQ(text("id_token=eyJhbGci.x.y"), "id_token=[redacted]");
  EXPECT_EQ(text("?hapikey=demo-key-1 "), "?hapikey=[redacted] ");
  EXPECT_EQ(text("api_key=k1&apikey=k2&token=k3"), "api_key=[redacted]&apikey=[redacted]&token=[redacted]");
  EXPECT_EQ(text("\"url\":\"https://x.test/?ACCESS_TOKEN=abc\""),
            "\"url\":\"https://x.test/?ACCESS_TOKEN=[redacted]\"");
  EXPECT_EQ(text("code_verifier=dBjftJeZ4CVP"), "code_verifier=[redacted]");
}

TEST(Redact, PasswordsOfConninfoStringsAndUrlsGo) {
  EXPECT_EQ(text("host=/tmp port=5432 password=hunter22 dbname=t"), "host=/tmp port=5432 password=[redacted] dbname=t");
  EXPECT_EQ(text("host=/tmp password='a b c' dbname=t"), "host=/tmp password='[redacted]' dbname=t");
  EXPECT_EQ(text("postgresql://tributary:s3cret@db.internal:5432/tributary"),
            "postgresql://tributary:[redacted]@db.internal:5432/tributary");
  EXPECT_EQ(text("https://user@example.com/x"), "https://user@example.com/x");
  EXPECT_EQ(text("https://example.com/a:b@c"), "https://example.com/a:b@c");
}

TEST(Redact, OauthCodeGoesOnlyAsAUrlOrFormParameter) {
  EXPECT_EQ(text("GET /oauth/callback?code=4/0AX4XfWh&state=abc.def 200"),
            "GET /oauth/callback?code=[redacted]&state=abc.def 200");
  EXPECT_EQ(text("grant_type=authorization_code&code=SplxlOBe&redirect_uri=x"),
            "grant_type=authorization_code&code=[redacted]&redirect_uri=x");
  EXPECT_EQ(text("code=SplxlOBe&grant_type=authorization_code"), "code=[redacted]&grant_type=authorization_code");
  EXPECT_EQ(text("worker exited with code=1"), "worker exited with code=1");
  EXPECT_EQ(text("error_code=INVALID_SESSION_ID"), "error_code=INVALID_SESSION_ID");
}

TEST(Redact, JsonMembersWithAStringValueGo) {
  EXPECT_EQ(text(R"({"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer"})"),
            R"({"access_token":"[redacted]","expires_in":3599,"token_type":"Bearer"})");
  EXPECT_EQ(text(R"({"refresh_token" : "r-1", "id_token": "i\"2", "client_secret":"c"})"),
            R"({"refresh_token" : "[redacted]", "id_token": "[redacted]", "client_secret":"[redacted]"})");
  EXPECT_EQ(text(R"({"Password":"p","api_key":"k","scope":"read"})"),
            R"({"Password":"[redacted]","api_key":"[redacted]","scope":"read"})");
  // A body echoed inside another JSON string: escaped once more.
  EXPECT_EQ(text(R"("body":"{\"access_token\":\"ya29.x\",\"scope\":\"a\"}")"),
            R"("body":"{\"access_token\":\"[redacted]\",\"scope\":\"a\"}")");
  // Not a string: a number or null tells nothing.
  EXPECT_EQ(text(R"({"password": null, "token": 5})"), R"({"password": null, "token": 5})");
}

TEST(Redact, BearerAndBasicCredentialsGoWithoutTheirHeaderName) {
  EXPECT_EQ(text("sent Bearer eyJhbGciOiJI.eyJzdWIi.sig to /v1"), "sent Bearer [redacted] to /v1");
  EXPECT_EQ(text("with basic dXNlcjpwYXNz"), "with basic [redacted]");
  EXPECT_EQ(text("Basic authentication failed"), "Basic authentication failed");
  EXPECT_EQ(text("a bearer token is required"), "a bearer token is required");
}

TEST(Redact, OrdinaryTextStaysAsItIs) {
  for (const char* s : {"tokens synced: 5",
                        "state=abc",
                        "tokens=5",
                        "page_token=abc123&limit=5",
                        "next_page_token: CAUQAA",
                        "connections[0].settings.password: set it with ${ENV}",
                        "job 8f3c (sync) failed attempt 1/3: GET https://api.test/v1/x answered 500",
                        "12:30:05 the cookies were eaten",
                        "secret_file: /etc/tributary/token",
                        "a=b&c=d",
                        "https://api.hubapi.com/crm/v3/objects/deals?limit=100&after=abc",
                        "",
                        ":",
                        "=",
                        "b",
                        "\"\":\"\"",
                        "http://",
                        "password=",
                        "Authorization:",
                        "\"token\":"}) {
    EXPECT_EQ(text(s), s) << s;
  }
}

TEST(Redact, NamesMatchWhateverTheirCaseAndSeparator) {
  EXPECT_TRUE(redact::secretName("Access-Token"));
  EXPECT_TRUE(redact::secretName("CLIENT_SECRET"));
  EXPECT_TRUE(redact::secretName("x-api-key"));
  EXPECT_TRUE(redact::secretName("db_password"));
  EXPECT_TRUE(redact::secretName("Set-Cookie"));
  EXPECT_FALSE(redact::secretName("page_token"));
  EXPECT_FALSE(redact::secretName("tokens"));
  EXPECT_FALSE(redact::secretName("state"));
  EXPECT_FALSE(redact::secretName("secret_file"));
  EXPECT_FALSE(redact::secretName(""));
}

TEST(Redact, RememberedValuesGoWhereverTheyStand) {
  redact::remember("tok-remembered-0001");
  EXPECT_EQ(text("the vendor said: invalid tok-remembered-0001 (expired)"),
            "the vendor said: invalid [redacted] (expired)");
  EXPECT_EQ(text("tok-remembered-0001tok-remembered-0001"), "[redacted]");
  EXPECT_EQ(text("tok-remembered-000"), "tok-remembered-000");
}

TEST(Redact, RememberedValuesGoInTheirPercentEncodedAndJsonForms) {
  redact::remember("p@ss word/+=0002");
  EXPECT_EQ(text("body: user=a&pw=p%40ss%20word%2F%2B%3D0002&x=1"), "body: user=a&pw=[redacted]&x=1");
  EXPECT_EQ(text("pw=p%40ss%20word%2f%2b%3d0002"), "pw=[redacted]");
  EXPECT_EQ(text("pw=p%40ss+word%2F%2B%3D0002"), "pw=[redacted]");
  redact::remember("quote\"back\\slash-0003");
  EXPECT_EQ(text(R"({"note":"quote\"back\\slash-0003"})"), R"({"note":"[redacted]"})");
}

TEST(Redact, BasicCredentialsGoAsTheirBase64Pair) {
  redact::rememberBasic("someone", "pw-basic-0004");
  // base64("someone:pw-basic-0004")
  EXPECT_EQ(text("header c29tZW9uZTpwdy1iYXNpYy0wMDA0 sent"), "header [redacted] sent");
  EXPECT_EQ(text("the password pw-basic-0004 was refused"), "the password [redacted] was refused");
}

TEST(Redact, ShortValuesAreNotRemembered) {
  const auto before = redact::rememberedCount();
  redact::remember("1234567");
  redact::remember("");
  EXPECT_EQ(redact::rememberedCount(), before);
  EXPECT_EQ(text("order 1234567 shipped"), "order 1234567 shipped");
}

TEST(Redact, TheLongestRememberedValueWinsAtOnePlace) {
  redact::remember("overlap-0005");
  redact::remember("overlap-0005-longer");
  EXPECT_EQ(text("x overlap-0005-longer y overlap-0005 z"), "x [redacted] y [redacted] z");
}

TEST(Redact, OverlappingRememberedValuesGoWhole) {
  redact::remember("abcd-overlap-0007");
  redact::remember("overlap-0007-tail-wxyz");
  EXPECT_EQ(text("x abcd-overlap-0007-tail-wxyz y"), "x [redacted] y");
}

// Text made of the scanner's triggers, quotes and fragments of remembered values, cut anywhere:
// no remembered value survives, and nothing reads out of bounds (the unit label runs under
// ASan and UBSan too).
TEST(Redact, RandomTextNeverKeepsARememberedValue) {
  const std::vector<std::string> secrets = {"fuzz-secret-0008", "fuzz/s%cr=t 0009", "fuzz\"q\\0010xyz"};
  for (const auto& s : secrets) redact::remember(s);
  const std::vector<std::string> pieces = {"access_token=",
                                           "code=",
                                           "?",
                                           "&",
                                           "\"",
                                           "\\\"",
                                           ":",
                                           "://",
                                           "@",
                                           " ",
                                           "\n",
                                           "\r",
                                           "=",
                                           "'",
                                           "Bearer ",
                                           "basic ",
                                           "Cookie:",
                                           "token",
                                           "\"password\"",
                                           "x",
                                           "fuzz-",
                                           "secret",
                                           "0",
                                           "%2F",
                                           "user:pw@",
                                           "{",
                                           "}",
                                           "[redacted]"};
  std::mt19937 rng(16);
  for (int round = 0; round < 20000; ++round) {
    std::string in;
    const int n = static_cast<int>(rng() % 24);
    for (int i = 0; i < n; ++i) {
      if (rng() % 5 == 0) {
        const auto& s = secrets[rng() % secrets.size()];
        in += s.substr(0, rng() % (s.size() + 1));
        if (rng() % 2) in += s;
      } else {
        in += pieces[rng() % pieces.size()];
      }
    }
    const std::string out = text(in.substr(0, rng() % (in.size() + 1)));
    for (const auto& s : secrets) ASSERT_EQ(out.find(s), std::string::npos) << "in: " << in << "\nout: " << out;
  }
}

TEST(Redact, JsonRedactsEveryStringAndTheValuesOfSecretKeys) {
  redact::remember("json-secret-0006");
  const Json in = {{"streams", {{"deals", {{"error", "GET /x?access_token=abc failed"}}}}},
                   {"list", {"a json-secret-0006 b", 5, nullptr, true}},
                   {"auth", {{"refresh_token", "anything"}, {"client_secret", ""}, {"expires_in", 3600}}},
                   {"X-Api-Key", "k"},
                   {"page_token", "cursor-1"}};
  const Json out = redact::json(in);
  EXPECT_EQ(out["streams"]["deals"]["error"], "GET /x?access_token=[redacted] failed");
  EXPECT_EQ(out["list"], (Json{"a [redacted] b", 5, nullptr, true}));
  EXPECT_EQ(out["auth"]["refresh_token"], "[redacted]");
  EXPECT_EQ(out["auth"]["client_secret"], "");
  EXPECT_EQ(out["auth"]["expires_in"], 3600);
  EXPECT_EQ(out["X-Api-Key"], "[redacted]");
  EXPECT_EQ(out["page_token"], "cursor-1");
  // Key order is kept.
  EXPECT_EQ(out.begin().key(), "streams");
}

TEST(Redact, ManyThreadsRememberAndRedactAtOnce) {
  constexpr int kThreads = 8, kEach = 50;
  std::atomic<int> leaks{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &leaks] {
      for (int i = 0; i < kEach; ++i) {
        const std::string secret = "thread-" + std::to_string(t) + "-secret-" + std::to_string(i);
        redact::remember(secret);
        const std::string out = text("before " + secret + " after");
        if (out != "before [redacted] after") ++leaks;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(leaks.load(), 0);
  EXPECT_LE(redact::rememberedCount(), 4096u);
}
