#pragma once

#include <optional>
#include <string>

#include "config/Config.h"
#include "plugins/ConnectorPlugin.h"

namespace tributary::auth {

// One connection's credential as the host uses it: what its connector declares of the type
// (header, prefix, OAuth endpoints) with the connection's auth: values and overrides.
struct AuthSettings {
  plugins::AuthType type = plugins::AuthType::Bearer;
  std::string label;         // "acme/salesforce", for messages
  std::string workspace;     // the workspace's slug, for the commands messages suggest
  std::string connection;    // the connection's name
  std::string connectionId;  // its row
  // oauth2: the key of its auth_credentials row: "shared:NAME" (auth.credential), else
  // "connection:" + connectionId.
  std::string credential;
  // How it is sent: a header (paramName: value prefix + credential), or a query parameter.
  std::string paramName;
  std::string valuePrefix;
  bool inQuery = false;
  // bearer, basic, api_key
  std::string token, username, password, key;
  // oauth2
  std::string authorizeUrl, tokenUrl, scopes, authorizeParams, redirectUri;
  std::string clientId, clientSecret;
  std::string seedRefreshToken;  // auth.refresh_token: used when the database holds no tokens yet
  bool pkce = false, clientBasic = false;

  std::string authorizeCommand() const { return "tributary oauth authorize " + workspace + " " + connection; }
  // "acme/sf" or "acme/sf (credential crm)", for messages about the tokens.
  std::string tokensOf() const {
    return credential.rfind("shared:", 0) == 0 ? label + " (credential " + credential.substr(7) + ")" : label;
  }
};

// The connection's credential, or nullopt when it has no auth:. `server` gives the default
// redirect_uri (server.public_url + /oauth/callback). Throws std::invalid_argument naming the
// connection when its auth.type is not one the connector declares (a validated configuration
// never does).
std::optional<AuthSettings> resolveAuth(const config::ConnectionConfig& conn, const plugins::ConnectorPlugin& plugin,
                                        const config::ServerConfig& server, const std::string& connectionId);

}  // namespace tributary::auth
