#include "api/Api.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "common/Log.h"
#include "common/Strings.h"
#include "plugins/PluginRegistry.h"
#include "queue/JobQueue.h"

namespace tributary::api {
namespace {

using server::ApiError;

// A JSON parse error's byte offset as "line L, column C" (1-based).
std::string lineAndColumn(const std::string& text, size_t offset, int& line, int& column) {
  line = 1;
  column = 1;
  for (size_t i = 0; i < text.size() && i + 1 < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

const char* typeName(Field::Type t) {
  switch (t) {
    case Field::Type::String: return "a string";
    case Field::Type::StringArray: return "an array of strings";
    case Field::Type::Boolean: return "a boolean";
    case Field::Type::Integer: return "an integer";
    case Field::Type::Object: return "an object";
    case Field::Type::Any: return "any value";
  }
  return "?";
}

bool hasType(const Json& v, Field::Type t) {
  switch (t) {
    case Field::Type::String: return v.is_string();
    case Field::Type::StringArray:
      if (!v.is_array()) return false;
      for (const auto& e : v) {
        if (!e.is_string()) return false;
      }
      return true;
    case Field::Type::Boolean: return v.is_boolean();
    case Field::Type::Integer: return v.is_number_integer() || v.is_number_unsigned();
    case Field::Type::Object: return v.is_object();
    case Field::Type::Any: return true;
  }
  return false;
}

std::string bearerOf(const server::Request& r) {
  const std::string h = r.header("authorization");
  if (h.size() > 7 && strings::toLower(h.substr(0, 7)) == "bearer ") {
    return std::string(strings::trim(std::string_view(h).substr(7)));
  }
  return "";
}

}  // namespace

[[noreturn]] void notFound(const std::string& what) { throw ApiError(404, "not_found", what); }
[[noreturn]] void badRequest(const std::string& message, Json details) {
  throw ApiError(400, "bad_request", message, std::move(details));
}
[[noreturn]] void conflict(const std::string& message, Json details) {
  throw ApiError(409, "conflict", message, std::move(details));
}

db::Connection& Call::db() {
  // A short wait: while the database is unreachable this fails fast (503), never holding a
  // request thread for the pool's default half minute.
  if (!conn_) conn_.emplace(pool_.acquire(std::chrono::seconds(3)));
  return **conn_;
}

Json Call::body(const std::vector<Field>& fields) const {
  Json j = Json::object();
  if (!strings::trim(req.body).empty()) {
    try {
      j = Json::parse(req.body);
    } catch (const Json::parse_error& e) {
      int line = 0, column = 0;
      const std::string where = lineAndColumn(req.body, e.byte, line, column);
      throw ApiError(400, "invalid_json", "the body is not valid JSON at " + where,
                     Json{{"line", line}, {"column", column}});
    }
  }
  if (!j.is_object()) throw ApiError(400, "invalid_body", "the body must be a JSON object");
  for (const auto& [k, v] : j.items()) {
    const Field* f = nullptr;
    for (const auto& x : fields) {
      if (x.name == k) f = &x;
    }
    if (!f) {
      std::vector<std::string> known;
      for (const auto& x : fields) known.push_back(x.name);
      throw ApiError(
          400, "unknown_field",
          "unknown field \"" + k + "\"" +
              (known.empty() ? " (this route takes no body)" : " (known: " + strings::join(known, ", ") + ")"),
          Json{{"field", k}});
    }
    if (!hasType(v, f->type)) {
      throw ApiError(400, "invalid_field", "field \"" + k + "\" must be " + typeName(f->type), Json{{"field", k}});
    }
  }
  for (const auto& f : fields) {
    if (f.required && !j.contains(f.name)) {
      throw ApiError(400, "missing_field", "field \"" + f.name + "\" is required", Json{{"field", f.name}});
    }
  }
  return j;
}

std::optional<std::string> Call::query(const std::string& name) const {
  auto it = req.query.find(name);
  if (it == req.query.end()) return std::nullopt;
  return it->second;
}

int64_t Call::intQuery(const std::string& name, int64_t def, int64_t min, int64_t max) const {
  auto v = query(name);
  if (!v) return def;
  int64_t n = 0;
  size_t used = 0;
  try {
    n = std::stoll(*v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v->size() || n < min || n > max) {
    throw ApiError(400, "invalid_query",
                   "query parameter \"" + name + "\" must be an integer from " + std::to_string(min) + " to " +
                       std::to_string(max),
                   Json{{"field", name}});
  }
  return n;
}

Api::Api(ApiServices services) : s_(std::move(services)) {}

void Api::authenticate(Call& call, Access access) const {
  if (access == Access::Open) return;
  std::string token = bearerOf(call.req);
  const bool fromQuery = token.empty() && access == Access::Stream && call.req.query.count("token");
  if (fromQuery) token = call.req.query.at("token");
  if (token.empty()) {
    ApiError e(401, "unauthorized", "this route needs a token: send Authorization: Bearer TOKEN");
    e.headers["WWW-Authenticate"] = "Bearer";
    throw e;
  }
  auto who = tokens::authenticate(call.db(), token);
  if (!who || (who->kind == Principal::Kind::Stream && !fromQuery) ||
      (fromQuery && who->kind != Principal::Kind::Stream)) {
    ApiError e(401, "unauthorized", "the token is unknown, revoked or expired");
    e.headers["WWW-Authenticate"] = "Bearer error=\"invalid_token\"";
    throw e;
  }
  if (who->kind == Principal::Kind::Stream) {
    auto job = call.req.params.find("job");
    if (job == call.req.params.end() || job->second != who->jobId) notFound("no such job");
  }
  if (access == Access::Admin && !who->admin()) {
    // A workspace token learns nothing of what else exists.
    notFound("no route for " + call.req.method + " " + call.req.path);
  }
  call.who = *who;
}

void Api::resolveWorkspace(Call& call) const {
  auto it = call.req.params.find("workspace");
  if (it == call.req.params.end()) return;
  const std::string& key = it->second;
  auto r = call.db().execPrepared(
      "SELECT id, slug, name, enabled FROM workspaces WHERE slug = $1"
      " OR ($1 ~ '^[0-9a-fA-F-]{36}$' AND id::text = lower($1))",
      key);
  // An unknown workspace and another's look the same: a token cannot discover workspaces.
  if (r.empty() || !call.who.reaches(r.text(0, 0))) notFound("no workspace \"" + key + "\"");
  call.workspace = Workspace{r.text(0, 0), r.text(0, 1), r.text(0, 2), r.boolean(0, 3)};
}

void Api::limitRate(const Principal& who) {
  const auto& c = s_.cfg->api;
  if (c.ratePerSecond <= 0 || who.tokenId.empty()) return;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(rateMutex_);
  auto [it, fresh] = buckets_.try_emplace(who.tokenId);
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = c.rateBurst;
    b.at = now;
  } else {
    const double secs = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min<double>(c.rateBurst, b.tokens + secs * c.ratePerSecond);
    b.at = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return;
  }
  const int wait = static_cast<int>(std::ceil((1 - b.tokens) / c.ratePerSecond));
  ApiError e(429, "rate_limited",
             "token \"" + who.name + "\" is over its request rate (" + fmt::format("{:g}", c.ratePerSecond) +
                 " per second, bursts of " + std::to_string(c.rateBurst) + "); retry after " + std::to_string(wait) +
                 " s",
             Json{{"retryAfterSeconds", wait}});
  e.headers["Retry-After"] = std::to_string(std::max(1, wait));
  throw e;
}

void Api::route(server::Router& router, const std::string& method, const std::string& pattern, Access access,
                CallHandler handler) {
  router.add(method, pattern, [this, access, handler = std::move(handler)](server::Request& req) {
    Call call(req, *s_.pool);
    authenticate(call, access);
    limitRate(call.who);
    resolveWorkspace(call);
    return handler(call);
  });
}

void Api::audit(Call& call, const std::string& action, const std::string& target, const Json& details) {
  call.db().execPrepared(
      "INSERT INTO api_audit (token_id, token_name, workspace_id, action, target, details, client)"
      " VALUES ($1::uuid, $2, $3::uuid, $4, $5, $6::jsonb, $7)",
      call.who.tokenId.empty() ? std::nullopt : std::optional<std::string>(call.who.tokenId),
      call.who.name.empty() ? std::string("(none)") : call.who.name,
      call.workspace ? std::optional<std::string>(call.workspace->id) : std::nullopt, action, target, details.dump(),
      call.req.clientAddress);
}

void Api::install(server::Router& router) {
  auto registry = s_.registry;
  route(router, "GET", "/api/plugins", Access::Token,
        [registry](Call&) { return server::Response::json(200, Json::parse(registry->toJson().dump())); });
  route(router, "GET", "/api/audit", Access::Admin, [](Call& call) {
    const int64_t limit = call.intQuery("limit", 50, 1, 500);
    const int64_t before =
        call.intQuery("before", std::numeric_limits<int64_t>::max(), 1, std::numeric_limits<int64_t>::max());
    auto r = call.db().exec(
        "SELECT a.id, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), a.token_name, w.slug,"
        " a.action, a.target, a.details::text, a.client"
        " FROM api_audit a LEFT JOIN workspaces w ON w.id = a.workspace_id WHERE a.id < $1"
        " ORDER BY a.id DESC LIMIT $2",
        before, limit);
    Json entries = Json::array();
    for (int i = 0; i < r.rows(); ++i) {
      entries.push_back({{"id", r.int64(i, 0)},
                         {"at", r.text(i, 1)},
                         {"tokenName", r.text(i, 2)},
                         {"workspace", r.optText(i, 3) ? Json(*r.optText(i, 3)) : Json(nullptr)},
                         {"action", r.text(i, 4)},
                         {"target", r.text(i, 5)},
                         {"details", Json::parse(r.view(i, 6))},
                         {"client", r.optText(i, 7).value_or("")}});
    }
    Json out = {{"entries", entries}, {"nextCursor", nullptr}};
    if (r.rows() == limit) out["nextCursor"] = std::to_string(r.int64(r.rows() - 1, 0));
    return server::Response::json(200, out);
  });
  installSyncRoutes(*this, router);
  installJobRoutes(*this, router);
  installStatusRoutes(*this, router);
  installWorkspaceRoutes(*this, router);
  installRecordRoutes(*this, router);
  installWebhookRoutes(*this, router);
  installOpenApiRoute(*this, router);
}

extern const char* const kOpenApiDocument;

const char* openApiDocument() { return kOpenApiDocument; }

void installOpenApiRoute(Api& api, server::Router& router) {
  // Parsed once: a document that does not parse fails the host's start, not a request.
  auto doc = std::make_shared<const Json>(Json::parse(kOpenApiDocument));
  api.route(router, "GET", "/api/openapi.json", Access::Open,
            [doc](Call&) { return server::Response::json(200, *doc); });
}

}  // namespace tributary::api
