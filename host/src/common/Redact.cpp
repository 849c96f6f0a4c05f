#include "common/Redact.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/Base64.h"
#include "tributary/record.hpp"

namespace tributary::redact {
namespace {

constexpr std::size_t kMaxRemembered = 4096;

// An immutable view of the remembered values, replaced whole by remember(), so that text()
// scans without holding a lock.
struct Snapshot {
  std::vector<std::string> values;
  // The indices of `values` by their first 8 bytes (every value has at least 8).
  std::unordered_map<uint64_t, std::vector<uint32_t>> byPrefix;
  // One bit per pair of first two bytes: most positions of a line are ruled out by one bit
  // test, without hashing anything.
  std::array<uint64_t, 65536 / 64> pairs{};
};

struct Registry {
  std::mutex mutex;               // writers only
  std::deque<std::string> order;  // oldest first
  std::unordered_set<std::string> known;
  // Readers copy the pointer under their own short lock and scan without one. (libstdc++ 12's
  // std::atomic<std::shared_ptr> would do, but ThreadSanitizer cannot see through it.)
  std::mutex snapshotMutex;
  std::shared_ptr<const Snapshot> snapshot;
  std::atomic<bool> any{false};
};

Registry& registry() {
  static Registry r;
  return r;
}

uint64_t prefix8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

unsigned pairOf(const char* p) {
  return (static_cast<unsigned>(static_cast<unsigned char>(p[0])) << 8) | static_cast<unsigned char>(p[1]);
}

std::shared_ptr<const Snapshot> build(const std::deque<std::string>& order) {
  auto s = std::make_shared<Snapshot>();
  s->values.assign(order.begin(), order.end());
  for (uint32_t i = 0; i < s->values.size(); ++i) {
    const std::string& v = s->values[i];
    s->byPrefix[prefix8(v.data())].push_back(i);
    const unsigned pair = pairOf(v.data());
    s->pairs[pair / 64] |= uint64_t{1} << (pair % 64);
  }
  return s;
}

bool unreserved(unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

// RFC 3986's encoding of everything but the unreserved characters; `form`: a space as '+'
// (application/x-www-form-urlencoded).
std::string percentEncoded(std::string_view s, const char* hex, bool form) {
  std::string out;
  for (unsigned char c : s) {
    if (unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else if (form && c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// As the value appears inside a JSON string (a body, a jsonb column's text).
std::string jsonEscaped(std::string_view s) {
  std::string quoted;
  appendJsonString(quoted, s);
  return quoted.substr(1, quoted.size() - 2);
}

void rememberForms(const std::vector<std::string>& forms) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  bool changed = false;
  for (const auto& f : forms) {
    if (f.size() < kMinRemembered || !r.known.insert(f).second) continue;
    r.order.push_back(f);
    changed = true;
  }
  while (r.order.size() > kMaxRemembered) {
    r.known.erase(r.order.front());
    r.order.pop_front();
  }
  if (!changed) return;
  auto fresh = build(r.order);
  std::lock_guard swap(r.snapshotMutex);
  r.snapshot = std::move(fresh);
  r.any.store(true);
}

struct Range {
  std::size_t begin, end;
};

// The remembered values in `s`: the longest of those that start at each place.
void findRemembered(std::string_view s, const Snapshot& snap, std::vector<Range>& out) {
  const std::size_t n = s.size();
  if (n < kMinRemembered) return;
  for (std::size_t i = 0; i + kMinRemembered <= n;) {
    const unsigned pair = pairOf(s.data() + i);
    if (!((snap.pairs[pair / 64] >> (pair % 64)) & 1)) {
      ++i;
      continue;
    }
    std::size_t best = 0;
    if (auto it = snap.byPrefix.find(prefix8(s.data() + i)); it != snap.byPrefix.end()) {
      for (uint32_t idx : it->second) {
        const std::string& v = snap.values[idx];
        if (v.size() > best && v.size() <= n - i && std::memcmp(v.data(), s.data() + i, v.size()) == 0) {
          best = v.size();
        }
      }
    }
    // Every start is tried, even inside a match: another value may begin there and end
    // beyond it, and the ranges are merged anyway.
    if (best > 0) out.push_back({i, i + best});
    ++i;
  }
}

// The characters where a pattern may start; everything else is skipped by one table look-up.
constexpr std::array<bool, 256> kTriggers = [] {
  std::array<bool, 256> t{};
  t[':'] = t['='] = t['b'] = t['B'] = true;
  return t;
}();

bool nameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }
bool blank(char c) { return c == ' ' || c == '\t'; }
char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The end of a parameter's value: '&' (the next parameter), a blank, a quote, a backslash (an
// escaped quote of JSON around it), ';', '<' or '>'.
bool valueEnds(char c) {
  switch (c) {
    case '&':
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case '"':
    case '\'':
    case '\\':
    case ';':
    case '<':
    case '>': return true;
    default: return false;
  }
}

// Header names that carry a token (X-Auth-Token, X-CSRF-Token): "token" in a hyphenated name.
// A plain word such as "tokens" before a colon is no header.
bool tokenHeader(std::string_view name) {
  if (name.find('-') == std::string_view::npos || name.size() < 5) return false;
  for (std::size_t i = 0; i + 5 <= name.size(); ++i) {
    if (equalsIgnoreCase(name.substr(i, 5), "token")) return true;
  }
  return false;
}

class Scanner {
 public:
  Scanner(std::string_view s, std::vector<Range>& out) : s_(s), n_(s.size()), out_(out) {}

  void run() {
    for (std::size_t i = 0; i < n_;) {
      const char c = s_[i];
      if (!kTriggers[static_cast<unsigned char>(c)]) {
        ++i;
        continue;
      }
      i = c == ':' ? colon(i) : c == '=' ? equals(i) : word(i);
    }
  }

 private:
  void add(std::size_t begin, std::size_t end) {
    if (end > begin) out_.push_back({begin, end});
  }

  // The start of the run of name characters that ends just before `end`.
  std::size_t nameStart(std::size_t end) const {
    std::size_t p = end;
    while (p > 0 && nameChar(s_[p - 1])) --p;
    return p;
  }

  // A ':' : a URL's scheme (scheme://user:password@host), a JSON member ("name": "value") or a
  // header line (Name: value).
  std::size_t colon(std::size_t i) {
    if (i + 2 < n_ && s_[i + 1] == '/' && s_[i + 2] == '/') return userinfo(i);
    std::size_t k = i;
    while (k > 0 && blank(s_[k - 1])) --k;
    if (k > 0 && s_[k - 1] == '"') return jsonMember(i, k - 1);
    if (i == 0 || !nameChar(s_[i - 1])) return i + 1;
    const std::size_t p = nameStart(i);
    // A header stands at the start of a line or after a blank or an opening bracket, so that
    // "settings.password: must be set" (a config path) stays readable.
    if (p > 0 && !std::strchr(" \t\r\n{[(,;'\"", s_[p - 1])) return i + 1;
    const std::string_view name = s_.substr(p, i - p);
    if (!secretName(name) && !tokenHeader(name)) return i + 1;
    std::size_t v = i + 1;
    while (v < n_ && blank(s_[v])) ++v;
    std::size_t e = v;
    while (e < n_ && s_[e] != '\n' && s_[e] != '\r') ++e;
    add(v, e);
    return std::max(e, i + 1);
  }

  std::size_t userinfo(std::size_t i) {
    if (i == 0 || !std::isalpha(static_cast<unsigned char>(s_[i - 1]))) return i + 3;
    const std::size_t a = i + 3;
    std::size_t e = a;
    while (e < n_ && !std::strchr("/?#@ \t\r\n\"'<>", s_[e])) ++e;
    if (e >= n_ || s_[e] != '@') return i + 3;
    const std::size_t c = s_.find(':', a);
    if (c < e) add(c + 1, e);
    return e + 1;
  }

  // `close`: the closing quote of a member's name; `i`: the colon after it. The name may be
  // escaped JSON itself (\"name\": \"value\"), as a body echoed inside another JSON string is.
  std::size_t jsonMember(std::size_t i, std::size_t close) {
    const bool escaped = close > 0 && s_[close - 1] == '\\';
    const std::size_t nameEnd = escaped ? close - 1 : close;
    const std::size_t p = nameStart(nameEnd);
    const bool opened = p > 0 && s_[p - 1] == '"' && (!escaped || (p > 1 && s_[p - 2] == '\\'));
    if (!opened || p == nameEnd || !secretName(s_.substr(p, nameEnd - p))) return i + 1;
    std::size_t v = i + 1;
    while (v < n_ && blank(s_[v])) ++v;
    if (!escaped) {
      if (v >= n_ || s_[v] != '"') return i + 1;
      std::size_t e = v + 1;
      while (e < n_ && s_[e] != '"') e += s_[e] == '\\' ? 2 : 1;
      e = std::min(e, n_);
      add(v + 1, e);
      return e + 1;
    }
    if (v + 1 >= n_ || s_[v] != '\\' || s_[v + 1] != '"') return i + 1;
    std::size_t e = s_.find("\\\"", v + 2);
    if (e == std::string_view::npos) e = n_;
    add(v + 2, e);
    return e + 1;
  }

  // A query or form parameter (access_token=..., password=...), up to the next '&', blank or
  // quote; a quoted value (password='a b', as in a libpq conninfo) up to its closing quote.
  // `code` (an OAuth authorization code) only as a parameter of a URL or form (after '?' or '&'
  // or at the start), so that "exit code=1" stays.
  std::size_t equals(std::size_t i) {
    if (i == 0 || !nameChar(s_[i - 1])) return i + 1;
    const std::size_t p = nameStart(i);
    const std::string_view name = s_.substr(p, i - p);
    const bool code = equalsIgnoreCase(name, "code") && (p == 0 || s_[p - 1] == '?' || s_[p - 1] == '&');
    if (!code && !secretName(name)) return i + 1;
    const std::size_t v = i + 1;
    if (v < n_ && (s_[v] == '\'' || s_[v] == '"')) {
      std::size_t e = s_.find(s_[v], v + 1);
      if (e == std::string_view::npos) e = n_;
      add(v + 1, e);
      return e + 1;
    }
    if (v + 1 < n_ && s_[v] == '\\' && s_[v + 1] == '"') {
      std::size_t e = s_.find("\\\"", v + 2);
      if (e == std::string_view::npos) e = n_;
      add(v + 2, e);
      return e + 1;
    }
    std::size_t e = v;
    while (e < n_ && !valueEnds(s_[e])) ++e;
    add(v, e);
    return std::max(e, i + 1);
  }

  // "Bearer TOKEN" or "Basic CREDENTIAL" anywhere (a header echoed without its name). The
  // credential must look like one (8 characters or more, with a digit, a symbol or both cases
  // in it; for Basic, base64's length also will do), so that "Basic authentication failed" and
  // "a bearer token is required" stay.
  std::size_t word(std::size_t i) {
    if (i > 0 && std::isalnum(static_cast<unsigned char>(s_[i - 1]))) return i + 1;
    std::size_t len = 0;
    if (i + 7 <= n_ && equalsIgnoreCase(s_.substr(i, 6), "bearer") && blank(s_[i + 6])) len = 6;
    else if (i + 6 <= n_ && equalsIgnoreCase(s_.substr(i, 5), "basic") && blank(s_[i + 5])) len = 5;
    if (len == 0) return i + 1;
    std::size_t v = i + len;
    while (v < n_ && blank(s_[v])) ++v;
    std::size_t e = v;
    bool symbol = false, upper = false, lowerCase = false;
    for (; e < n_; ++e) {
      const auto c = static_cast<unsigned char>(s_[e]);
      if (std::isupper(c)) upper = true;
      else if (std::islower(c)) lowerCase = true;
      else if (std::isdigit(c) || (c != 0 && std::strchr("-._~+/=", c))) symbol = true;
      else break;
    }
    const std::size_t size = e - v;
    const bool looksLikeOne = symbol || (upper && lowerCase) || (len == 5 && size % 4 == 0);
    if (size >= kMinRemembered && looksLikeOne) add(v, e);
    return std::max(e, i + len);
  }

  std::string_view s_;
  std::size_t n_;
  std::vector<Range>& out_;
};

std::string replaced(std::string_view s, std::vector<Range>& ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  std::string out;
  out.reserve(s.size());
  std::size_t at = 0;
  for (std::size_t i = 0; i < ranges.size();) {
    Range r = ranges[i++];
    while (i < ranges.size() && ranges[i].begin <= r.end) r.end = std::max(r.end, ranges[i++].end);
    out.append(s.substr(at, r.begin - at));
    out.append(kRedacted);
    at = r.end;
  }
  out.append(s.substr(at));
  return out;
}

}  // namespace

void remember(std::string_view secret) {
  // Shorter values are not remembered (see kMinRemembered); their encodings are no longer
  // secret than they are.
  if (secret.size() < kMinRemembered) return;
  std::vector<std::string> forms{std::string(secret), percentEncoded(secret, "0123456789ABCDEF", false),
                                 percentEncoded(secret, "0123456789abcdef", false),
                                 percentEncoded(secret, "0123456789ABCDEF", true), jsonEscaped(secret)};
  rememberForms(forms);
}

void rememberBasic(std::string_view user, std::string_view password) {
  remember(password);
  std::string pair = std::string(user) + ":" + std::string(password);
  rememberForms({base64::encode(pair)});
}

std::string text(std::string_view s) {
  std::vector<Range> ranges;
  Scanner(s, ranges).run();
  Registry& r = registry();
  if (r.any.load(std::memory_order_acquire)) {
    std::shared_ptr<const Snapshot> snap;
    {
      std::lock_guard lock(r.snapshotMutex);
      snap = r.snapshot;
    }
    if (snap) findRemembered(s, *snap, ranges);
  }
  if (ranges.empty()) return std::string(s);
  return replaced(s, ranges);
}

Json json(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string: return text(value.get_ref<const std::string&>());
    case Json::value_t::array: {
      Json out = Json::array();
      for (const auto& v : value) out.push_back(json(v));
      return out;
    }
    case Json::value_t::object: {
      Json out = Json::object();
      for (const auto& [k, v] : value.items()) {
        if (v.is_string() && !v.get_ref<const std::string&>().empty() && secretName(k)) {
          out[k] = kRedacted;
        } else {
          out[k] = json(v);
        }
      }
      return out;
    }
    default: return value;
  }
}

bool secretName(std::string_view name) {
  // Names longer than any we know are no secret's.
  char buf[64];
  if (name.empty() || name.size() > sizeof buf) return false;
  for (std::size_t i = 0; i < name.size(); ++i) buf[i] = name[i] == '-' ? '_' : lower(name[i]);
  const std::string_view n(buf, name.size());
  static constexpr std::string_view kExact[] = {
      "authorization", "proxy_authorization", "cookie", "set_cookie", "token", "apikey", "hapikey", "code_verifier"};
  static constexpr std::string_view kInside[] = {"api_key", "apikey"};
  static constexpr std::string_view kEnding[] = {"access_token", "refresh_token", "id_token",
                                                 "auth_token",   "session_token", "bearer_token",
                                                 "secret",       "password",      "passwd"};
  for (auto e : kExact) {
    if (n == e) return true;
  }
  for (auto e : kInside) {
    if (n.find(e) != std::string_view::npos) return true;
  }
  for (auto e : kEnding) {
    if (n.size() >= e.size() && n.substr(n.size() - e.size()) == e) return true;
  }
  return false;
}

std::size_t rememberedCount() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return r.order.size();
}

void forgetAllForTesting() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.order.clear();
  r.known.clear();
  r.any.store(false);
  std::lock_guard swap(r.snapshotMutex);
  r.snapshot.reset();
}

}  // namespace tributary::redact
