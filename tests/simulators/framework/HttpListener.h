#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "SimRequest.h"
#include "SimResponse.h"

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace tributary::sim {

// One loopback HTTP/1.1 listener (Poco HTTPServer, keep-alive) that turns each request into a
// SimRequest, calls the handler, and delivers the SimResponse, including faulty deliveries
// (latency, connection reset, truncated body).
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
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace tributary::sim
