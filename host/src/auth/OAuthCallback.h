#pragma once

#include <memory>

#include "auth/AuthSettings.h"
#include "config/Config.h"
#include "db/Connection.h"
#include "db/Pool.h"
#include "http/HttpService.h"
#include "plugins/PluginRegistry.h"
#include "server/Router.h"

namespace tributary::auth {

// The auth settings of the connection with row id `connectionId`, as this host's configuration and
// plugins give them. Throws std::invalid_argument naming what is missing (no such connection, not
// in this host's configuration, its connector not loaded, its auth not oauth2).
AuthSettings oauthSettingsOf(db::Connection& conn, const config::Config& cfg, const plugins::PluginRegistry& registry,
                             const std::string& connectionId);
// The row id of WORKSPACE/CONNECTION; throws std::invalid_argument naming what is not there.
std::string connectionIdOf(db::Connection& conn, const std::string& workspace, const std::string& name);

// GET /oauth/callback?code=&state= (or ?error=&error_description=&state=): the connect flow's
// return from the vendor's authorize page. Answers an HTML page for a browser (Accept: text/html),
// JSON otherwise: 200 {connected, connection, version}, or 400/502 {error: {code, message}}.
class OAuthCallback {
 public:
  OAuthCallback(const config::Config& cfg, std::shared_ptr<const plugins::PluginRegistry> registry,
                std::shared_ptr<db::Pool> pool, std::shared_ptr<http::HttpService> http)
      : cfg_(cfg), registry_(std::move(registry)), pool_(std::move(pool)), http_(std::move(http)) {}
  void install(server::Router& router);
  server::Response handle(const server::Request& request) const;

 private:
  const config::Config& cfg_;
  std::shared_ptr<const plugins::PluginRegistry> registry_;
  std::shared_ptr<db::Pool> pool_;
  std::shared_ptr<http::HttpService> http_;
};

}  // namespace tributary::auth
