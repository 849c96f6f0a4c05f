#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "SimRequest.h"
#include "SimResponse.h"

namespace Poco {
class ThreadPool;
}  // namespace Poco

namespace tributary::sim {

// One loopback HTTP/1.1 listener (Poco's HTTP server, keep-alive with no request cap and a 30 s
// idle timeout) that turns each request into a SimRequest, calls the handler, and delivers the
// SimResponse, including faulty deliveries (latency, connection reset, truncated body). Every
// accepted TCP connection gets the next value of one process-wide counter (1, 2, ...), carried
// in SimRequest::connection, so tests can tell which requests shared a connection.
class HttpListener {
 public:
  using Handler = std::function<SimResponse(const SimRequest&)>;

  // port 0 picks an ephemeral port; threads bounds concurrent connections served.
  HttpListener(const std::string& bindAddress, uint16_t port, int threads, Handler handler);
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  void start();
  void stop();
  uint16_t port() const { return port_; }
  std::string baseUrl() const;

 private:
  std::string bindAddress_;
  uint16_t port_ = 0;
  Handler handler_;
  // Handlers keep a reference to it, so it must not move after start().
  std::string baseUrlCache_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  // The Poco server and its handler factory (defined in the .cpp, which owns the Poco types).
  struct Server;
  std::unique_ptr<Server> server_;
};

}  // namespace tributary::sim
