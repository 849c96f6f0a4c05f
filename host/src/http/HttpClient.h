#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>

#include "http/HttpRequest.h"
#include "http/HttpResponse.h"

namespace tributary::http {

// The host's HTTP client: the only way a plugin reaches the network (through the host API
// table). Plain for now: one request, one connection, http and https (certificates and host
// names verified against the system's CAs). Throttling, retries and OAuth come later, here.
// Thread-safe: send() keeps no state between calls.
class HttpClient {
 public:
  struct Options {
    std::chrono::milliseconds defaultTimeout{30000};
    std::size_t maxBodyBytes = 256u << 20;  // a larger response fails as Transient
    // PEM CAs trusted besides the system's (http.ca_file).
    std::optional<std::filesystem::path> caFile;
  };

  HttpClient();
  explicit HttpClient(Options options);

  // Returns the response, whatever its status; throws HttpError when none arrived.
  HttpResponse send(const HttpRequest& request) const;

  // A process-wide client with default options.
  static const HttpClient& shared();

 private:
  Options options_;
};

}  // namespace tributary::http
