#include "http/HttpService.h"

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

RateGate& HttpService::gate(const std::string& conninfo) {
  std::lock_guard lock(mutex_);
  if (!gate_) gate_ = std::make_unique<RateGate>(conninfo);
  return *gate_;
}

}  // namespace tributary::http
