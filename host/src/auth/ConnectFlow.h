#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "auth/AuthSettings.h"
#include "db/Connection.h"
#include "http/HttpClient.h"
#include "secrets/KeyRing.h"

namespace tributary::auth {

// The connect flow's refusal of a callback: `status` for the HTTP answer (400: a state that is
// forged, expired, replayed or for another connection; 502: the vendor refused the code), and a
// message naming what was wrong and what to do.
class ConnectError : public std::runtime_error {
 public:
  ConnectError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

// The OAuth 2.0 authorization code flow of an oauth2 connection.
//
// begin() makes a `state` and stores it: "v1.NONCE.EXPIRES_MS.KEY_ID.MAC" where NONCE is 32
// random bytes (base64url), MAC is HMAC-SHA256 (under a key derived from the key ring's key
// KEY_ID) of the connection's id, the nonce, the expiry and the redirect_uri, and the row
// oauth_states(id = SHA-256 of the nonce) holds the connection, the redirect_uri, the expiry and
// the sealed PKCE verifier. finish() verifies the MAC (a forged state), the expiry (an expired
// one), consumes the row in one UPDATE ... WHERE used_at IS NULL (a replayed one), exchanges the
// code at the token URL with the same redirect_uri (and the verifier), and stores the tokens.
class ConnectFlow {
 public:
  static constexpr std::chrono::minutes kStateTtl{10};

  ConnectFlow(std::shared_ptr<const secrets::KeyRing> ring, const http::HttpClient& transport)
      : ring_(std::move(ring)), transport_(transport) {}

  struct Started {
    std::string url;    // the vendor's authorize URL to open
    std::string state;  // as in the URL
    int64_t expiresAtMs = 0;
  };
  // `redirectUri` empty: the connection's (auth.redirect_uri, or server.public_url/oauth/callback).
  // `ttl`: how long the state works (tests make expired ones).
  Started begin(db::Connection& conn, const AuthSettings& s, const std::string& redirectUri = "",
                std::chrono::milliseconds ttl = kStateTtl) const;

  // The connection a state names, without consuming it (the callback needs its settings before
  // it finishes). Throws ConnectError for a state that is malformed or forged.
  std::string connectionOf(const std::string& state) const;

  struct Finished {
    std::string label;
    uint64_t version = 0;
    bool refreshToken = false;  // the vendor gave one
  };
  // Throws ConnectError.
  Finished finish(db::Connection& conn, const AuthSettings& s, const std::string& state, const std::string& code) const;

 private:
  struct Parsed {
    std::string nonce, keyId, mac, connectionId;
    int64_t expiresAtMs = 0;
  };
  Parsed parse(const std::string& state) const;
  std::string macOf(const std::string& keyId, const std::string& connectionId, const std::string& nonce,
                    int64_t expiresAtMs, const std::string& redirectUri) const;

  std::shared_ptr<const secrets::KeyRing> ring_;
  const http::HttpClient& transport_;
};

}  // namespace tributary::auth
