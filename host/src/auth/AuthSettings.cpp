#include "auth/AuthSettings.h"

#include <stdexcept>

namespace tributary::auth {

std::optional<AuthSettings> resolveAuth(const config::ConnectionConfig& conn, const plugins::ConnectorPlugin& plugin,
                                        const config::ServerConfig& server, const std::string& connectionId) {
  if (!conn.auth.given()) return std::nullopt;
  const auto type = plugins::parseAuthType(conn.auth.type);
  const plugins::AuthDescriptor* declared = type ? plugin.findAuth(*type) : nullptr;
  if (!declared) {
    throw std::invalid_argument("connection " + conn.qualifiedName() + " has auth type " + conn.auth.type + ", which " +
                                plugin.name() + " does not accept");
  }
  AuthSettings s;
  s.type = *type;
  s.label = conn.qualifiedName();
  s.workspace = conn.workspace;
  s.connection = conn.name;
  s.connectionId = connectionId;
  s.credential = conn.auth.credential.empty() ? "connection:" + connectionId : "shared:" + conn.auth.credential;
  s.paramName = declared->paramName;
  s.valuePrefix = declared->valuePrefix;
  s.inQuery = declared->inQuery;
  const auto& a = conn.auth;
  s.token = a.value("token");
  s.username = a.value("username");
  s.password = a.value("password");
  s.key = a.value("key");
  s.clientId = a.value("client_id");
  s.clientSecret = a.value("client_secret");
  s.seedRefreshToken = a.value("refresh_token");
  s.authorizeUrl = a.authorizeUrl.value_or(declared->authorizeUrl);
  s.tokenUrl = a.tokenUrl.value_or(declared->tokenUrl);
  s.scopes = a.scopes.value_or(declared->scopes);
  s.authorizeParams = declared->authorizeParams;
  s.redirectUri = a.redirectUri.value_or(server.baseUrl() + "/oauth/callback");
  s.pkce = declared->pkce;
  s.clientBasic = declared->clientBasic;
  return s;
}

}  // namespace tributary::auth
