#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "config/Config.h"
#include "http/HttpClient.h"
#include "http/RateGate.h"

namespace tributary::secrets {
class KeyRing;
}

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

  // How the process opens the key ring that seals the credentials it keeps (secrets.key_file):
  // set once at start; called on first need. Throws (secrets::SecretError) when there is none.
  using RingOpener = std::function<std::shared_ptr<const secrets::KeyRing>()>;
  void setKeyRing(RingOpener opener);
  // The ring, opened once; HttpError(Credential) with the opener's message when it cannot be.
  std::shared_ptr<const secrets::KeyRing> keyRing();

 private:
  config::HttpConfig cfg_;
  HttpClient transport_;
  std::mutex mutex_;
  std::unique_ptr<RateGate> gate_;
  RingOpener ringOpener_;
  std::shared_ptr<const secrets::KeyRing> ring_;
};

}  // namespace tributary::http
