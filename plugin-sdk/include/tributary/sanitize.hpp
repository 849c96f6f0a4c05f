// Field sanitizers for connectors: the rules of docs/canonical-model.md, in one place.
//
// Header-only C++17. Every function takes the value as the source gave it (text) and
// returns either the canonical value, std::nullopt for "no value" (null, empty or
// whitespace-only), or throws tributary::InvalidValue when the value is present but is not
// of its type: that record is poison (emit it with Context::emitRecordError).
#ifndef TRIBUTARY_SANITIZE_HPP
#define TRIBUTARY_SANITIZE_HPP

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tributary {

// A value present but not of its type. what() reads "not a number: \"TBD\"".
class InvalidValue : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace sanitize {

// What a lenient sanitizer does with an unparseable value.
enum class OnInvalid { Throw, Null };

namespace detail {
inline bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
inline bool isDigit(char c) { return c >= '0' && c <= '9'; }
inline std::string quoted(std::string_view v) {
  std::string out = "\"";
  out.append(v.substr(0, 64));
  if (v.size() > 64) out.append("...");
  out += '"';
  return out;
}
[[noreturn]] inline void invalid(const char* what, std::string_view v) {
  throw InvalidValue(std::string(what) + ": " + quoted(v));
}
// Parses exactly `n` digits at s[pos], advancing pos.
inline bool digits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (!isDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}
}  // namespace detail

// Trims ASCII whitespace at both ends.
inline std::string_view trim(std::string_view v) {
  while (!v.empty() && detail::isSpace(v.front())) v.remove_prefix(1);
  while (!v.empty() && detail::isSpace(v.back())) v.remove_suffix(1);
  return v;
}

// The value trimmed, or nullopt when it is empty or whitespace-only.
inline std::optional<std::string_view> blankToNull(std::string_view v) {
  v = trim(v);
  if (v.empty()) return std::nullopt;
  return v;
}

// The longest prefix of `v` holding at most `maxChars` UTF-8 characters; never splits a
// multi-byte character.
inline std::string_view truncate(std::string_view v, size_t maxChars) {
  size_t chars = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    if ((c & 0xC0) != 0x80) {  // a character starts here
      if (chars == maxChars) return v.substr(0, i);
      ++chars;
    }
  }
  return v;
}

// Text: nullopt when blank, else the value cut to maxChars characters (never rejected).
// The canonical model's limit for names and titles is 255.
inline std::optional<std::string_view> text(std::string_view v, size_t maxChars = 255) {
  if (!blankToNull(v)) return std::nullopt;
  return truncate(v, maxChars);
}

// An email: trimmed and lowercased (ASCII), nullopt when blank.
inline std::optional<std::string> email(std::string_view v) {
  auto t = blankToNull(v);
  if (!t) return std::nullopt;
  std::string out(*t);
  for (char& c : out) c = detail::lower(c);
  return out;
}

// An integer ("42", " -7 ", "42.0" is rejected). nullopt when blank.
inline std::optional<int64_t> integer(std::string_view v) {
  auto t = blankToNull(v);
  if (!t) return std::nullopt;
  std::string_view s = *t;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  int64_t out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size()) detail::invalid("not an integer", v);
  return out;
}

// A decimal number, returned as canonical JSON number text: no leading '+', no leading
// zeros, no trailing fractional zeros, no exponent ("1500.50" -> "1500.5", "007" -> "7",
// "1e3" -> "1000", "-0" -> "0"). Text keeps the source's precision; no float rounding.
inline std::optional<std::string> number(std::string_view v) {
  auto t = blankToNull(v);
  if (!t) return std::nullopt;
  std::string_view s = *t;
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  std::string intPart, fracPart;
  size_t i = 0;
  while (i < s.size() && detail::isDigit(s[i])) intPart += s[i++];
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && detail::isDigit(s[i])) fracPart += s[i++];
  }
  if (intPart.empty() && fracPart.empty()) detail::invalid("not a number", v);
  long exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool expNegative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) expNegative = s[i++] == '-';
    size_t start = i;
    while (i < s.size() && detail::isDigit(s[i])) {
      if (exponent > 100000) detail::invalid("not a number", v);
      exponent = exponent * 10 + (s[i++] - '0');
    }
    if (i == start || exponent > 4000) detail::invalid("not a number", v);
    if (expNegative) exponent = -exponent;
  }
  if (i != s.size()) detail::invalid("not a number", v);
  // Shift the decimal point by the exponent.
  std::string digits = intPart + fracPart;
  long point = static_cast<long>(intPart.size()) + exponent;
  if (point < 0) {
    digits.insert(0, static_cast<size_t>(-point), '0');
    point = 0;
  } else if (point > static_cast<long>(digits.size())) {
    digits.append(static_cast<size_t>(point) - digits.size(), '0');
  }
  std::string whole = digits.substr(0, static_cast<size_t>(point));
  std::string frac = digits.substr(static_cast<size_t>(point));
  size_t nz = whole.find_first_not_of('0');
  whole = nz == std::string::npos ? "0" : whole.substr(nz);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  std::string out;
  if (negative && !(whole == "0" && frac.empty())) out += '-';
  out += whole;
  if (!frac.empty()) {
    out += '.';
    out += frac;
  }
  return out;
}

// A boolean: true/false, yes/no, on/off, 1/0, t/f (any case). nullopt when blank.
inline std::optional<bool> boolean(std::string_view v) {
  auto t = blankToNull(v);
  if (!t) return std::nullopt;
  std::string s;
  for (char c : *t) s += detail::lower(c);
  if (s == "true" || s == "yes" || s == "on" || s == "1" || s == "t" || s == "y") return true;
  if (s == "false" || s == "no" || s == "off" || s == "0" || s == "f" || s == "n") return false;
  detail::invalid("not a boolean", v);
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's algorithm).
inline int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};

inline CivilDate civilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

namespace detail {
inline int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
inline bool validDate(int y, int m, int d) {
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  if (m == 2 && d == 29) return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return true;
}
// Parses ISO 8601 ("2024-03-05", "2024-03-05T10:20:30Z", "...30.123+02:00", a space for
// 'T', "20240305T102030Z") or epoch milliseconds (an all-digit value, optionally signed).
inline bool parseTimestamp(std::string_view s, int64_t& outMs) {
  bool allDigits = !s.empty();
  for (size_t k = (s[0] == '-' ? 1 : 0); k < s.size(); ++k) allDigits = allDigits && isDigit(s[k]);
  if (allDigits && (s.size() != 8 || s[0] == '-')) {  // 8 digits is a basic ISO date
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), outMs);
    return ec == std::errc() && end == s.data() + s.size();
  }
  size_t p = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, p, 4, y)) return false;
  bool basic = p < s.size() && s[p] != '-';
  if (!basic) ++p;
  if (!digits(s, p, 2, mo)) return false;
  if (!basic) {
    if (p >= s.size() || s[p] != '-') return false;
    ++p;
  }
  if (!digits(s, p, 2, d) || !validDate(y, mo, d)) return false;
  int64_t ms = 0;
  int64_t offsetMin = 0;
  if (p < s.size()) {
    if (s[p] != 'T' && s[p] != 't' && s[p] != ' ') return false;
    ++p;
    if (!digits(s, p, 2, h)) return false;
    if (p < s.size() && s[p] == ':') ++p;
    if (!digits(s, p, 2, mi)) return false;
    if (p < s.size() && (s[p] == ':' || isDigit(s[p]))) {
      if (s[p] == ':') ++p;
      if (!digits(s, p, 2, sec)) return false;
      if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        ++p;
        int64_t scale = 100;
        size_t start = p;
        while (p < s.size() && isDigit(s[p])) {
          ms += (s[p] - '0') * scale;
          scale /= 10;
          ++p;
        }
        if (p == start) return false;
      }
    }
    if (h > 24 || mi > 59 || sec > 60 || (h == 24 && (mi || sec || ms))) return false;
    if (p < s.size()) {
      if (s[p] == 'Z' || s[p] == 'z') {
        ++p;
      } else if (s[p] == '+' || s[p] == '-') {
        int sign = s[p] == '-' ? -1 : 1;
        ++p;
        int oh = 0, om = 0;
        if (!digits(s, p, 2, oh)) return false;
        if (p < s.size() && s[p] == ':') ++p;
        if (p < s.size() && !digits(s, p, 2, om)) return false;
        if (oh > 23 || om > 59) return false;
        offsetMin = sign * (oh * 60 + om);
      } else {
        return false;
      }
    }
    if (p != s.size()) return false;
  }
  if (sec == 60) sec = 59;  // leap second: clamp
  int64_t days = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  outMs = ((days * 24 + h) * 60 + mi) * 60000 + sec * 1000 + ms - offsetMin * 60000;
  return true;
}
}  // namespace detail

// A point in time as epoch milliseconds, from ISO 8601 (a date alone is midnight UTC; no
// zone means UTC) or from epoch milliseconds. nullopt when blank.
inline std::optional<int64_t> timestampMs(std::string_view v, OnInvalid onInvalid = OnInvalid::Throw) {
  auto t = blankToNull(v);
  if (!t) return std::nullopt;
  int64_t ms = 0;
  if (detail::parseTimestamp(*t, ms)) return ms;
  if (onInvalid == OnInvalid::Null) return std::nullopt;
  detail::invalid("not an ISO 8601 time or epoch milliseconds", v);
}

// "YYYY-MM-DD" of a day count since the epoch.
inline std::string formatDate(int64_t days) {
  CivilDate c = civilFromDays(days);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(c.year), c.month, c.day);
  return buf;
}

// "YYYY-MM-DDTHH:MM:SS.sssZ" of epoch milliseconds. Writes 24 chars (more for years
// outside 0..9999) into out, which must hold 32; returns the length.
inline size_t formatTimestampTo(int64_t ms, char* out) {
  int64_t days = detail::floorDiv(ms, 86400000);
  int64_t rem = ms - days * 86400000;
  CivilDate c = civilFromDays(days);
  int n = std::snprintf(out, 32, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(c.year), c.month,
                        c.day, static_cast<int>(rem / 3600000), static_cast<int>(rem / 60000 % 60),
                        static_cast<int>(rem / 1000 % 60), static_cast<int>(rem % 1000));
  return n < 0 ? 0 : static_cast<size_t>(n);
}

inline std::string formatTimestamp(int64_t ms) {
  char buf[32];
  return std::string(buf, formatTimestampTo(ms, buf));
}

// A date ("YYYY-MM-DD"). A datetime is cut to its UTC date; epoch milliseconds are
// accepted. nullopt when blank; unparseable values throw, or give nullopt with
// OnInvalid::Null (the canonical model's rule for deals.close_date).
inline std::optional<std::string> date(std::string_view v, OnInvalid onInvalid = OnInvalid::Throw) {
  auto t = blankToNull(v);
  if (!t) return std::nullopt;
  int64_t ms = 0;
  if (!detail::parseTimestamp(*t, ms)) {
    if (onInvalid == OnInvalid::Null) return std::nullopt;
    detail::invalid("not a date", v);
  }
  return formatDate(detail::floorDiv(ms, 86400000));
}

// The domain of a website or URL: lowercased host, without scheme, credentials, port,
// path or a leading "www.". "https://WWW.Acme.com:8080/about" -> "acme.com". nullopt when
// blank or when no host remains.
inline std::optional<std::string> domain(std::string_view v) {
  auto t = blankToNull(v);
  if (!t) return std::nullopt;
  std::string_view s = *t;
  size_t scheme = s.find("://");
  if (scheme != std::string_view::npos) s.remove_prefix(scheme + 3);
  else if (s.substr(0, 2) == "//") s.remove_prefix(2);
  size_t end = s.find_first_of("/?#");
  if (end != std::string_view::npos) s = s.substr(0, end);
  size_t at = s.rfind('@');
  if (at != std::string_view::npos) s.remove_prefix(at + 1);
  if (!s.empty() && s.front() == '[') return std::nullopt;  // IPv6 literal: no domain
  size_t colon = s.find(':');
  if (colon != std::string_view::npos) s = s.substr(0, colon);
  std::string host;
  for (char c : s) host += detail::lower(c);
  while (!host.empty() && host.back() == '.') host.pop_back();
  if (host.compare(0, 4, "www.") == 0) host.erase(0, 4);
  if (host.empty()) return std::nullopt;
  for (char c : host) {
    if (detail::isSpace(c)) detail::invalid("not a domain or URL", v);
  }
  return host;
}

// Time units a source may give durations in.
enum class Unit { Milliseconds, Seconds, Minutes };

// A duration converted to whole seconds (rounded to nearest), nullopt when blank.
inline std::optional<int64_t> durationSeconds(std::string_view v, Unit unit) {
  auto n = number(v);
  if (!n) return std::nullopt;
  double d = std::strtod(n->c_str(), nullptr);
  if (unit == Unit::Milliseconds) d /= 1000.0;
  if (unit == Unit::Minutes) d *= 60.0;
  return static_cast<int64_t>(d < 0 ? d - 0.5 : d + 0.5);
}

}  // namespace sanitize
}  // namespace tributary

#endif  // TRIBUTARY_SANITIZE_HPP
