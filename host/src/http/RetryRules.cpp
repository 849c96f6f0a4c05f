#include "http/RetryRules.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <nlohmann/json.hpp>

namespace tributary::http {
namespace {

bool holdsString(const nlohmann::json& j, std::string_view code) {
  if (j.is_string()) return j.get_ref<const std::string&>() == code;
  if (j.is_object() || j.is_array()) {
    for (const auto& v : j) {
      if (holdsString(v, code)) return true;
    }
  }
  return false;
}

bool sameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool bodyHolds(std::string_view body, std::string_view code) {
  if (code.empty()) return true;
  // Cheap when absent: only a body with escapes can hold the code without its text.
  if (body.find(code) == std::string_view::npos && body.find('\\') == std::string_view::npos) return false;
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return true;  // not JSON: the text is enough
  return holdsString(j, code);
}

Verdict classify(const HttpResponse& response, const std::vector<VendorRule>& rules) {
  Verdict v;
  for (const auto& r : rules) {
    if (r.status != response.status || !bodyHolds(response.body, r.errorCode)) continue;
    v.rule = &r;
    v.kind = r.action == RuleAction::Quota         ? Verdict::Kind::Quota
             : r.action == RuleAction::RateLimit   ? Verdict::Kind::RateLimit
             : r.action == RuleAction::RefreshAuth ? Verdict::Kind::RefreshAuth
                                                   : Verdict::Kind::Retry;
    v.why = std::to_string(response.status) + (r.errorCode.empty() ? "" : " " + r.errorCode) +
            (r.description.empty() ? "" : " (" + r.description + ")");
    return v;
  }
  switch (response.status) {
    case 429: v.kind = Verdict::Kind::RateLimit; break;
    case 502:
    case 503:
    case 504: v.kind = Verdict::Kind::Retry; break;
    default: return v;
  }
  v.why = std::to_string(response.status);
  return v;
}

std::optional<std::chrono::milliseconds> retryAfter(const HttpResponse& response, int64_t nowMs) {
  for (const auto& [name, value] : response.headers) {
    if (!sameName(name, "Retry-After")) continue;
    std::string text = value;
    text.erase(0, text.find_first_not_of(" \t"));
    text.erase(text.find_last_not_of(" \t") + 1);
    if (text.empty()) return std::nullopt;
    if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      if (text.size() > 9) return std::chrono::milliseconds(int64_t{999'999'999} * 1000);
      return std::chrono::milliseconds(std::stoll(text) * 1000);
    }
    try {
      // An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), exactly: Poco's parser is lenient and
      // reads "soon" or "-5" as some date in the past.
      static const std::regex kFixdate(R"(^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$)");
      if (!std::regex_match(text, kFixdate)) return std::nullopt;
      int tz = 0;
      Poco::DateTime at = Poco::DateTimeParser::parse(Poco::DateTimeFormat::HTTP_FORMAT, text, tz);
      const int64_t atMs = at.timestamp().epochMicroseconds() / 1000 - int64_t{tz} * 1000;
      return std::chrono::milliseconds(std::max<int64_t>(0, atMs - nowMs));
    } catch (const Poco::Exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::chrono::milliseconds fullJitter(int retry, std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                     std::mt19937_64& rng) {
  const int shift = std::clamp(retry - 1, 0, 30);
  const int64_t ceiling = std::min<int64_t>(cap.count(), base.count() << shift);
  std::uniform_int_distribution<int64_t> pick(0, std::max<int64_t>(0, ceiling));
  return std::chrono::milliseconds(pick(rng));
}

}  // namespace tributary::http
