#include "plugins/RunServices.h"

#include "http/HttpClient.h"
#include "http/VendorClient.h"

namespace tributary::plugins {

http::HttpResponse RunServices::httpRequest(const http::HttpRequest& request) {
  if (!http_) return http::HttpClient::shared().send(request);
  try {
    return http_->send(request);
  } catch (const http::WaitCancelled& e) {
    throw RunStopped(ResultCode::Cancelled, e.what());
  }
}

void RunServices::setStreamState(std::string_view, std::string_view) { throw NotAvailable(); }
void RunServices::emitLink(const LinkView&) { throw NotAvailable(); }
void RunServices::requestFollowUp(const FollowUpView&) { throw NotAvailable(); }
void RunServices::addRunCounter(std::string_view, int64_t) { throw NotAvailable(); }
void RunServices::setRunFact(std::string_view, std::string_view) { throw NotAvailable(); }
void RunServices::declareStream(const StreamDescriptor&) { throw NotAvailable(); }
void RunServices::setActionResult(std::string_view) { throw NotAvailable(); }
std::string RunServices::authValue(std::string_view name) {
  if (!http_) {
    throw RunStopped(ResultCode::Fatal, "get_auth_value(\"" + std::string(name) +
                                            "\"): this call has no connection whose credential it could read");
  }
  try {
    return http_->authValue(name);
  } catch (const http::WaitCancelled& e) {
    throw RunStopped(ResultCode::Cancelled, e.what());
  } catch (const http::HttpError& e) {
    throw RunStopped(e.kind() == http::HttpError::Kind::Transient ? ResultCode::Retry : ResultCode::Fatal, e.what());
  }
}

void RunServices::reportRateLimit(std::string_view limitClass, int64_t remaining, std::optional<int64_t> resetAtMs) {
  if (!http_) return;  // no shared budget to tighten
  try {
    http_->report(limitClass, remaining, resetAtMs);
  } catch (const std::invalid_argument& e) {
    throw RunStopped(ResultCode::Fatal, e.what());
  }
}

}  // namespace tributary::plugins
