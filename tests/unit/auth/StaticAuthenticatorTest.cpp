// What the host adds to a request for a static credential (bearer, basic, api_key in a header or
// the query), and the encodings the connect flow relies on.
#include "auth/StaticAuthenticator.h"

#include <gtest/gtest.h>

#include "auth/Encoding.h"
#include "common/Base64.h"
#include "http/HttpError.h"

using namespace tributary;
using namespace tributary::auth;

namespace {

AuthSettings settings(plugins::AuthType type) {
  AuthSettings s;
  s.type = type;
  s.label = "acme/x";
  s.paramName = "Authorization";
  s.valuePrefix = type == plugins::AuthType::ApiKey ? "" : "Bearer ";
  return s;
}

std::vector<std::string> named(const http::HttpRequest& r, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : r.headers) {
    if (k == name) out.push_back(v);
  }
  return out;
}

}  // namespace

TEST(StaticAuthenticator, ABearerTokenReplacesAnyAuthorizationThePluginSet) {
  auto s = settings(plugins::AuthType::Bearer);
  s.token = "pat-na1-secret";
  StaticAuthenticator a(s);
  http::HttpRequest r;
  r.url = "https://api.hubapi.com/crm/v3/objects/deals";
  r.headers = {{"authorization", "Bearer the-plugins-own"}, {"Accept", "application/json"}};
  EXPECT_EQ(a.apply(r), 0u);
  EXPECT_EQ(named(r, "Authorization"), std::vector<std::string>{"Bearer pat-na1-secret"});
  EXPECT_TRUE(named(r, "authorization").empty());
  EXPECT_EQ(named(r, "Accept"), std::vector<std::string>{"application/json"});
  EXPECT_FALSE(a.refreshAfterRejection(0));
}

TEST(StaticAuthenticator, BasicIsTheBase64OfUserColonPassword) {
  auto s = settings(plugins::AuthType::Basic);
  s.username = "Aladdin";
  s.password = "open sesame";
  StaticAuthenticator a(s);
  http::HttpRequest r;
  a.apply(r);
  EXPECT_EQ(named(r, "Authorization"), std::vector<std::string>{"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="});
}

TEST(StaticAuthenticator, AnApiKeyGoesInItsHeaderOrPercentEncodedInTheQuery) {
  auto h = settings(plugins::AuthType::ApiKey);
  h.paramName = "X-Api-Key";
  h.key = "k-123";
  http::HttpRequest r;
  StaticAuthenticator(h).apply(r);
  EXPECT_EQ(named(r, "X-Api-Key"), std::vector<std::string>{"k-123"});

  auto q = settings(plugins::AuthType::ApiKey);
  q.paramName = "hapikey";
  q.inQuery = true;
  q.key = "a&b=c d";
  StaticAuthenticator qa(q);
  http::HttpRequest plain;
  plain.url = "https://api.example.com/v1/items";
  qa.apply(plain);
  EXPECT_EQ(plain.url, "https://api.example.com/v1/items?hapikey=a%26b%3Dc%20d");
  http::HttpRequest withQuery;
  withQuery.url = "https://api.example.com/v1/items?limit=10&hapikey=old#frag";
  qa.apply(withQuery);
  EXPECT_EQ(withQuery.url, "https://api.example.com/v1/items?limit=10&hapikey=a%26b%3Dc%20d#frag");
  EXPECT_TRUE(withQuery.headers.empty());
}

TEST(StaticAuthenticator, AStaticCredentialHasNoValuesToRead) {
  auto s = settings(plugins::AuthType::Bearer);
  s.token = "t";
  StaticAuthenticator a(s);
  try {
    a.value("instance_url");
    FAIL();
  } catch (const http::HttpError& e) {
    EXPECT_EQ(e.kind(), http::HttpError::Kind::Credential);
    EXPECT_NE(std::string(e.what()).find("acme/x's auth is bearer"), std::string::npos) << e.what();
  }
}

TEST(Encoding, Base64urlRoundTripsAndRefusesWhatIsNotIt) {
  for (const std::string& bytes :
       {std::string(""), std::string("f"), std::string("fo"), std::string("foo"), std::string("\xff\xfe\x00\x01", 4)}) {
    std::string back;
    ASSERT_TRUE(base64::decodeUrl(base64::encodeUrl(bytes), back));
    EXPECT_EQ(back, bytes);
  }
  EXPECT_EQ(base64::encodeUrl("\xfb\xff"), "-_8");
  std::string out;
  EXPECT_FALSE(base64::decodeUrl("a+b", out));
  EXPECT_FALSE(base64::decodeUrl("a", out));
  EXPECT_TRUE(constantTimeEqual("abc", "abc"));
  EXPECT_FALSE(constantTimeEqual("abc", "abd"));
  EXPECT_FALSE(constantTimeEqual("abc", "ab"));
  EXPECT_EQ(formEncode("a b&c=d~"), "a+b%26c%3Dd~");
}
