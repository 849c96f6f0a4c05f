// http::HttpClient's keep-alive pool, counted from the server's side: the loopback server
// records each request's peer address and port, so the distinct peers are the TCP connections
// the client opened.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "LoopbackServer.h"
#include "http/HttpClient.h"
#include "http/HttpError.h"

using tributary::http::HttpClient;
using tributary::http::HttpError;
using tributary::http::HttpRequest;
using tributary::http::testing::Arrival;
using tributary::http::testing::LoopbackServer;
using tributary::http::testing::Reply;

namespace {

HttpRequest get(const std::string& url) {
  HttpRequest r;
  r.url = url;
  return r;
}

HttpRequest post(const std::string& url, std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.url = url;
  r.body = std::move(body);
  return r;
}

// A script answering 200 with the request's path, and doing `other` for one path.
LoopbackServer::Script okExcept(const std::string& uri, std::function<Reply(size_t)> other) {
  auto seen = std::make_shared<std::atomic<size_t>>(0);
  return [uri, other, seen](const Arrival& a, size_t) {
    if (a.uri == uri) return other((*seen)++);
    return Reply::ok(a.method + " " + a.uri);
  };
}

}  // namespace

TEST(pool, HundredSequentialGetsUseOneConnection) {
  LoopbackServer server;
  HttpClient client;
  for (int i = 0; i < 100; ++i) {
    auto r = client.send(get(server.url("/items?page=" + std::to_string(i))));
    ASSERT_EQ(r.status, 200) << "request " << i;
  }
  EXPECT_EQ(server.count(), 100u);
  EXPECT_EQ(server.peers().size(), 1u) << "the server saw more than one TCP connection";
  auto s = client.stats();
  EXPECT_EQ(s.opened, 1);
  EXPECT_EQ(s.reused, 99);
  EXPECT_EQ(s.stale, 0);
  EXPECT_EQ(s.idle, 1);
}

TEST(pool, PostsWithBodiesShareTheConnectionToo) {
  LoopbackServer server;
  HttpClient client;
  for (int i = 0; i < 10; ++i) {
    auto r = client.send(post(server.url("/things"), "body " + std::to_string(i)));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "POST /things");
  }
  EXPECT_EQ(server.arrivals()[9].body, "body 9");
  EXPECT_EQ(server.peers().size(), 1u);
  EXPECT_EQ(client.stats().opened, 1);
}

TEST(pool, EachHostAndPortHasItsOwnConnections) {
  LoopbackServer a, b;
  HttpClient client;
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(client.send(get(a.url("/a"))).status, 200);
    ASSERT_EQ(client.send(get(b.url("/b"))).status, 200);
  }
  EXPECT_EQ(a.peers().size(), 1u);
  EXPECT_EQ(b.peers().size(), 1u);
  EXPECT_EQ(client.stats().opened, 2);
  EXPECT_EQ(client.stats().reused, 8);
  EXPECT_EQ(client.stats().idle, 2);
}

TEST(pool, AnIdleConnectionTheServerTimedOutIsReplacedWithoutAnError) {
  LoopbackServer::Options o;
  o.keepAliveTimeout = std::chrono::milliseconds(200);
  LoopbackServer server({}, o);
  HttpClient client;
  ASSERT_EQ(client.send(get(server.url("/first"))).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // the server closes the idle connection
  auto r = client.send(get(server.url("/second")));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /second");
  EXPECT_EQ(server.count(), 2u);
  EXPECT_EQ(server.peers().size(), 2u) << "the second GET went on a fresh connection";
  EXPECT_EQ(client.stats().opened, 2);
  EXPECT_EQ(client.stats().stale, 1);
  EXPECT_EQ(client.stats().reused, 0);
}

TEST(pool, AConnectionIdleLongerThanTheClientsIdleTimeoutIsNotReused) {
  LoopbackServer server;
  HttpClient::Options o;
  o.idleTimeout = std::chrono::milliseconds(100);
  HttpClient client(o);
  ASSERT_EQ(client.send(get(server.url("/first"))).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(client.send(get(server.url("/second"))).status, 200);
  EXPECT_EQ(server.peers().size(), 2u);
  EXPECT_EQ(client.stats().opened, 2);
  EXPECT_EQ(client.stats().reused, 0);
  EXPECT_EQ(client.stats().stale, 0) << "the server had not closed it";
}

TEST(pool, ConcurrentRequestsOpenAConnectionEachAndAtMostMaxIdlePerHostStayPooled) {
  // Each request takes 300 ms at the server, so four at once need four connections.
  LoopbackServer server([](const Arrival& a, size_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return Reply::ok(a.uri);
  });
  HttpClient::Options o;
  o.maxIdlePerHost = 2;
  HttpClient client(o);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      if (client.send(get(server.url("/slow/" + std::to_string(i)))).status == 200) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(server.peers().size(), 4u);
  EXPECT_EQ(client.stats().opened, 4);
  EXPECT_EQ(client.stats().idle, 2);
  // The next two reuse the pooled ones.
  ASSERT_EQ(client.send(get(server.url("/again"))).status, 200);
  ASSERT_EQ(client.send(get(server.url("/again"))).status, 200);
  EXPECT_EQ(client.stats().opened, 4);
  EXPECT_EQ(client.stats().reused, 2);
}

TEST(pool, AServerRestartedOnTheSamePortGetsTheNextRequestOnAFreshConnection) {
  HttpClient client;
  uint16_t port = 0;
  {
    LoopbackServer first;
    port = first.port();
    ASSERT_EQ(client.send(get(first.url("/before"))).status, 200);
    ASSERT_EQ(client.stats().idle, 1);
  }  // stopped: it closed the pooled connection
  LoopbackServer::Options o;
  o.port = port;
  LoopbackServer second({}, o);
  auto r = client.send(get(second.url("/after")));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(second.count(), 1u);
  EXPECT_EQ(client.stats().opened, 2);
  EXPECT_EQ(client.stats().stale, 1);
}

TEST(pool, AResponseWithConnectionCloseIsNotPooled) {
  LoopbackServer server([](const Arrival&, size_t) {
    Reply r = Reply::ok();
    r.close = true;
    return r;
  });
  HttpClient client;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(client.send(get(server.url("/x"))).status, 200);
  EXPECT_EQ(server.peers().size(), 3u);
  EXPECT_EQ(client.stats().opened, 3);
  EXPECT_EQ(client.stats().reused, 0);
  EXPECT_EQ(client.stats().idle, 0);
}

TEST(pool, APostOnAPooledConnectionResetAfterItArrivedIsNotSentAgain) {
  LoopbackServer server(okExcept("/orders", [](size_t) { return Reply::reset(); }));
  HttpClient client;
  ASSERT_EQ(client.send(get(server.url("/warm"))).status, 200);  // pools a connection
  try {
    client.send(post(server.url("/orders"), R"({"order":1})"));
    FAIL() << "the POST returned a response";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::Transient);
    EXPECT_TRUE(e.sent()) << "it reached the server";
    EXPECT_EQ(std::string(e.what()).rfind("POST " + server.url("/orders") + ": ", 0), 0u) << e.what();
  }
  EXPECT_EQ(server.count("POST", "/orders"), 1u) << "a non-idempotent POST was sent twice";
  EXPECT_EQ(client.stats().opened, 1);
}

TEST(pool, APostOnAPooledConnectionClosedWithoutAnAnswerIsNotSentAgain) {
  LoopbackServer server(okExcept("/orders", [](size_t) { return Reply::closeWithoutAnswer(); }));
  HttpClient client;
  ASSERT_EQ(client.send(get(server.url("/warm"))).status, 200);
  try {
    client.send(post(server.url("/orders"), R"({"order":1})"));
    FAIL() << "the POST returned a response";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::Transient);
    EXPECT_TRUE(e.sent());
    EXPECT_EQ(std::string(e.what()),
              "POST " + server.url("/orders") + ": the server closed the connection without answering");
  }
  EXPECT_EQ(server.count("POST", "/orders"), 1u);
}

TEST(pool, AGetOnAPooledConnectionResetAfterItArrivedGoesOnceMoreOnAFreshOne) {
  // The first /flaky is reset (as a server does that timed the connection out as it arrived).
  LoopbackServer server(okExcept("/flaky", [](size_t n) { return n == 0 ? Reply::reset() : Reply::ok("fresh"); }));
  HttpClient client;
  ASSERT_EQ(client.send(get(server.url("/warm"))).status, 200);
  auto r = client.send(get(server.url("/flaky")));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "fresh");
  EXPECT_EQ(server.count("GET", "/flaky"), 2u);
  EXPECT_EQ(server.peers().size(), 2u);
  EXPECT_EQ(client.stats().opened, 2);
  EXPECT_EQ(client.stats().stale, 1);
}

TEST(pool, AnIdempotentPostOnAPooledConnectionClosedWithoutAnAnswerGoesOnceMore) {
  LoopbackServer server(
      okExcept("/search", [](size_t n) { return n == 0 ? Reply::closeWithoutAnswer() : Reply::ok("found"); }));
  HttpClient client;
  ASSERT_EQ(client.send(get(server.url("/warm"))).status, 200);
  HttpRequest search = post(server.url("/search"), R"({"q":"x"})");
  search.idempotent = true;
  auto r = client.send(search);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "found");
  EXPECT_EQ(server.count("POST", "/search"), 2u);
}

TEST(pool, AResetOnAFreshConnectionIsTheCallersToRetry) {
  // Not a stale pooled connection: the transport does not repeat it (VendorClient may).
  LoopbackServer server([](const Arrival&, size_t) { return Reply::reset(); });
  HttpClient client;
  try {
    client.send(get(server.url("/down")));
    FAIL() << "a reset connection returned a response";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.kind(), HttpError::Kind::Transient);
    EXPECT_TRUE(e.sent());
  }
  EXPECT_EQ(server.count(), 1u);
  EXPECT_EQ(client.stats().opened, 1);
}

TEST(pool, NoIdleConnectionsKeptOpensOnePerRequest) {
  LoopbackServer server;
  HttpClient::Options o;
  o.maxIdlePerHost = 0;
  HttpClient client(o);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(client.send(get(server.url("/x"))).status, 200);
  EXPECT_EQ(server.peers().size(), 5u);
  EXPECT_EQ(client.stats().opened, 5);
  EXPECT_EQ(client.stats().reused, 0);
  EXPECT_EQ(client.stats().idle, 0);
}
