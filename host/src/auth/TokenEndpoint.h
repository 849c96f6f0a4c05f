#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "auth/AuthSettings.h"
#include "common/Json.h"
#include "http/HttpClient.h"

namespace tributary::auth {

// A vendor's token answer (RFC 6749 5.1).
struct TokenAnswer {
  std::string accessToken;
  std::string refreshToken;  // empty: the vendor gave none (keep the one used)
  std::string tokenType;
  std::string scope;
  std::optional<int64_t> expiresInS;
  Json extra = Json::object();  // every other member: instance_url, api_base_url_for_customer, ...
};

// The token endpoint did not give tokens.
//  Refused: it answered with an OAuth error (invalid_grant: the code or refresh token is used up,
//    expired or revoked; invalid_client): only the connect flow helps.
//  Transient: no answer, or a 5xx / 429: worth trying later. `sent` says whether the request may
//    have reached the vendor (a single-use refresh token may then be used up).
//  Malformed: an answer that is not a token answer.
class TokenError : public std::runtime_error {
 public:
  enum class Kind { Refused, Transient, Malformed };
  TokenError(Kind kind, const std::string& message, bool sent, std::string oauthError = "")
      : std::runtime_error(message), kind_(kind), sent_(sent), oauthError_(std::move(oauthError)) {}
  Kind kind() const { return kind_; }
  bool sent() const { return sent_; }
  const std::string& oauthError() const { return oauthError_; }

 private:
  Kind kind_;
  bool sent_;
  std::string oauthError_;
};

// POSTs to the connection's token URL (form-encoded; the client's id and secret as form fields,
// or as HTTP Basic for a CLIENT_BASIC connector) through the host's transport (its TLS and pool),
// once: a token request is never repeated by the host (a refresh token may be single-use).
class TokenEndpoint {
 public:
  TokenEndpoint(const http::HttpClient& transport, const AuthSettings& settings)
      : transport_(transport), s_(settings) {}

  TokenAnswer exchangeCode(const std::string& code, const std::string& redirectUri,
                           const std::string& codeVerifier) const;
  TokenAnswer refresh(const std::string& refreshToken) const;

 private:
  TokenAnswer post(std::vector<std::pair<std::string, std::string>> form, const std::string& what) const;
  const http::HttpClient& transport_;
  const AuthSettings& s_;
};

}  // namespace tributary::auth
