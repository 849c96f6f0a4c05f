#include "secrets/SealedColumns.h"

#include <map>

#include "common/Strings.h"
#include "db/Connection.h"
#include "secrets/SecretError.h"

namespace tributary::secrets {

const std::vector<SealedColumn>& sealedColumns() {
  static const std::vector<SealedColumn> kColumns = {
      {"auth_credentials", "credential", "key_id", "sealed"},
      {"oauth_states", "id", "key_id", "sealed"},
      {"webhook_secrets", "id", "key_id", "sealed"},
  };
  return kColumns;
}

std::string aadFor(std::string_view table, std::string_view id) {
  std::string out(table);
  out += ':';
  out += id;
  return out;
}

std::string aadFor(const SealedColumn& column, std::string_view id) { return aadFor(column.table, id); }

std::vector<SealedCount> countSealed(db::Connection& conn) {
  std::vector<SealedCount> out;
  for (const auto& c : sealedColumns()) {
    const std::string keyId = strings::quoteIdent(c.keyIdColumn);
    auto r = conn.exec("SELECT " + keyId + ", count(*) FROM " + strings::quoteIdent(c.table) + " GROUP BY " + keyId +
                       " ORDER BY " + keyId);
    for (int i = 0; i < r.rows(); ++i) out.push_back({std::string(c.table), r.text(i, 0), r.int64(i, 1)});
  }
  return out;
}

std::string describeCounts(const std::vector<SealedCount>& counts) {
  // Summed per table, in the order the tables come.
  std::vector<std::pair<std::string, int64_t>> perTable;
  for (const auto& c : counts) {
    if (perTable.empty() || perTable.back().first != c.table) perTable.emplace_back(c.table, 0);
    perTable.back().second += c.values;
  }
  std::vector<std::string> parts;
  for (const auto& [table, n] : perTable) parts.push_back(table + " " + std::to_string(n));
  return strings::join(parts, ", ");
}

std::string byteaParam(std::string_view bytes) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

std::string fromHex(std::string_view hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) throw SecretError("a sealed value's hex has an odd number of digits");
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) throw SecretError("a sealed value's hex holds a character that is no hex digit");
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

}  // namespace tributary::secrets
