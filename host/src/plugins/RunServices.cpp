#include "plugins/RunServices.h"

#include "http/HttpClient.h"

namespace tributary::plugins {

http::HttpResponse RunServices::httpRequest(const http::HttpRequest& request) {
  return http::HttpClient::shared().send(request);
}

void RunServices::setStreamState(std::string_view, std::string_view) { throw NotAvailable(); }
void RunServices::emitLink(const LinkView&) { throw NotAvailable(); }
void RunServices::requestFollowUp(const FollowUpView&) { throw NotAvailable(); }
void RunServices::addRunCounter(std::string_view, int64_t) { throw NotAvailable(); }
void RunServices::setRunFact(std::string_view, std::string_view) { throw NotAvailable(); }
void RunServices::declareStream(const StreamDescriptor&) { throw NotAvailable(); }
void RunServices::setActionResult(std::string_view) { throw NotAvailable(); }
// No shared budget behind these services (a test's): nothing to tighten.
void RunServices::reportRateLimit(std::string_view, int64_t, std::optional<int64_t>) {}

}  // namespace tributary::plugins
