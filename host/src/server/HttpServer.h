#pragma once

#include <Poco/Net/HTTPServer.h>

#include <memory>
#include <string>

#include "server/Router.h"

namespace tributary::server {

// Poco's HTTPServer in front of a Router: JSON in and out, one access-log line per request.
class HttpServer {
 public:
  HttpServer(std::string bind, int port, std::shared_ptr<const Router> router, int threads = 8);
  ~HttpServer();

  // Binds and starts serving; throws std::runtime_error naming the address on failure.
  void start();
  void stop();
  int port() const { return boundPort_; }
  std::string baseUrl() const;

 private:
  std::string bind_;
  int requestedPort_;
  int boundPort_ = 0;
  int threads_;
  std::shared_ptr<const Router> router_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace tributary::server
