#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http/HttpRequest.h"

namespace tributary::http {

// What adds one connection's credential to its requests (auth/ has the kinds: a static bearer,
// basic or API key credential, and OAuth 2.0 tokens kept in the database). One per run, used on
// the run's thread. Errors are HttpError: Credential when an operator must act (not connected,
// the refresh token refused), Transient when a refresh failed for now; WaitCancelled when the run
// was cancelled while it waited for another host's refresh.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Adds the credential to `request` (a header, or a query parameter), refreshing an OAuth token
  // that is about to expire first. Returns the version of the credential it added, for
  // refreshAfterRejection (0 for a static credential).
  virtual uint64_t apply(HttpRequest& request) = 0;
  // The vendor refused the credential of `version` as expired (a REFRESH_AUTH rule matched): make
  // a newer one current (refresh it, or take the one another job stored meanwhile). False when the
  // credential cannot be refreshed (a static one): the response goes to the plugin as it came.
  virtual bool refreshAfterRejection(uint64_t version) = 0;
  // get_auth_value: a field of the token answer besides the tokens ("instance_url"), "" when it has
  // none; throws HttpError(Credential) for a credential with no such values (not oauth2).
  virtual std::string value(std::string_view name) = 0;
  // "oauth2", "bearer", ...: for messages.
  virtual std::string_view kind() const = 0;
};

}  // namespace tributary::http
