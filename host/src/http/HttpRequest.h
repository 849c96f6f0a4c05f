#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace tributary::http {

// One outgoing request. Headers keep their order and may repeat.
struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{0};  // 0: the client's default
};

}  // namespace tributary::http
