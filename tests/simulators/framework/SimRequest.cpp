#include "SimRequest.h"

#include <cctype>

namespace tributary::sim {

std::optional<std::string> SimRequest::param(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string SimRequest::header(const std::string& lowercaseName) const {
  auto found = headers.find(lowercaseName);
  return found == headers.end() ? std::string() : found->second;
}

std::string SimRequest::bearerToken() const {
  const std::string value = header("authorization");
  if (value.size() > 7 && (value.compare(0, 7, "Bearer ") == 0 || value.compare(0, 7, "bearer ") == 0)) {
    return value.substr(7);
  }
  return value;
}

std::string SimRequest::percentDecode(std::string_view text, bool plusIsSpace) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plusIsSpace) {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string SimRequest::percentEncode(std::string_view text) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> SimRequest::parseQuery(std::string_view raw) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = raw.find('&', start);
    if (end == std::string_view::npos) end = raw.size();
    const std::string_view part = raw.substr(start, end - start);
    if (!part.empty()) {
      const size_t eq = part.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(percentDecode(part, true), "");
      } else {
        out.emplace_back(percentDecode(part.substr(0, eq), true), percentDecode(part.substr(eq + 1), true));
      }
    }
    start = end + 1;
  }
  return out;
}

SimRequest SimRequest::make(std::string method, std::string_view target, std::string body,
                            std::map<std::string, std::string> headers) {
  SimRequest request;
  request.method = std::move(method);
  const size_t question = target.find('?');
  request.path = percentDecode(target.substr(0, question), false);
  if (question != std::string_view::npos) {
    request.rawQuery = std::string(target.substr(question + 1));
    request.query = parseQuery(request.rawQuery);
  }
  request.body = std::move(body);
  for (auto& [name, value] : headers) {
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers[lower] = value;
  }
  request.baseUrl = "http://127.0.0.1:0";
  return request;
}

}  // namespace tributary::sim
