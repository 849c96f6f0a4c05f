#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/Tokens.h"
#include "common/Json.h"
#include "config/Config.h"
#include "db/Pool.h"
#include "server/Router.h"

namespace tributary::plugins {
class PluginRegistry;
}
namespace tributary::queue {
class JobQueue;
}
namespace tributary::http {
class HttpService;
}

namespace tributary::api {

// What the routes use. Everything but `http` is required.
struct ApiServices {
  std::shared_ptr<const config::Config> cfg;
  std::shared_ptr<db::Pool> pool;
  std::shared_ptr<queue::JobQueue> queue;
  std::shared_ptr<const plugins::PluginRegistry> registry;
  std::shared_ptr<http::HttpService> http;  // the OAuth connect flow's token endpoint
};

struct Workspace {
  std::string id, slug, name;
  bool enabled = true;
};

// Who may call a route.
enum class Access {
  Open,    // anyone (/health, /ready, the OpenAPI document)
  Token,   // any admin or workspace token; a :workspace route only its own workspace's
  Admin,   // admin tokens only
  Stream,  // as Token, or a stream token for the route's :job (an EventSource's ?token=)
};

// One field of a JSON body: its name, its type, and whether it must be there.
struct Field {
  enum class Type { String, StringArray, Boolean, Integer, Object, Any };
  std::string name;
  Type type = Type::String;
  bool required = false;
};

// One call of a route: its request, who made it, its workspace (for a :workspace route, already
// checked against the token), and a database connection borrowed on first use.
class Call {
 public:
  Call(server::Request& request, db::Pool& pool) : req(request), pool_(pool) {}
  server::Request& req;
  Principal who;
  std::optional<Workspace> workspace;

  db::Connection& db();
  const Workspace& ws() const { return *workspace; }
  // The JSON body checked against `fields`: an empty body is {}; malformed JSON is a 400 naming
  // line and column; a field of the wrong type, a missing required one or an unknown one is a
  // 400 naming it.
  Json body(const std::vector<Field>& fields) const;
  // A query parameter as an integer in [min, max] (400 naming it otherwise), or `def`.
  int64_t intQuery(const std::string& name, int64_t def, int64_t min, int64_t max) const;
  std::optional<std::string> query(const std::string& name) const;
  const std::string& param(const std::string& name) const { return req.params.at(name); }

 private:
  db::Pool& pool_;
  std::optional<db::PooledConnection> conn_;
};

using CallHandler = std::function<server::Response(Call&)>;

// The HTTP API: every route under /api, /metrics and the OpenAPI document. Routes are added
// through route(), which authenticates (Authorization: Bearer), applies each token's request
// rate, resolves :workspace (a slug or a uuid; one the token may not reach is a 404, as an
// unknown one), and borrows a connection.
class Api {
 public:
  explicit Api(ApiServices services);

  void install(server::Router& router);
  void route(server::Router& router, const std::string& method, const std::string& pattern, Access access,
             CallHandler handler);

  // Records who did what (api_audit), in the caller's connection.
  void audit(Call& call, const std::string& action, const std::string& target, const Json& details = Json::object());

  const ApiServices& services() const { return s_; }
  const config::Config& cfg() const { return *s_.cfg; }
  queue::JobQueue& queue() const { return *s_.queue; }

 private:
  void authenticate(Call& call, Access access) const;
  void resolveWorkspace(Call& call) const;
  void limitRate(const Principal& who);

  ApiServices s_;
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point at;
  };
  std::mutex rateMutex_;
  std::map<std::string, Bucket> buckets_;
};

// Each room's routes, installed by Api::install.
void installSyncRoutes(Api& api, server::Router& router);
void installJobRoutes(Api& api, server::Router& router);
void installStatusRoutes(Api& api, server::Router& router);
void installWorkspaceRoutes(Api& api, server::Router& router);
void installRecordRoutes(Api& api, server::Router& router);
void installWebhookRoutes(Api& api, server::Router& router);
// GET /api/openapi.json: the document compiled in from host/openapi/openapi.json.
void installOpenApiRoute(Api& api, server::Router& router);
// The document itself.
const char* openApiDocument();

// 404 naming what was not found.
[[noreturn]] void notFound(const std::string& what);
[[noreturn]] void badRequest(const std::string& message, Json details = Json::object());
[[noreturn]] void conflict(const std::string& message, Json details = Json::object());

}  // namespace tributary::api
