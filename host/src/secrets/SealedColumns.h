#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::db {
class Connection;
}

namespace tributary::secrets {

// A column of sealed values: every table the host seals into, in one list, so that rotation,
// status and the start-up check cover each one. A value's associated data is "TABLE:ID", ID
// being the row's id column as text (aadFor).
struct SealedColumn {
  std::string_view table;
  std::string_view idColumn;
  std::string_view keyIdColumn;
  std::string_view sealedColumn;  // bytea: nonce || ciphertext || tag
};

// migrations/016: auth_credentials (by credential) and oauth_states (by id); migrations/018:
// webhook_secrets (by id). A new sealed table adds its line here.
const std::vector<SealedColumn>& sealedColumns();

// "auth_credentials:6f1c2b1e-...": the associated data of the value in row `id`.
std::string aadFor(const SealedColumn& column, std::string_view id);
std::string aadFor(std::string_view table, std::string_view id);

// How many values of a sealed table one key id seals.
struct SealedCount {
  std::string table;
  std::string keyId;
  int64_t values = 0;
};
// Every (table, key id) with at least one value, in sealedColumns() order, then by key id.
std::vector<SealedCount> countSealed(db::Connection& conn);
// "auth_credentials 2, oauth_states 1" (the counts of one key id, or of all of them).
std::string describeCounts(const std::vector<SealedCount>& counts);

// A bytea in PostgreSQL's hex text form ("\x0a1b..."), for a statement parameter, and back
// from the hex digits of encode(col, 'hex'). fromHex throws SecretError on a bad digit.
std::string byteaParam(std::string_view bytes);
std::string fromHex(std::string_view hex);

}  // namespace tributary::secrets
