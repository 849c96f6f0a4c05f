#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tributary::http {

// One outgoing request. Headers keep their order and may repeat.
struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{0};  // 0: the client's default
  // 1.1: how the vendor client treats it (see tributary_http_request_v1).
  std::string limitClass;   // a declared rate-limit class; empty: the connector's default
  uint64_t cost = 1;        // points, for a points class
  bool idempotent = false;  // may be repeated although its method is not GET or HEAD
  bool noAuth = false;      // 1.1 auth: the connection's credential is not added (TRIBUTARY_HTTP_NO_AUTH)
  // An IP address to connect to instead of resolving the URL's host, for a caller that checked
  // that address (webhooks): the Host header, the TLS server name and the certificate's check
  // stay the URL's host's. Empty: resolve the host.
  std::string connectAddress;

  // GET, HEAD (and OPTIONS), or marked idempotent: the client may send it again.
  bool repeatable() const { return idempotent || method == "GET" || method == "HEAD" || method == "OPTIONS"; }
};

}  // namespace tributary::http
