// The server's errors over real sockets: every 4xx and 5xx is {"error": {code, message,
// details}} with its reason phrase; a POST without a body or a length answers at once; a body
// over the limit is a 413; a stalled client is cut off; invalid UTF-8 and a path traversal are
// refused by name.
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include "ApiTestSupport.h"

using namespace tributary;
using namespace tributary::test::api_e2e;

namespace {

std::string bodyOf(const RawReply& r) {
  auto at = r.text.find("\r\n\r\n");
  return at == std::string::npos ? "" : r.text.substr(at + 4);
}

std::string request(const std::string& method, const std::string& path, const std::string& token,
                    const std::string& extra = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\n" + extra +
         "\r\n";
}

}  // namespace

TEST(Errors, EveryErrorHasItsReasonPhraseAndTheErrorEnvelope) {
  test::TestDatabase db;
  HostOptions o;
  o.extraYaml = "api: {request_timeout: 1s, max_body: 65536}\n";
  ApiHost host(db, o);
  const std::string t = host.adminToken();

  auto r = rawExchange(host.url(), request("GET", "/nope", t, "Connection: close\r\n"));
  EXPECT_EQ(r.statusLine, "HTTP/1.1 404 Not Found") << r.text;
  auto j = Json::parse(bodyOf(r));
  EXPECT_EQ(j["error"]["code"], "not_found");
  EXPECT_EQ(j["error"]["message"], "no route for GET /nope");
  EXPECT_TRUE(j["error"]["details"].is_object());

  r = rawExchange(host.url(),
                  request("PUT", "/api/workspaces/ws1/sync", t, "Content-Length: 0\r\nConnection: close\r\n"));
  EXPECT_EQ(r.statusLine, "HTTP/1.1 405 Method Not Allowed") << r.text;
  EXPECT_NE(r.text.find("\r\nAllow: POST\r\n"), std::string::npos) << r.text;
  EXPECT_EQ(Json::parse(bodyOf(r))["error"]["code"], "method_not_allowed");

  r = rawExchange(host.url(), request("GET", "/api/workspaces", "trb_wrong", "Connection: close\r\n"));
  EXPECT_EQ(r.statusLine, "HTTP/1.1 401 Unauthorized") << r.text;
  EXPECT_NE(r.text.find("WWW-Authenticate: Bearer"), std::string::npos) << r.text;

  // The seeds' own `curl -X POST .../sync`: no body, no Content-Length. An empty body, at once,
  // not a wait for a body that never comes.
  r = rawExchange(host.url(), request("POST", "/api/workspaces/ws1/sync", t), std::chrono::seconds(20));
  EXPECT_EQ(r.statusLine, "HTTP/1.1 202 Accepted") << r.text;
  EXPECT_LT(r.ms, 900) << "the server waited for a body";

  // Over max_body: 413, by its length or by what arrives.
  r = rawExchange(host.url(), request("POST", "/api/workspaces/ws1/sync", t, "Content-Length: 10485760\r\n"));
  EXPECT_EQ(r.statusLine, "HTTP/1.1 413 Request Entity Too Large") << r.text.substr(0, 300);
  EXPECT_EQ(Json::parse(bodyOf(r))["error"]["code"], "body_too_large");
  // A chunked body has no length to refuse by: it is read up to the limit, then refused.
  const std::string chunk(100 * 1024, 'x');
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  r = rawExchange(host.url(), request("POST", "/api/workspaces/ws1/sync", t, "Transfer-Encoding: chunked\r\n") + size +
                                  chunk + "\r\n0\r\n\r\n");
  EXPECT_EQ(r.statusLine, "HTTP/1.1 413 Request Entity Too Large") << r.text.substr(0, 300);

  // Invalid UTF-8 in a string is malformed JSON, named as such.
  auto bad = host.admin("POST", "/api/workspaces/ws1/sync", std::string("{\"mode\": \"\xff\xfe\"}"));
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.json()["error"]["code"], "invalid_json");
  EXPECT_EQ(bad.json()["error"]["details"]["line"], 1);

  // A path traversal in {entity} is refused before any route sees it.
  auto trav = host.admin("GET", "/api/workspaces/ws1/records/..%2F..%2Fjobs");
  EXPECT_EQ(trav.status, 400) << trav.body;
  EXPECT_EQ(trav.json()["error"]["code"], "bad_path");
  auto unknown = host.admin("GET", "/api/workspaces/ws1/records/pg_authid");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_NE(unknown.json()["error"]["message"].get<std::string>().find("entities: deals"), std::string::npos);
}

// MW-1: a client that stalls mid-request is cut off after api.request_timeout, and while it
// stalls the others are served.
TEST(Errors, AStalledClientIsCutOffByTheRequestTimeout) {
  test::TestDatabase db;
  HostOptions o;
  o.extraYaml = "api: {request_timeout: 1s, threads: 2}\n";
  ApiHost host(db, o);
  // Headers promise 100 bytes; 10 arrive.
  auto r = rawExchange(host.url(),
                       "POST /api/workspaces/ws1/sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                           host.adminToken() + "\r\nContent-Length: 100\r\n\r\n{\"mode\": ",
                       std::chrono::seconds(15));
  EXPECT_TRUE(r.closedByServer || !r.statusLine.empty()) << r.text;
  EXPECT_LT(r.ms, 8000) << "the server held a stalled request for " << r.ms << " ms";
  // Half a request line, then nothing.
  auto partial = rawExchange(host.url(), "GET /hea", std::chrono::seconds(15));
  EXPECT_TRUE(partial.closedByServer) << partial.text;
  EXPECT_LT(partial.ms, 8000);
  EXPECT_EQ(host.call("GET", "/health").status, 200);
}

// A body refused by its Content-Length is never read, so the connection cannot carry another
// request: the 413 says Connection: close and the server closes, and the unread bytes (here a
// request of their own) are never answered as one.
TEST(Errors, ABodyRefusedByItsLengthClosesTheConnectionAndItsBytesAreNeverReadAsARequest) {
  test::TestDatabase db;
  HostOptions o;
  o.extraYaml = "api: {request_timeout: 2s, max_body: 1024}\n";
  ApiHost host(db, o);
  const std::string smuggled = request("GET", "/nope", host.adminToken(), "Connection: close\r\n");
  const std::string padding(2048 - smuggled.size(), ' ');
  // Everything the server sends on the connection, read until it ends it (a close, or a reset
  // for the bytes it left unread) or 10 s pass.
  const Poco::URI uri(host.url());
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress(uri.getHost(), uri.getPort()));
  s.setReceiveTimeout(Poco::Timespan(10, 0));
  const std::string sent =
      request("POST", "/api/workspaces/ws1/sync", host.adminToken(), "Content-Length: 2048\r\n") + smuggled + padding;
  s.sendBytes(sent.data(), static_cast<int>(sent.size()));
  std::string text;
  bool ended = false;
  char buf[4096];
  try {
    for (int n; (n = s.receiveBytes(buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    ended = true;
  } catch (const Poco::TimeoutException&) {
  } catch (const Poco::Net::ConnectionResetException&) {
    ended = true;
  }
  EXPECT_EQ(text.substr(0, text.find("\r\n")), "HTTP/1.1 413 Request Entity Too Large") << text.substr(0, 300);
  EXPECT_NE(text.find("\r\nConnection: close\r\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("404"), std::string::npos) << "the refused body was read as a request:\n" << text;
  EXPECT_TRUE(ended) << "the server kept the connection open:\n" << text;
}
