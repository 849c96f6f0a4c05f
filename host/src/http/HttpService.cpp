#include "http/HttpService.h"

#include "http/HttpError.h"

namespace tributary::http {
namespace {
HttpClient::Options transportOptions(const config::HttpConfig& c) {
  HttpClient::Options o;
  o.defaultTimeout = c.timeout;
  o.caFile = c.caFile;
  o.maxIdlePerHost = c.pool.maxIdlePerHost;
  o.idleTimeout = c.pool.idleTimeout;
  o.maxAge = c.pool.maxAge;
  return o;
}
}  // namespace

HttpService::HttpService(config::HttpConfig cfg) : cfg_(std::move(cfg)), transport_(transportOptions(cfg_)) {}

void HttpService::setKeyRing(RingOpener opener) {
  std::lock_guard lock(mutex_);
  ringOpener_ = std::move(opener);
}

std::shared_ptr<const secrets::KeyRing> HttpService::keyRing() {
  std::lock_guard lock(mutex_);
  if (ring_) return ring_;
  if (!ringOpener_) {
    throw HttpError(HttpError::Kind::Credential, "this process has no key ring for the credentials it keeps");
  }
  try {
    ring_ = ringOpener_();
  } catch (const std::exception& e) {
    throw HttpError(HttpError::Kind::Credential, e.what());
  }
  return ring_;
}

RateGate& HttpService::gate(const std::string& conninfo) {
  std::lock_guard lock(mutex_);
  if (!gate_) gate_ = std::make_unique<RateGate>(conninfo);
  return *gate_;
}

}  // namespace tributary::http
