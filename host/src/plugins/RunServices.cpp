#include "plugins/RunServices.h"

#include "http/HttpClient.h"

namespace tributary::plugins {

http::HttpResponse RunServices::httpRequest(const http::HttpRequest& request) {
  return http::HttpClient::shared().send(request);
}

}  // namespace tributary::plugins
