#include "auth/OAuth2Authenticator.h"

#include <algorithm>
#include <thread>

#include "auth/StaticAuthenticator.h"
#include "common/Log.h"
#include "common/Redact.h"
#include "common/Time.h"
#include "db/AdvisoryLocks.h"
#include "http/HttpError.h"
#include "secrets/SecretError.h"

namespace tributary::auth {
namespace {

using std::chrono::milliseconds;

// How long a run waits for another process's refresh before it gives up for now (RETRY).
constexpr milliseconds kLockWait{60'000};

// The session advisory lock of one credential, held on `conn` until destroyed.
class CredentialLock {
 public:
  CredentialLock(db::Connection& conn, const std::string& credential, const std::function<bool()>& cancelled,
                 const std::string& label)
      : conn_(conn), id_(credential) {
    const auto deadline = std::chrono::steady_clock::now() + kLockWait;
    for (;;) {
      auto r = conn_.exec("SELECT pg_try_advisory_lock($1, hashtext($2))", db::advisory::kCredential, id_);
      if (r.boolean(0, 0)) return;
      if (cancelled && cancelled()) throw http::WaitCancelled("cancelled while another process refreshed " + label);
      if (std::chrono::steady_clock::now() >= deadline) {
        throw http::HttpError(http::HttpError::Kind::Transient,
                              "another process has been refreshing the OAuth token of " + label + " for " +
                                  std::to_string(kLockWait.count() / 1000) + " s; trying again later");
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  ~CredentialLock() {
    try {
      conn_.exec("SELECT pg_advisory_unlock($1, hashtext($2))", db::advisory::kCredential, id_);
    } catch (const std::exception& e) {
      // The session ends with the connection's next failure, and the lock with it.
      log::warn("auth", "could not release the credential lock of {}: {}", id_, e.what());
    }
  }
  CredentialLock(const CredentialLock&) = delete;
  CredentialLock& operator=(const CredentialLock&) = delete;

 private:
  db::Connection& conn_;
  std::string id_;
};

void remember(const StoredCredential& c) {
  redact::remember(c.accessToken);
  redact::remember(c.refreshToken);
}

}  // namespace

OAuth2Authenticator::OAuth2Authenticator(AuthSettings settings, db::Pool& pool, http::HttpService& service,
                                         std::function<bool()> cancelled)
    : s_(std::move(settings)), pool_(pool), service_(service), cancelled_(std::move(cancelled)) {
  redact::remember(s_.clientSecret);
  redact::remember(s_.seedRefreshToken);
}

const CredentialStore& OAuth2Authenticator::store() {
  if (!store_) {
    ring_ = service_.keyRing();
    store_.emplace(*ring_);
  }
  return *store_;
}

int64_t OAuth2Authenticator::leadMs(const StoredCredential& c) {
  if (!c.expiresAtMs) return 0;
  const int64_t lifetime = std::max<int64_t>(0, *c.expiresAtMs - c.issuedAtMs);
  return std::min<int64_t>(300'000, lifetime / 10);
}

bool OAuth2Authenticator::expiring(const StoredCredential& c) const {
  if (c.accessToken.empty()) return true;  // a seeded row: only its refresh token
  return c.expiresAtMs && time::nowEpochMs() >= *c.expiresAtMs - leadMs(c);
}

void OAuth2Authenticator::unusable(const std::string& why) const {
  throw http::HttpError(http::HttpError::Kind::Credential, why);
}

void OAuth2Authenticator::reconnect(const std::string& why) const {
  unusable(why + "; run `" + s_.authorizeCommand() + "` to connect it again");
}

std::optional<StoredCredential> OAuth2Authenticator::loadRow(db::Connection& conn) {
  try {
    return store().load(conn, s_.credential);
  } catch (const secrets::SecretError& e) {
    unusable("the OAuth tokens of " + s_.tokensOf() + " cannot be opened: " + e.what());
  }
}

const StoredCredential& OAuth2Authenticator::usable() {
  if (!current_) {
    auto conn = pool_.acquire();
    current_ = loadRow(*conn);
    if (!current_ && !s_.seedRefreshToken.empty()) {
      store().seed(*conn, s_.credential, s_.connectionId, s_.seedRefreshToken);
      current_ = loadRow(*conn);
    }
    if (!current_) {
      unusable("connection " + s_.tokensOf() + " has no OAuth tokens yet: run `" + s_.authorizeCommand() +
               "` and open the URL it prints to connect it");
    }
    remember(*current_);
  }
  if (current_->failure) reconnect(*current_->failure);
  if (expiring(*current_)) refresh(current_->version);
  return *current_;
}

uint64_t OAuth2Authenticator::apply(http::HttpRequest& request) {
  const StoredCredential& c = usable();
  setHeader(request, s_.paramName, s_.valuePrefix + c.accessToken);
  return c.version;
}

bool OAuth2Authenticator::refreshAfterRejection(uint64_t version) {
  if (!current_) usable();
  refresh(version);
  return true;
}

std::string OAuth2Authenticator::value(std::string_view name) {
  const StoredCredential& c = usable();
  const auto it = c.extra.find(std::string(name));
  if (it == c.extra.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

void OAuth2Authenticator::refresh(uint64_t seenVersion) {
  auto conn = pool_.acquire();
  CredentialLock lock(*conn, s_.credential, cancelled_, s_.tokensOf());
  std::optional<StoredCredential> row = loadRow(*conn);
  if (!row) {
    unusable("connection " + s_.label + " has no OAuth tokens (they were removed): run `" + s_.authorizeCommand() +
             "`");
  }
  remember(*row);
  if (row->failure) {
    current_ = row;
    reconnect(*row->failure);
  }
  if (row->version != seenVersion && !expiring(*row)) {
    // Another job or host refreshed it while this one waited for the lock: no request of ours.
    log::debug("auth", "[{}] the OAuth token was refreshed by another process (version {})", s_.label, row->version);
    current_ = row;
    return;
  }
  if (row->refreshToken.empty()) {
    const std::string why = "the OAuth access token of " + s_.tokensOf() +
                            " expired and the vendor gave no refresh token with it (ask for offline access in "
                            "auth.scopes or the connector's authorize parameters)";
    store().markFailed(*conn, s_.credential, why);
    current_ = row;
    current_->failure = why;
    reconnect(why);
  }
  const std::optional<int64_t> unfinishedAt = row->refreshStartedAtMs;
  const std::string unfinishedBy = row->refreshStartedBy;
  store().markRefreshStarted(*conn, s_.credential, processName());
  TokenAnswer answer;
  try {
    answer = TokenEndpoint(service_.transport(), s_).refresh(row->refreshToken);
  } catch (const TokenError& e) {
    if (e.kind() == TokenError::Kind::Transient) {
      // Not answered: a request that never left may be sent again later; one that may have
      // arrived leaves the marker, so that a refusal of its token is explained.
      if (!e.sent()) store().clearRefreshStarted(*conn, s_.credential);
      throw http::HttpError(http::HttpError::Kind::Transient, e.what(), e.sent());
    }
    std::string why = e.what();
    if (e.oauthError() != "invalid_grant") {
      // The grant may be fine and the client's configuration wrong (invalid_client: its id or
      // secret): nothing is marked, so that fixing the YAML is enough.
      store().clearRefreshStarted(*conn, s_.credential);
      unusable(why + "; check auth.client_id and auth.client_secret of " + s_.label);
    }
    if (unfinishedAt) {
      why += ". The refresh token stored was used by an earlier refresh that never stored its answer: " +
             (unfinishedBy.empty() ? std::string("a process") : unfinishedBy) + " began it at " +
             time::iso8601Ms(*unfinishedAt) +
             " and stopped (killed, or cut off) between the vendor's answer and the store, so the vendor has "
             "already replaced the token this host holds (refresh tokens of this vendor are single-use)";
    }
    store().markFailed(*conn, s_.credential, why);
    current_ = row;
    current_->failure = why;
    log::error("auth", "[{}] {}", s_.label, why);
    reconnect(why);
  }
  // Stored before anything uses it: a rotated refresh token is the only one that still works.
  redact::remember(answer.accessToken);
  redact::remember(answer.refreshToken);
  current_ = store().store(*conn, s_.credential, s_.connectionId, answer, row->refreshToken, true);
  log::info("auth", "[{}] refreshed the OAuth token (version {}{})", s_.label, current_->version,
            answer.expiresInS ? ", expires in " + std::to_string(*answer.expiresInS) + " s" : std::string());
}

}  // namespace tributary::auth
