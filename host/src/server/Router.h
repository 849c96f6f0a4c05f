#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/Json.h"

namespace Poco::Net {
class StreamSocket;
}

namespace tributary::server {

struct Request {
  std::string method;
  std::string path;
  std::string uri;  // as sent, with its query
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> params;   // from ":name" segments of the route
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  std::string route;          // the pattern that matched ("/api/workspaces/:workspace"), set by dispatch
  std::string clientAddress;  // host part of the peer's address
  std::string header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A response whose body outlives the request: the server sends the status and headers, then
// hands the connection's socket to start() and forgets it (server-sent events). The socket is
// the stream's from then on: the request thread returns at once.
class StreamBody {
 public:
  virtual ~StreamBody() = default;
  virtual void start(Poco::Net::StreamSocket& socket) = 0;
};

struct Response {
  int status = 200;
  Json body = Json::object();
  std::map<std::string, std::string> headers;
  // Set: the body sent instead of the JSON one, with this content type (an HTML page for a browser).
  std::optional<std::string> text;
  std::string contentType = "application/json";
  std::shared_ptr<StreamBody> stream;
  // Keys of `body` (top level) sent as they are although every answer is redacted: what a route
  // shows once on purpose (a generated webhook secret). Nothing else may go here.
  std::vector<std::string> revealed;

  static Response json(int status, Json body) {
    return {status, std::move(body), {}, std::nullopt, "application/json", nullptr, {}};
  }
  static Response html(int status, std::string page) {
    return {status, Json::object(), {}, std::move(page), "text/html; charset=utf-8", nullptr, {}};
  }
  static Response plain(int status, std::string text, std::string contentType = "text/plain; charset=utf-8") {
    return {status, Json::object(), {}, std::move(text), std::move(contentType), nullptr, {}};
  }
  // {"error": {"code", "message", "details"}}: every 4xx and 5xx the API sends.
  static Response error(int status, const std::string& code, const std::string& message, Json details = Json::object());
};

// Thrown by a handler for an answer other than its success: the router makes it the error body.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, const std::string& message, Json details = Json::object())
      : std::runtime_error(message), status_(status), code_(std::move(code)), details_(std::move(details)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }
  const Json& details() const { return details_; }
  std::map<std::string, std::string> headers;

 private:
  int status_;
  std::string code_;
  Json details_;
};

using Handler = std::function<Response(Request&)>;

// Routes "GET /api/workspaces/:workspace/jobs" style patterns to handlers. A path that matches
// a route under another method answers 405 with Allow; no match answers 404. A literal segment
// wins over a ":param" one at the same place, whatever the order of add().
class Router {
 public:
  void add(const std::string& method, const std::string& pattern, Handler handler);
  Response dispatch(Request& request) const;

  struct RouteInfo {
    std::string method;
    std::string pattern;
  };
  std::vector<RouteInfo> routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  // How well a route fits the path: -1 no match, else the count of literal segments.
  static int match(const Route& r, const std::vector<std::string>& parts, std::map<std::string, std::string>& params);
  std::vector<Route> routes_;
};

}  // namespace tributary::server
