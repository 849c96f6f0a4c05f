#include "auth/OAuthCallback.h"

#include <stdexcept>

#include "auth/ConnectFlow.h"
#include "common/Log.h"
#include "common/Redact.h"
#include "http/HttpError.h"

namespace tributary::auth {
namespace {

std::string escapeHtml(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

bool wantsHtml(const server::Request& r) {
  auto it = r.headers.find("accept");
  return it != r.headers.end() && it->second.find("text/html") != std::string::npos;
}

server::Response answer(const server::Request& r, int status, const std::string& code, const std::string& message,
                        Json ok = Json()) {
  if (wantsHtml(r)) {
    const std::string title = status == 200 ? "Connected" : "Not connected";
    return server::Response::html(
        status, "<!doctype html><html><head><meta charset=\"utf-8\"><title>Tributary: " + title +
                    "</title></head><body><h1>" + title + "</h1><p>" + escapeHtml(message) + "</p></body></html>\n");
  }
  if (status == 200) return server::Response::json(200, std::move(ok));
  return server::Response::error(status, code, message);
}

}  // namespace

std::string connectionIdOf(db::Connection& conn, const std::string& workspace, const std::string& name) {
  auto r = conn.exec(
      "SELECT c.id FROM connections c JOIN workspaces w ON w.id = c.workspace_id WHERE w.slug = $1 AND c.name = $2",
      workspace, name);
  if (r.empty()) {
    throw std::invalid_argument("no connection " + workspace + "/" + name +
                                " in the database (connections come from the configuration when serve starts)");
  }
  return r.text(0, 0);
}

AuthSettings oauthSettingsOf(db::Connection& conn, const config::Config& cfg, const plugins::PluginRegistry& registry,
                             const std::string& connectionId) {
  auto r = conn.exec(
      "SELECT w.slug, c.name, c.connector FROM connections c JOIN workspaces w ON w.id = c.workspace_id"
      " WHERE c.id::text = $1",
      connectionId);
  if (r.empty()) throw std::invalid_argument("connection " + connectionId + " does not exist");
  const std::string label = r.text(0, 0) + "/" + r.text(0, 1);
  const config::ConnectionConfig* c = cfg.findConnection(r.text(0, 0), r.text(0, 1));
  if (!c) throw std::invalid_argument("connection " + label + " is not in " + cfg.file.string());
  auto plugin = registry.find(c->connector);
  if (!plugin) throw std::invalid_argument("connector " + c->connector + " of " + label + " is not loaded");
  auto s = resolveAuth(*c, *plugin, cfg.server, connectionId);
  if (!s || s->type != plugins::AuthType::OAuth2) {
    throw std::invalid_argument("connection " + label + " has " +
                                (s ? "auth type " + std::string(plugins::toString(s->type)) : std::string("no auth:")) +
                                ", not oauth2: it has no connect flow");
  }
  return *s;
}

void OAuthCallback::install(server::Router& router) {
  router.add("GET", "/oauth/callback", [this](const server::Request& r) { return handle(r); });
}

server::Response OAuthCallback::handle(const server::Request& request) const {
  auto q = [&](const char* k) {
    auto it = request.query.find(k);
    return it == request.query.end() ? std::string() : it->second;
  };
  const std::string state = q("state");
  const std::string code = q("code");
  redact::remember(code);
  if (!q("error").empty()) {
    const std::string message = "the vendor did not authorize the connection (" + q("error") +
                                (q("error_description").empty() ? "" : ": " + q("error_description")) +
                                "); nothing was stored";
    log::warn("auth", "oauth callback: {}", message);
    return answer(request, 400, "authorization_denied", message);
  }
  if (state.empty() || code.empty()) {
    return answer(request, 400, "invalid_request",
                  "the callback needs code and state (open the URL that "
                  "`tributary oauth authorize` prints)");
  }
  try {
    ConnectFlow flow(http_->keyRing(), http_->transport());
    const std::string connectionId = flow.connectionOf(state);
    auto conn = pool_->acquire();
    AuthSettings s;
    try {
      s = oauthSettingsOf(*conn, cfg_, *registry_, connectionId);
    } catch (const std::invalid_argument& e) {
      return answer(request, 400, "invalid_state",
                    std::string("the state names a connection this host cannot connect: ") + e.what());
    }
    const auto done = flow.finish(*conn, s, state, code);
    const std::string message =
        "connection " + done.label + " is connected; its syncs use the new tokens" +
        (done.refreshToken ? "" : " (the vendor gave no refresh token: connect again when the token expires)");
    return answer(request, 200, "", message,
                  Json{{"connected", true},
                       {"connection", done.label},
                       {"version", done.version},
                       {"refresh_token", done.refreshToken},
                       {"message", message}});
  } catch (const ConnectError& e) {
    log::warn("auth", "oauth callback refused: {}", e.what());
    return answer(request, e.status(), e.code(), e.what());
  } catch (const http::HttpError& e) {
    log::error("auth", "oauth callback: {}", e.what());
    return answer(request, 500, "no_key_ring", e.what());
  }
}

}  // namespace tributary::auth
