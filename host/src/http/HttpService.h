#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "config/Config.h"
#include "http/HttpClient.h"
#include "http/RateGate.h"

namespace tributary::http {

// What one process's jobs share to reach vendors: the pooled transport, the database's
// rate-limit budgets (a session of its own, opened on first use with the first conninfo
// given) and the http: settings. Thread-safe.
class HttpService {
 public:
  explicit HttpService(config::HttpConfig cfg);

  const HttpClient& transport() const { return transport_; }
  RateGate& gate(const std::string& conninfo);
  const config::HttpConfig& config() const { return cfg_; }

 private:
  config::HttpConfig cfg_;
  HttpClient transport_;
  std::mutex mutex_;
  std::unique_ptr<RateGate> gate_;
};

}  // namespace tributary::http
