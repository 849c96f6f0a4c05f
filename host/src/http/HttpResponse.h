#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tributary::http {

// A response of any status. Headers keep their order as received.
struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

}  // namespace tributary::http
