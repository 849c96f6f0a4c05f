#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>

#include "http/HttpRequest.h"
#include "http/HttpResponse.h"

namespace tributary::http {

class ConnectionPool;

// The host's HTTP transport: one exchange per send(), on a keep-alive connection from a pool
// per scheme, host and port that every job of the process shares. https verifies the server's
// chain and host name against the system's CAs and caFile; nothing turns that off. A pooled
// connection the server closed is noticed before sending (or, for a request that may be
// repeated, when it answers nothing) and the request goes on a fresh one, which is no failure.
// Rate limits, retries and vendor rules are VendorClient's. Thread-safe.
class HttpClient {
 public:
  struct Options {
    std::chrono::milliseconds defaultTimeout{30000};
    std::size_t maxBodyBytes = 256u << 20;  // a larger response fails as Transient
    std::optional<std::filesystem::path> caFile;
    int maxIdlePerHost = 8;
    std::chrono::milliseconds idleTimeout{30000};
    std::chrono::milliseconds maxAge{300000};
  };

  struct Stats {
    int64_t opened = 0;  // TCP connections opened
    int64_t reused = 0;  // requests sent on a pooled connection
    int64_t stale = 0;   // pooled connections found closed by the server
    int64_t idle = 0;    // idle connections now
  };

  HttpClient();
  explicit HttpClient(Options options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Returns the response, whatever its status; throws HttpError when none arrived.
  HttpResponse send(const HttpRequest& request) const;
  Stats stats() const;
  const Options& options() const { return options_; }

  // A process-wide client with default options.
  static const HttpClient& shared();

 private:
  Options options_;
  std::unique_ptr<ConnectionPool> pool_;
};

}  // namespace tributary::http
