// An event stream's follower, without a database: what a slow or gone client costs, and how the
// hub counts its places (api.max_streams).
#include "api/EventFollower.h"

#include <gtest/gtest.h>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <poll.h>

#include "api/EventStream.h"

using namespace tributary;

namespace {

// A connected pair on loopback: the client end, with a receive buffer as small as the kernel
// allows, and the server's end, which a follower is started on.
struct SocketPair {
  SocketPair() : server(Poco::Net::SocketAddress("127.0.0.1", 0)), client(Poco::Net::SocketAddress::IPv4) {
    client.setReceiveBufferSize(1);
    client.connect(server.address());
    accepted = server.acceptConnection();
  }
  Poco::Net::ServerSocket server;
  Poco::Net::StreamSocket client;
  Poco::Net::StreamSocket accepted;
};

config::ApiConfig streams(int max) {
  config::ApiConfig cfg;
  cfg.maxStreams = max;
  return cfg;
}

}  // namespace

// A client that reads nothing: what the socket does not take waits in the follower's queue,
// without blocking its thread, up to the high-water mark, where the reader stops (the rest
// waits in the outbox); once the client has taken all but the low-water mark, the reader is
// told to go on, once.
TEST(EventFollower, StopsAtTheHighWaterMarkAndResumesWhenTheClientReads) {
  auto hub = std::make_shared<api::EventHub>("", streams(4));
  SocketPair pair;
  auto f = std::static_pointer_cast<api::EventFollower>(hub->follow("ws", "job", 0));
  ASSERT_TRUE(f);
  f->start(pair.accepted);
  const std::string event = "event: sync.progress\ndata: " + std::string(1000, 'x') + "\n\n";
  size_t queued = 0;
  while (!f->full()) {
    ASSERT_TRUE(f->enqueue(event));
    queued += event.size();
    ASSERT_TRUE(f->flush(std::chrono::steady_clock::now())) << "a client that reads nothing is no error";
    ASSERT_LT(queued, size_t{64} << 20) << "the socket took everything";
  }
  EXPECT_GE(queued, api::EventFollower::kHighWater);
  EXPECT_TRUE(f->hasPending());
  EXPECT_FALSE(f->resumed());
  EXPECT_FALSE(f->takeResumed());
  // The client reads: the queue drains, and the reader is told once.
  std::string got;
  char buf[65536];
  for (int i = 0; i < 1000 && !f->resumed(); ++i) {
    pollfd p{pair.client.impl()->sockfd(), POLLIN, 0};
    if (::poll(&p, 1, 100) == 1) {
      const int n = pair.client.receiveBytes(buf, sizeof buf);
      ASSERT_GT(n, 0);
      got.append(buf, static_cast<size_t>(n));
    }
    ASSERT_TRUE(f->flush(std::chrono::steady_clock::now()));
  }
  EXPECT_TRUE(f->resumed());
  EXPECT_TRUE(f->takeResumed());
  EXPECT_FALSE(f->takeResumed()) << "once";
  ASSERT_GE(got.size(), event.size());
  EXPECT_EQ(got.substr(0, event.size()), event) << "whole events, from the first";
}

// A client that closed its end is seen as gone at once, and its place is given back when the
// follower is closed, while others still hold it.
TEST(EventFollower, AClientThatWentAwayIsSeenAndItsPlaceGivenBack) {
  auto hub = std::make_shared<api::EventHub>("", streams(2));
  SocketPair pair;
  auto f = std::static_pointer_cast<api::EventFollower>(hub->follow("ws", "job", 0));
  ASSERT_TRUE(f);
  f->start(pair.accepted);
  EXPECT_TRUE(f->readable()) << "nothing arrived: still there";
  EXPECT_EQ(hub->followers(), 1);
  pair.client.close();
  pollfd p{f->fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  EXPECT_FALSE(f->readable());
  f->close("");
  EXPECT_TRUE(f->dropped());
  EXPECT_EQ(hub->followers(), 0) << "a closed stream's place, given back while it is still referenced";
  f.reset();
  EXPECT_EQ(hub->followers(), 0) << "given back once";
}

// api.max_streams: a place is taken when the route answers, before the stream starts, and
// given back by a stream that never started too.
TEST(EventFollower, TheHubGivesAtMostMaxStreamsPlaces) {
  auto hub = std::make_shared<api::EventHub>("", streams(2));
  auto a = hub->follow("ws", "job", 0);
  auto b = hub->follow("ws", "job", 0);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_FALSE(hub->follow("ws", "job", 0)) << "a third past api.max_streams: 2";
  EXPECT_EQ(hub->followers(), 2);
  a.reset();  // its client went away before its headers were sent
  EXPECT_EQ(hub->followers(), 1);
  EXPECT_TRUE(hub->follow("ws", "other", 0));
}
