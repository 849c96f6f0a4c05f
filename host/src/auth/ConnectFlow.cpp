#include "auth/ConnectFlow.h"

#include "auth/CredentialStore.h"
#include "auth/Encoding.h"
#include "auth/TokenEndpoint.h"
#include "common/Base64.h"
#include "common/Hash.h"
#include "common/Log.h"
#include "common/Redact.h"
#include "common/Strings.h"
#include "common/Time.h"
#include "secrets/SealedColumns.h"

namespace tributary::auth {
namespace {

std::string stateRowId(const std::string& nonce) { return hash::sha256Hex(nonce); }

ConnectError refused(const std::string& code, const std::string& message) { return ConnectError(400, code, message); }

}  // namespace

std::string ConnectFlow::macOf(const std::string& keyId, const std::string& connectionId, const std::string& nonce,
                               int64_t expiresAtMs, const std::string& redirectUri) const {
  const std::string key = ring_->derive(keyId, "tributary oauth state v1");
  return hash::hmacSha256(key, connectionId + "\n" + nonce + "\n" + std::to_string(expiresAtMs) + "\n" + redirectUri);
}

ConnectFlow::Started ConnectFlow::begin(db::Connection& conn, const AuthSettings& s, const std::string& redirectUri,
                                        std::chrono::milliseconds ttl) const {
  const std::string redirect = redirectUri.empty() ? s.redirectUri : redirectUri;
  const std::string nonce = randomBytes(32);
  const std::string verifier = base64::encodeUrl(randomBytes(32));
  Started out;
  out.expiresAtMs = time::nowEpochMs() + ttl.count();
  const std::string keyId = ring_->currentKeyId();
  const std::string mac = macOf(keyId, s.connectionId, nonce, out.expiresAtMs, redirect);
  out.state = "v1." + s.connectionId + "." + base64::encodeUrl(nonce) + "." + std::to_string(out.expiresAtMs) + "." +
              keyId + "." + base64::encodeUrl(mac);
  const std::string id = stateRowId(nonce);
  const secrets::Sealed sealed = ring_->seal(verifier, secrets::aadFor("oauth_states", id));
  conn.exec(
      "INSERT INTO oauth_states (id, connection_id, redirect_uri, key_id, sealed, expires_at)"
      " VALUES ($1, $2::uuid, $3, $4, $5::bytea, to_timestamp($6::double precision / 1000))",
      id, s.connectionId, redirect, sealed.keyId, secrets::byteaParam(sealed.bytes), out.expiresAtMs);
  // States expire in minutes: the old ones go with each new one.
  conn.exec("DELETE FROM oauth_states WHERE expires_at < now() - interval '1 day'");

  std::string url = s.authorizeUrl + (s.authorizeUrl.find('?') == std::string::npos ? "?" : "&");
  url += "response_type=code&client_id=" + formEncode(s.clientId) + "&redirect_uri=" + formEncode(redirect);
  if (!s.scopes.empty()) url += "&scope=" + formEncode(s.scopes);
  url += "&state=" + formEncode(out.state);
  if (s.pkce) url += "&code_challenge=" + base64::encodeUrl(hash::sha256(verifier)) + "&code_challenge_method=S256";
  if (!s.authorizeParams.empty()) url += "&" + s.authorizeParams;
  out.url = url;
  return out;
}

ConnectFlow::Parsed ConnectFlow::parse(const std::string& state) const {
  const auto parts = strings::split(state, '.');
  if (parts.size() != 6 || parts[0] != "v1") {
    throw refused("invalid_state",
                  "the state is not one this host made (malformed): start again with "
                  "`tributary oauth authorize`");
  }
  Parsed p;
  p.connectionId = parts[1];
  p.keyId = parts[4];
  try {
    p.expiresAtMs = std::stoll(parts[3]);
  } catch (const std::exception&) {
    throw refused("invalid_state", "the state is not one this host made (malformed expiry)");
  }
  if (!base64::decodeUrl(parts[2], p.nonce) || p.nonce.size() != 32 || !base64::decodeUrl(parts[5], p.mac)) {
    throw refused("invalid_state", "the state is not one this host made (malformed)");
  }
  bool known = ring_->contains(p.keyId);
  if (!known) {
    try {
      ring_->reload();  // a host that rotated the shared key signed it, and the file was copied here
      known = ring_->contains(p.keyId);
    } catch (const std::exception&) {
    }
  }
  if (!known) {
    throw refused("invalid_state", "the state names key " + p.keyId +
                                       ", which this host's key file lacks: it was forged, or made by a host with "
                                       "another key file");
  }
  return p;
}

std::string ConnectFlow::connectionOf(const std::string& state) const { return parse(state).connectionId; }

ConnectFlow::Finished ConnectFlow::finish(db::Connection& conn, const AuthSettings& s, const std::string& state,
                                          const std::string& code) const {
  const Parsed p = parse(state);
  auto r = conn.exec("SELECT redirect_uri, used_at IS NOT NULL FROM oauth_states WHERE id = $1", stateRowId(p.nonce));
  const std::string redirect = r.empty() ? std::string() : r.text(0, 0);
  // The MAC covers the redirect_uri stored with the state: checked before anything is consumed.
  if (r.empty() || p.connectionId != s.connectionId ||
      !constantTimeEqual(p.mac, macOf(p.keyId, p.connectionId, p.nonce, p.expiresAtMs, redirect))) {
    throw refused("invalid_state",
                  "the state was not made by this host (forged, or its signature does not match): "
                  "start again with `" +
                      s.authorizeCommand() + "`");
  }
  if (time::nowEpochMs() > p.expiresAtMs) {
    throw refused("expired_state", "the state expired at " + time::iso8601Ms(p.expiresAtMs) + ": start again with `" +
                                       s.authorizeCommand() + "`");
  }
  auto used = conn.exec(
      "UPDATE oauth_states SET used_at = now() WHERE id = $1 AND used_at IS NULL AND expires_at > now()"
      " RETURNING key_id, encode(sealed, 'hex')",
      stateRowId(p.nonce));
  if (used.empty()) {
    throw refused("used_state",
                  "the state was already used (a replayed callback): start again with `" + s.authorizeCommand() + "`");
  }
  const std::string verifier = ring_->open(secrets::Sealed{used.text(0, 0), secrets::fromHex(used.text(0, 1))},
                                           secrets::aadFor("oauth_states", stateRowId(p.nonce)));
  redact::remember(code);
  TokenAnswer answer;
  try {
    answer = TokenEndpoint(transport_, s).exchangeCode(code, redirect, s.pkce ? verifier : "");
  } catch (const TokenError& e) {
    throw ConnectError(502, "token_exchange_failed",
                       std::string(e.what()) + ": start again with `" + s.authorizeCommand() + "`");
  }
  redact::remember(answer.accessToken);
  redact::remember(answer.refreshToken);
  const StoredCredential stored = CredentialStore(*ring_).store(conn, s.credential, s.connectionId, answer, "", false);
  log::info("auth", "[{}] connected: OAuth tokens stored (version {}{})", s.label, stored.version,
            answer.refreshToken.empty() ? ", no refresh token" : "");
  return Finished{s.label, stored.version, !answer.refreshToken.empty()};
}

}  // namespace tributary::auth
