#pragma once

// An https server on 127.0.0.1 for TLS tests: Poco's HTTPServer over a SecureServerSocket with
// the given certificate, answering 200 "ok" to any request. It asks for no client certificate.

#include <cstdint>
#include <filesystem>
#include <memory>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/SecureServerSocket.h>

namespace tributary::test {

class TlsTestServer {
 public:
  // Binds a free port at once (so port() is known before start()); serves after start().
  TlsTestServer(const std::filesystem::path& certFile, const std::filesystem::path& keyFile);
  ~TlsTestServer();  // stop()
  TlsTestServer(const TlsTestServer&) = delete;
  TlsTestServer& operator=(const TlsTestServer&) = delete;

  void start();
  // Stops accepting and waits for the connections still being served.
  void stop();
  std::uint16_t port() const;
  // The server's context: its session cache is on, for resumption tests.
  Poco::Net::Context::Ptr context() const { return context_; }

 private:
  Poco::Net::Context::Ptr context_;
  Poco::Net::SecureServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  bool running_ = false;
};

}  // namespace tributary::test
