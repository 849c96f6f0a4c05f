#pragma once

#include <string>

namespace tributary::secrets {

// A value sealed with AES-256-GCM, as it is stored: the id of the key that sealed it (in the
// row's key_id column) and `bytes` = 12-byte random nonce || ciphertext || 16-byte tag (in its
// bytea column). The associated data is not stored: it is the row's identity ("TABLE:ID",
// sealedColumns()), so a value copied to another row does not open.
struct Sealed {
  std::string keyId;
  std::string bytes;
};

}  // namespace tributary::secrets
