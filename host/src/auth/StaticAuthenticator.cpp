#include "auth/StaticAuthenticator.h"

#include <Poco/URI.h>

#include "common/Base64.h"
#include "common/Strings.h"
#include "http/HttpError.h"

namespace tributary::auth {

void setHeader(http::HttpRequest& request, const std::string& name, const std::string& value) {
  const std::string lower = strings::toLower(name);
  std::erase_if(request.headers, [&](const auto& h) { return strings::toLower(h.first) == lower; });
  request.headers.emplace_back(name, value);
}

void setQueryParameter(http::HttpRequest& request, const std::string& name, const std::string& value) {
  std::string& url = request.url;
  const auto hash = url.find('#');
  std::string fragment = hash == std::string::npos ? "" : url.substr(hash);
  std::string base = hash == std::string::npos ? url : url.substr(0, hash);
  const auto q = base.find('?');
  std::string query = q == std::string::npos ? "" : base.substr(q + 1);
  base = q == std::string::npos ? base : base.substr(0, q);
  std::string kept;
  for (const auto& pair : strings::split(query, '&')) {
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) continue;
    kept += (kept.empty() ? "" : "&") + pair;
  }
  std::string encoded;
  Poco::URI::encode(value, "!#$&'()*+,/:;=?@[]", encoded);
  kept += (kept.empty() ? "" : "&") + name + "=" + encoded;
  url = base + "?" + kept + fragment;
}

StaticAuthenticator::StaticAuthenticator(AuthSettings settings) : s_(std::move(settings)) {
  switch (s_.type) {
    case plugins::AuthType::Bearer: headerValue_ = s_.valuePrefix + s_.token; break;
    case plugins::AuthType::Basic: headerValue_ = "Basic " + base64::encode(s_.username + ":" + s_.password); break;
    case plugins::AuthType::ApiKey: headerValue_ = s_.valuePrefix + s_.key; break;
    case plugins::AuthType::OAuth2: break;  // not this class's
  }
}

uint64_t StaticAuthenticator::apply(http::HttpRequest& request) {
  if (s_.type == plugins::AuthType::ApiKey && s_.inQuery) {
    setQueryParameter(request, s_.paramName, headerValue_);
  } else {
    setHeader(request, s_.type == plugins::AuthType::Basic ? std::string("Authorization") : s_.paramName, headerValue_);
  }
  return 0;
}

std::string StaticAuthenticator::value(std::string_view name) {
  throw http::HttpError(http::HttpError::Kind::Credential,
                        "get_auth_value(\"" + std::string(name) + "\"): connection " + s_.label + "'s auth is " +
                            std::string(kind()) + ", whose credential has no values to read (only oauth2's has)");
}

std::string_view StaticAuthenticator::kind() const { return plugins::toString(s_.type); }

}  // namespace tributary::auth
