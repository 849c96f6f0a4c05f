#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/Json.h"

namespace tributary::server {

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> params;   // from ":name" segments of the route
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
};

struct Response {
  int status = 200;
  Json body = Json::object();
  std::map<std::string, std::string> headers;
  // Set: the body sent instead of the JSON one, with this content type (an HTML page for a browser).
  std::optional<std::string> text;
  std::string contentType = "application/json";

  static Response json(int status, Json body) {
    return {status, std::move(body), {}, std::nullopt, "application/json"};
  }
  static Response html(int status, std::string page) {
    return {status, Json::object(), {}, std::move(page), "text/html; charset=utf-8"};
  }
  static Response error(int status, const std::string& code, const std::string& message);
};

using Handler = std::function<Response(const Request&)>;

// Routes "GET /api/workspaces/:workspace/jobs" style patterns to handlers. A path that matches
// a route under another method answers 405; no match answers 404.
class Router {
 public:
  void add(const std::string& method, const std::string& pattern, Handler handler);
  Response dispatch(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  static bool match(const Route& r, const std::vector<std::string>& parts, std::map<std::string, std::string>& params);
  std::vector<Route> routes_;
};

}  // namespace tributary::server
