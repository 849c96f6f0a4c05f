#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "auth/AuthSettings.h"
#include "auth/CredentialStore.h"
#include "db/Pool.h"
#include "http/Authenticator.h"
#include "http/HttpClient.h"
#include "http/HttpService.h"

namespace tributary::auth {

// An oauth2 connection's access token for one run, read from auth_credentials and refreshed
// when it is about to expire (ahead by a tenth of its lifetime, at most 5 minutes) or when the
// vendor refuses it (a REFRESH_AUTH rule).
//
// How a refresh is serialised across jobs and hosts: the refresher holds the session advisory
// lock (db::advisory::kCredential, hashtext(credential), AuthSettings::credential) on a pooled connection for the
// whole refresh. Under it, it re-reads the row: when its version moved past the one this run
// used (another job or host refreshed meanwhile) and the new token is not about to expire, it
// takes that one and sends nothing. Otherwise it commits refresh_started_at, sends the one
// refresh request, and stores the answer (the rotated refresh token with it) in the statement
// right after the answer arrives, before any request uses the new token; then it unlocks. A
// process that dies holding the lock loses its session and with it the lock; the marker it left
// says, if the vendor then refuses the stored refresh token, which refresh used it up and when.
class OAuth2Authenticator : public http::Authenticator {
 public:
  // `cancelled` is polled while waiting for another refresher's lock.
  // The key ring comes from `service` on first need (a missing key file fails the request that
  // needed it, naming secrets.key_file, not the run's start).
  OAuth2Authenticator(AuthSettings settings, db::Pool& pool, http::HttpService& service,
                      std::function<bool()> cancelled);

  uint64_t apply(http::HttpRequest& request) override;
  bool refreshAfterRejection(uint64_t version) override;
  std::string value(std::string_view name) override;
  std::string_view kind() const override { return "oauth2"; }

  // For tests and `tributary oauth status`: the credential as this run holds it.
  const std::optional<StoredCredential>& current() const { return current_; }
  // How long before expiry a token is refreshed: a tenth of its lifetime, at most 5 minutes.
  static int64_t leadMs(const StoredCredential& c);

 private:
  const StoredCredential& usable();
  bool expiring(const StoredCredential& c) const;
  void refresh(uint64_t seenVersion);
  // The row, opened; unusable() when it does not open (a key this host lacks).
  std::optional<StoredCredential> loadRow(db::Connection& conn);
  [[noreturn]] void unusable(const std::string& why) const;
  // unusable(), saying which command connects it again.
  [[noreturn]] void reconnect(const std::string& why) const;

  const CredentialStore& store();

  AuthSettings s_;
  db::Pool& pool_;
  http::HttpService& service_;
  std::shared_ptr<const secrets::KeyRing> ring_;
  std::optional<CredentialStore> store_;
  std::function<bool()> cancelled_;
  std::optional<StoredCredential> current_;
};

}  // namespace tributary::auth
