#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tributary::sim {

// One HTTP request as vendors and the admin API see it, free of the HTTP server so that
// endpoint logic can be unit-tested without sockets.
struct SimRequest {
  std::string method;
  // Percent-decoded path, no query string.
  std::string path;
  // The query string as received (logged as is).
  std::string rawQuery;
  // Decoded query parameters in order; a name may repeat.
  std::vector<std::pair<std::string, std::string>> query;
  // Header names lowercased.
  std::map<std::string, std::string> headers;
  std::string body;
  // http://127.0.0.1:PORT of the listener that received the request.
  std::string baseUrl;
  // The TCP connection that carried it: 1, 2, ... in accept order, unique across the process's
  // listeners for its life; 0 when no socket was involved (unit tests).
  uint64_t connection = 0;

  std::optional<std::string> param(std::string_view name) const;
  std::string header(const std::string& lowercaseName) const;
  // The token of "Authorization: Bearer X" (or the raw header when it has no scheme).
  std::string bearerToken() const;

  // Splits "a=1&b=x%20y" (with + as space).
  static std::vector<std::pair<std::string, std::string>> parseQuery(std::string_view raw);
  static std::string percentDecode(std::string_view text, bool plusIsSpace);
  static std::string percentEncode(std::string_view text);
  // Builds a request from "GET", "/path?x=1": handy in tests.
  static SimRequest make(std::string method, std::string_view target, std::string body = "",
                         std::map<std::string, std::string> headers = {});
};

}  // namespace tributary::sim
