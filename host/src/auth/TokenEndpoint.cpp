#include "auth/TokenEndpoint.h"

#include "auth/Encoding.h"
#include "common/Base64.h"
#include "http/HttpError.h"

namespace tributary::auth {

TokenAnswer TokenEndpoint::exchangeCode(const std::string& code, const std::string& redirectUri,
                                        const std::string& codeVerifier) const {
  std::vector<std::pair<std::string, std::string>> form{
      {"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirectUri}};
  if (!codeVerifier.empty()) form.emplace_back("code_verifier", codeVerifier);
  return post(std::move(form), "the authorization code exchange");
}

TokenAnswer TokenEndpoint::refresh(const std::string& refreshToken) const {
  return post({{"grant_type", "refresh_token"}, {"refresh_token", refreshToken}}, "the token refresh");
}

TokenAnswer TokenEndpoint::post(std::vector<std::pair<std::string, std::string>> form, const std::string& what) const {
  http::HttpRequest r;
  r.method = "POST";
  r.url = s_.tokenUrl;
  r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  r.headers.emplace_back("Accept", "application/json");
  if (s_.clientBasic) {
    r.headers.emplace_back("Authorization", "Basic " + base64::encode(s_.clientId + ":" + s_.clientSecret));
  } else {
    form.emplace_back("client_id", s_.clientId);
    if (!s_.clientSecret.empty()) form.emplace_back("client_secret", s_.clientSecret);
  }
  for (const auto& [k, v] : form) r.body += (r.body.empty() ? "" : "&") + formEncode(k) + "=" + formEncode(v);
  const std::string where = what + " of " + s_.label + " at " + s_.tokenUrl;

  http::HttpResponse res;
  try {
    res = transport_.send(r);
  } catch (const http::HttpError& e) {
    throw TokenError(TokenError::Kind::Transient, where + " got no answer: " + e.what(), e.sent());
  }
  Json body;
  try {
    body = Json::parse(res.body);
  } catch (const std::exception&) {
    body = Json();
  }
  if (res.status >= 500 || res.status == 429) {
    throw TokenError(TokenError::Kind::Transient, where + " answered " + std::to_string(res.status), true);
  }
  if (body.is_object() && body.contains("error")) {
    const std::string error = body["error"].is_string() ? body["error"].get<std::string>() : body["error"].dump();
    std::string description;
    if (body.contains("error_description") && body["error_description"].is_string()) {
      description = body["error_description"].get<std::string>();
    }
    throw TokenError(TokenError::Kind::Refused,
                     where + " was refused (" + std::to_string(res.status) + " " + error +
                         (description.empty() ? "" : ": " + description) + ")",
                     true, error);
  }
  if (res.status != 200 || !body.is_object() || !body.contains("access_token") || !body["access_token"].is_string() ||
      body["access_token"].get<std::string>().empty()) {
    // Never the body itself in the message: it may hold a token.
    throw TokenError(res.status >= 400 ? TokenError::Kind::Refused : TokenError::Kind::Malformed,
                     where + " answered " + std::to_string(res.status) + " without an access_token (" +
                         std::to_string(res.body.size()) + " bytes" + (body.is_object() ? " of JSON" : ", not JSON") +
                         ")",
                     true);
  }
  TokenAnswer a;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    if (k == "access_token") a.accessToken = v.get<std::string>();
    else if (k == "refresh_token" && v.is_string()) a.refreshToken = v.get<std::string>();
    else if (k == "token_type" && v.is_string()) a.tokenType = v.get<std::string>();
    else if (k == "scope" && v.is_string()) a.scope = v.get<std::string>();
    else if (k == "expires_in" && (v.is_number_integer() || v.is_number_unsigned())) a.expiresInS = v.get<int64_t>();
    else if (k == "expires_in" && v.is_string()) {
      try {
        a.expiresInS = std::stoll(v.get<std::string>());
      } catch (const std::exception&) {
      }
    } else if (k != "id_token") {
      a.extra[k] = v;
    }
  }
  if (a.expiresInS && *a.expiresInS <= 0) a.expiresInS.reset();
  return a;
}

}  // namespace tributary::auth
