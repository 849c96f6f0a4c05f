#include "server/Router.h"

#include "common/Strings.h"

namespace tributary::server {
namespace {

std::vector<std::string> segmentsOf(const std::string& path) {
  std::vector<std::string> out;
  for (auto& s : strings::split(path, '/')) {
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

}  // namespace

Response Response::error(int status, const std::string& code, const std::string& message) {
  return json(status, Json{{"error", {{"code", code}, {"message", message}}}});
}

void Router::add(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back({method, segmentsOf(pattern), std::move(handler)});
}

bool Router::match(const Route& r, const std::vector<std::string>& parts, std::map<std::string, std::string>& params) {
  if (r.segments.size() != parts.size()) return false;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& seg = r.segments[i];
    if (!seg.empty() && seg[0] == ':') {
      found[seg.substr(1)] = parts[i];
    } else if (seg != parts[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

Response Router::dispatch(Request& request) const {
  auto parts = segmentsOf(request.path);
  bool pathMatched = false;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (!match(r, parts, params)) continue;
    pathMatched = true;
    if (r.method != request.method) continue;
    request.params = std::move(params);
    return r.handler(request);
  }
  if (pathMatched) {
    return Response::error(405, "method_not_allowed", request.method + " is not allowed on " + request.path);
  }
  return Response::error(404, "not_found", "no route for " + request.method + " " + request.path);
}

}  // namespace tributary::server
