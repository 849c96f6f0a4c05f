#include "db/PgArray.h"

namespace tributary::db {
namespace {

void appendQuoted(std::string& out, const std::string& item) {
  out += '"';
  for (char c : item) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string textArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    appendQuoted(out, items[i]);
  }
  return out + "}";
}

std::string textArray(const std::vector<std::optional<std::string>>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    if (items[i]) appendQuoted(out, *items[i]);
    else out += "NULL";
  }
  return out + "}";
}

}  // namespace tributary::db
