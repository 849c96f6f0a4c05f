#include "CanonicalValues.h"

#include <algorithm>
#include <cctype>

#include "TimeFormat.h"

namespace tributary::sim {
namespace {

const char* const kWhitespace = " \t\n\r\f\v";

std::string lowerAscii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Normalizes [+-]digits[.digits]; nullopt when the text is not such a decimal.
std::optional<std::string> normalizeDecimal(const std::string& raw) {
  std::string text = raw;
  bool negative = false;
  size_t pos = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    negative = text[pos] == '-';
    ++pos;
  }
  std::string integer, fraction;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    integer += text[pos++];
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      fraction += text[pos++];
    }
  }
  if (pos != text.size() || (integer.empty() && fraction.empty())) return std::nullopt;
  integer.erase(0, std::min(integer.find_first_not_of('0'), integer.size()));
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (integer.empty()) integer.push_back('0');
  if (integer == "0" && fraction.empty()) negative = false;
  std::string out;
  if (negative) out.push_back('-');
  out.append(integer);
  if (!fraction.empty()) {
    out.push_back('.');
    out.append(fraction);
  }
  return out;
}

}  // namespace

bool CanonicalValues::isBlank(const std::string& text) {
  return text.find_first_not_of(kWhitespace) == std::string::npos;
}

std::string CanonicalValues::trim(const std::string& text) {
  const size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string::npos) return "";
  const size_t last = text.find_last_not_of(kWhitespace);
  return text.substr(first, last - first + 1);
}

std::optional<std::string> CanonicalValues::text(const nlohmann::json& value) {
  if (value.is_null()) return std::nullopt;
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (isBlank(s)) return std::nullopt;
    return s;
  }
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number()) return value.dump();
  return value.dump();
}

std::optional<std::string> CanonicalValues::truncated(const nlohmann::json& value, size_t maxChars) {
  auto out = text(value);
  if (!out) return out;
  size_t chars = 0;
  for (size_t i = 0; i < out->size(); ++i) {
    // Count lead bytes only, so a multi-byte character is never split.
    if ((static_cast<unsigned char>((*out)[i]) & 0xC0) != 0x80) {
      if (chars == maxChars) {
        out->resize(i);
        break;
      }
      ++chars;
    }
  }
  return out;
}

std::optional<std::string> CanonicalValues::email(const nlohmann::json& value) {
  auto out = text(value);
  if (!out) return out;
  return lowerAscii(trim(*out));
}

bool CanonicalValues::looksLikeEmail(const std::string& trimmed) {
  const size_t at = trimmed.find('@');
  return at != std::string::npos && at > 0 && at + 1 < trimmed.size() &&
         trimmed.find('@', at + 1) == std::string::npos && trimmed.find_first_of(kWhitespace) == std::string::npos;
}

CanonicalValues::Numeric CanonicalValues::numeric(const nlohmann::json& value) {
  if (value.is_null()) return {};
  if (value.is_number_integer() || value.is_number_unsigned()) return {value.dump(), false};
  if (value.is_number_float()) {
    auto normalized = normalizeDecimal(value.dump());
    if (!normalized) return {std::nullopt, true};
    return {normalized, false};
  }
  if (!value.is_string()) return {std::nullopt, true};
  const auto& s = value.get_ref<const std::string&>();
  if (isBlank(s)) return {};
  auto normalized = normalizeDecimal(trim(s));
  if (!normalized) return {std::nullopt, true};
  return {normalized, false};
}

std::optional<std::string> CanonicalValues::date(const nlohmann::json& value) {
  if (value.is_number_integer()) return TimeFormat::isoDate(value.get<int64_t>());
  auto raw = text(value);
  if (!raw) return std::nullopt;
  const std::string s = trim(*raw);
  if (!s.empty() && s.size() <= 16 &&
      std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return TimeFormat::isoDate(std::stoll(s));
  }
  auto ms = TimeFormat::parseIso(s);
  if (!ms) return std::nullopt;
  return TimeFormat::isoDate(*ms);
}

std::optional<std::string> CanonicalValues::domain(const nlohmann::json& value) {
  auto raw = text(value);
  if (!raw) return std::nullopt;
  std::string s = trim(*raw);
  const size_t scheme = s.find("://");
  if (scheme != std::string::npos) s = s.substr(scheme + 3);
  s = s.substr(0, s.find_first_of("/?#"));
  const size_t port = s.find(':');
  if (port != std::string::npos) s = s.substr(0, port);
  s = lowerAscii(s);
  if (s.rfind("www.", 0) == 0) s = s.substr(4);
  if (s.empty()) return std::nullopt;
  return s;
}

}  // namespace tributary::sim
