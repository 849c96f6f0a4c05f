#include "engine/FlatJson.h"

#include <cctype>

namespace tributary::engine {
namespace {

void skipWs(std::string_view in, size_t& pos) {
  while (pos < in.size() && (in[pos] == ' ' || in[pos] == '\n' || in[pos] == '\t' || in[pos] == '\r')) ++pos;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool hex4(std::string_view in, size_t pos, uint32_t& out) {
  if (pos + 4 > in.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + 4; ++i) {
    char c = in[i];
    out <<= 4;
    if (c >= '0' && c <= '9') out |= static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') out |= static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') out |= static_cast<uint32_t>(c - 'A' + 10);
    else return false;
  }
  return true;
}

}  // namespace

bool validText(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      if (c == 0) return false;
      ++p;
      continue;
    }
    int n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) n = 1, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) n = 2, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) n = 3, cp = c & 0x07;
    else return false;
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    p += n + 1;
  }
  return true;
}

std::optional<std::string> FlatJson::parseString(std::string_view in, size_t& pos, std::string& out) {
  out.clear();
  ++pos;  // opening quote
  while (pos < in.size()) {
    char c = in[pos];
    if (c == '"') {
      ++pos;
      return std::nullopt;
    }
    if (c == '\\') {
      if (pos + 1 >= in.size()) break;
      char e = in[pos + 1];
      pos += 2;
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          if (!hex4(in, pos, cp)) return "bad \\u escape";
          pos += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (pos + 6 > in.size() || in[pos] != '\\' || in[pos + 1] != 'u' || !hex4(in, pos + 2, lo) || lo < 0xDC00 ||
                lo > 0xDFFF) {
              return "unpaired surrogate in \\u escape";
            }
            pos += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return "unpaired surrogate in \\u escape";
          }
          if (cp == 0) return "a string holds \\u0000, which PostgreSQL text cannot store";
          appendUtf8(out, cp);
          break;
        }
        default: return std::string("bad escape \\") + e;
      }
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20) return "a control character inside a string";
    out.push_back(c);
    ++pos;
  }
  return "unterminated string";
}

std::optional<std::string> FlatJson::skipNested(std::string_view in, size_t& pos) {
  int depth = 0;
  while (pos < in.size()) {
    char c = in[pos];
    if (c == '"') {
      std::string scratch;
      if (auto e = parseString(in, pos, scratch)) return e;
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') {
      --depth;
      if (depth == 0) {
        ++pos;
        return std::nullopt;
      }
    }
    ++pos;
  }
  return "unterminated object or array";
}

std::optional<std::string> FlatJson::parse(std::string_view in,
                                           const std::function<std::optional<std::string>(const Member&)>& visit) {
  size_t pos = 0;
  skipWs(in, pos);
  if (pos >= in.size() || in[pos] != '{') return "not a JSON object";
  ++pos;
  skipWs(in, pos);
  if (pos < in.size() && in[pos] == '}') {
    ++pos;
    skipWs(in, pos);
    return pos == in.size() ? std::nullopt : std::optional<std::string>("trailing characters after the object");
  }
  while (true) {
    skipWs(in, pos);
    if (pos >= in.size() || in[pos] != '"') return "expected a member name";
    if (auto e = parseString(in, pos, keyBuf_)) return e;
    skipWs(in, pos);
    if (pos >= in.size() || in[pos] != ':') return "expected ':' after \"" + keyBuf_ + "\"";
    ++pos;
    skipWs(in, pos);
    if (pos >= in.size()) return "missing value of \"" + keyBuf_ + "\"";
    Member m{keyBuf_, Kind::Null, {}};
    char c = in[pos];
    if (c == '"') {
      if (auto e = parseString(in, pos, valueBuf_)) return *e + " in \"" + keyBuf_ + "\"";
      m.kind = Kind::String;
      m.value = valueBuf_;
    } else if (c == '{' || c == '[') {
      size_t start = pos;
      if (auto e = skipNested(in, pos)) return *e + " in \"" + keyBuf_ + "\"";
      m.kind = Kind::Nested;
      m.value = in.substr(start, pos - start);
    } else if (in.compare(pos, 4, "null") == 0) {
      m.kind = Kind::Null;
      pos += 4;
    } else if (in.compare(pos, 4, "true") == 0) {
      m.kind = Kind::Bool;
      m.value = "true";
      pos += 4;
    } else if (in.compare(pos, 5, "false") == 0) {
      m.kind = Kind::Bool;
      m.value = "false";
      pos += 5;
    } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      size_t start = pos;
      ++pos;
      while (pos < in.size() && (std::isdigit(static_cast<unsigned char>(in[pos])) || in[pos] == '.' ||
                                 in[pos] == 'e' || in[pos] == 'E' || in[pos] == '+' || in[pos] == '-')) {
        ++pos;
      }
      m.kind = Kind::Number;
      m.value = in.substr(start, pos - start);
    } else {
      return "bad value of \"" + keyBuf_ + "\"";
    }
    if (auto e = visit(m)) return e;
    skipWs(in, pos);
    if (pos < in.size() && in[pos] == ',') {
      ++pos;
      continue;
    }
    if (pos < in.size() && in[pos] == '}') {
      ++pos;
      skipWs(in, pos);
      if (pos != in.size()) return "trailing characters after the object";
      return std::nullopt;
    }
    return "expected ',' or '}' after \"" + keyBuf_ + "\"";
  }
}

}  // namespace tributary::engine
