#include "server/Router.h"

#include <set>

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

Response Response::error(int status, const std::string& code, const std::string& message, Json details) {
  if (details.is_null()) details = Json::object();
  return json(status, Json{{"error", {{"code", code}, {"message", message}, {"details", std::move(details)}}}});
}

void Router::add(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back({method, pattern, segmentsOf(pattern), std::move(handler)});
}

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& r : routes_) out.push_back({r.method, r.pattern});
  return out;
}

int Router::match(const Route& r, const std::vector<std::string>& parts, std::map<std::string, std::string>& params) {
  if (r.segments.size() != parts.size()) return -1;
  std::map<std::string, std::string> found;
  int literal = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& seg = r.segments[i];
    if (!seg.empty() && seg[0] == ':') {
      found[seg.substr(1)] = parts[i];
    } else if (seg != parts[i]) {
      return -1;
    } else {
      ++literal;
    }
  }
  params = std::move(found);
  return literal;
}

Response Router::dispatch(Request& request) const {
  auto parts = segmentsOf(request.path);
  // The best fit for the path, among all methods: a literal segment beats a parameter, so that
  // /sync/jobs is never read as /sync/:something.
  int best = -1;
  std::vector<const Route*> fits;
  std::map<std::string, std::string> bestParams;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    const int score = match(r, parts, params);
    if (score < 0 || score < best) continue;
    if (score > best) {
      best = score;
      fits.clear();
    }
    fits.push_back(&r);
  }
  if (fits.empty()) {
    return Response::error(404, "not_found", "no route for " + request.method + " " + request.path);
  }
  std::set<std::string> allowed;
  for (const Route* r : fits) {
    allowed.insert(r->method);
    if (r->method != request.method) continue;
    match(*r, parts, request.params);
    request.route = r->pattern;
    return r->handler(request);
  }
  request.route = fits.front()->pattern;
  auto out = Response::error(405, "method_not_allowed",
                             request.method + " is not allowed on " + request.path + " (allowed: " +
                                 strings::join(std::vector<std::string>(allowed.begin(), allowed.end()), ", ") + ")",
                             Json{{"allowed", allowed}});
  out.headers["Allow"] = strings::join(std::vector<std::string>(allowed.begin(), allowed.end()), ", ");
  return out;
}

}  // namespace tributary::server
