#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "server/Router.h"

namespace tributary::server {

struct HttpServerOptions {
  int threads = 8;  // request threads; a server-sent event stream holds none (StreamBody)
  // A client that sends nothing for this long, mid-request, is cut off (its thread freed).
  std::chrono::milliseconds requestTimeout{10000};
  // An idle keep-alive connection is closed after this long: each holds a request thread.
  std::chrono::milliseconds keepAliveTimeout{5000};
  size_t maxBody = 1024 * 1024;  // larger bodies answer 413
  // Seconds a client is told to wait (Retry-After) when the database is unreachable.
  int unavailableRetryAfterS = 5;
};

// Told of every request once it is answered: its method, the route pattern that matched (empty:
// none), its status and how long it took.
using RequestObserver = std::function<void(const Request&, int status, double ms)>;

// Poco's HTTPServer in front of a Router: JSON in and out, one access-log line per request.
// Every error is {"error": {"code", "message", "details"}} with the status's reason phrase; a
// handler's ApiError becomes one; a database that cannot be reached is a 503 with Retry-After,
// never a crash.
class HttpServer {
 public:
  HttpServer(std::string bind, int port, std::shared_ptr<const Router> router, HttpServerOptions options = {});
  ~HttpServer();

  void setObserver(RequestObserver observer) { observer_ = std::move(observer); }
  // Binds and starts serving; throws std::runtime_error naming the address on failure.
  void start();
  void stop();
  int port() const { return boundPort_; }
  std::string baseUrl() const;

 private:
  std::string bind_;
  int requestedPort_;
  int boundPort_ = 0;
  HttpServerOptions options_;
  std::shared_ptr<const Router> router_;
  RequestObserver observer_;
  std::unique_ptr<Poco::ThreadPool> threads_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace tributary::server
