#pragma once

#include "auth/AuthSettings.h"
#include "http/Authenticator.h"

namespace tributary::auth {

// A credential given in the configuration, the same on every request: a bearer token, a user
// and password (HTTP Basic), or an API key in a header or a query parameter.
class StaticAuthenticator : public http::Authenticator {
 public:
  explicit StaticAuthenticator(AuthSettings settings);
  uint64_t apply(http::HttpRequest& request) override;
  bool refreshAfterRejection(uint64_t) override { return false; }
  std::string value(std::string_view name) override;
  std::string_view kind() const override;

 private:
  AuthSettings s_;
  std::string headerValue_;  // bearer and basic; api_key in a header
};

// Sets `name: value` on the request, replacing any header of that name the plugin set (the
// host's credential is the connection's; a plugin's own would be a second, unmanaged one).
void setHeader(http::HttpRequest& request, const std::string& name, const std::string& value);
// Adds name=value (percent-encoded) to the URL's query, replacing a parameter of that name.
void setQueryParameter(http::HttpRequest& request, const std::string& name, const std::string& value);

}  // namespace tributary::auth
