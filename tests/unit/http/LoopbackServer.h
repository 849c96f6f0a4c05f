#pragma once

// A loopback Poco HTTPServer (127.0.0.1, port 0 or a given one, keep-alive on) for the HTTP
// client's tests: it records every request it receives (when, from which peer address and port,
// so that a test can count TCP connections) and answers each as the test's script says, down to
// resetting the connection after reading the request. Used by tests/unit/http and
// tests/integration/http.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>

namespace tributary::http::testing {

// One request as the server received it.
struct Arrival {
  std::string method;
  std::string uri;
  std::string body;
  std::string peer;  // "127.0.0.1:54321": one per TCP connection
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::steady_clock::time_point at;  // when it had arrived (before its body was read)
  int64_t epochMs = 0;
  // When the whole response had been written to the socket (not set for a reset or a close).
  std::optional<std::chrono::steady_clock::time_point> answeredAt;
};

// What the server does with a request.
struct Reply {
  enum class Kind {
    Respond,             // status, headers, body
    Reset,               // reads the request, then resets the connection (RST): no response
    CloseWithoutAnswer,  // reads the request, then closes the connection (FIN): no response
  };
  Kind kind = Kind::Respond;
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  // answers with Connection: close

  static Reply ok(std::string body = "ok") {
    Reply r;
    r.body = std::move(body);
    return r;
  }
  static Reply withStatus(int status, std::vector<std::pair<std::string, std::string>> headers = {},
                          std::string body = "") {
    Reply r;
    r.status = status;
    r.headers = std::move(headers);
    r.body = std::move(body);
    return r;
  }
  static Reply reset() {
    Reply r;
    r.kind = Kind::Reset;
    return r;
  }
  static Reply closeWithoutAnswer() {
    Reply r;
    r.kind = Kind::CloseWithoutAnswer;
    return r;
  }
};

class LoopbackServer {
 public:
  // Called for each request with its index among all the server's requests (0 first), on the
  // server's threads, at once for requests that arrive at once. Without one, every request is
  // answered 200 with its method and path.
  using Script = std::function<Reply(const Arrival&, size_t index)>;

  struct Options {
    uint16_t port = 0;  // 0: a free one
    std::chrono::milliseconds keepAliveTimeout{10000};
  };

  explicit LoopbackServer(Script script = {}) : LoopbackServer(std::move(script), Options{}) {}
  LoopbackServer(Script script, Options options)
      : state_(std::make_shared<State>()),
        socket_(Poco::Net::SocketAddress("127.0.0.1", options.port)),
        server_(new Factory(state_), socket_, params(options)) {
    state_->script = std::move(script);
    server_.start();
  }
  // Closes every connection (so that none outlives the test), then waits for the handlers.
  ~LoopbackServer() { stop(); }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    server_.stopAll(true);
    for (int i = 0; i < 500 && server_.currentConnections() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  uint16_t port() const { return socket_.address().port(); }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port()) + path; }

  std::vector<Arrival> arrivals() const {
    std::lock_guard lock(state_->mutex);
    return state_->arrivals;
  }
  size_t count() const {
    std::lock_guard lock(state_->mutex);
    return state_->arrivals.size();
  }
  size_t count(const std::string& method, const std::string& uri) const {
    std::lock_guard lock(state_->mutex);
    size_t n = 0;
    for (const auto& a : state_->arrivals) n += a.method == method && a.uri == uri ? 1 : 0;
    return n;
  }
  // The distinct client address:port pairs seen: the TCP connections the client opened.
  std::set<std::string> peers() const {
    std::set<std::string> out;
    for (const auto& a : arrivals()) out.insert(a.peer);
    return out;
  }

 private:
  struct State {
    std::mutex mutex;
    Script script;
    std::vector<Arrival> arrivals;
  };

  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(std::shared_ptr<State> state) : state_(std::move(state)) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) override {
      Arrival a;
      a.at = std::chrono::steady_clock::now();
      a.epochMs =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      a.method = req.getMethod();
      a.uri = req.getURI();
      a.peer = req.clientAddress().toString();
      for (const auto& [name, value] : req) a.headers.emplace_back(name, value);
      Poco::StreamCopier::copyToString(req.stream(), a.body);
      size_t index = 0;
      {
        std::lock_guard lock(state_->mutex);
        index = state_->arrivals.size();
        state_->arrivals.push_back(a);
      }
      // Outside the lock: a script may take its time, and requests may be served at once.
      Reply reply = state_->script ? state_->script(a, index) : Reply::ok(a.method + " " + a.uri);
      if (reply.kind != Reply::Kind::Respond) {
        // Taken from the server's session, which then ends this connection quietly.
        Poco::Net::StreamSocket s = static_cast<Poco::Net::HTTPServerRequestImpl&>(req).detachSocket();
        if (reply.kind == Reply::Kind::Reset) {
          s.setLinger(true, 0);  // close() then sends RST
        } else {
          s.shutdownSend();
        }
        s.close();
        return;
      }
      res.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
      for (const auto& [name, value] : reply.headers) res.add(name, value);
      if (reply.close) res.setKeepAlive(false);
      res.setContentType("text/plain");
      res.sendBuffer(reply.body.data(), reply.body.size());  // written now, not when the handler returns
      const auto answered = std::chrono::steady_clock::now();
      std::lock_guard lock(state_->mutex);
      state_->arrivals[index].answeredAt = answered;
    }

   private:
    std::shared_ptr<State> state_;
  };

  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(std::shared_ptr<State> state) : state_(std::move(state)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(state_);
    }

   private:
    std::shared_ptr<State> state_;
  };

  static Poco::Net::HTTPServerParams* params(const Options& o) {
    auto* p = new Poco::Net::HTTPServerParams;
    p->setKeepAlive(true);
    p->setMaxKeepAliveRequests(0);  // unlimited
    p->setKeepAliveTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(o.keepAliveTimeout.count()) * 1000));
    return p;
  }

  std::shared_ptr<State> state_;
  Poco::Net::ServerSocket socket_;
  Poco::Net::HTTPServer server_;
  bool stopped_ = false;
};

}  // namespace tributary::http::testing
