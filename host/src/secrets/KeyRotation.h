#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tributary::db {
class Connection;
}

namespace tributary::secrets {

struct RotationResult {
  std::string newKeyId;
  std::vector<std::string> keptKeyIds;  // the keys before it, kept after it in the file
  bool createdFile = false;             // there was no key file: this made it
  // Values re-sealed under the new key, per sealed table in sealedColumns() order.
  std::vector<std::pair<std::string, int64_t>> resealed;
};

// `tributary secrets rotate-key`: a new key becomes the current one of `keyFile`, and every
// sealed value (sealedColumns()) is re-sealed under it in one transaction. In order, under a
// session advisory lock (db::advisory::kKeyRotation) so that no two rotations interleave:
//   1. the new key is appended to the file, after every key (written atomically, mode 0600): it
//      opens but does not seal yet, so a crash after the commit below loses nothing;
//   2. one transaction locks every sealed row (FOR UPDATE), opens each with its key and seals it
//      with the new one, and commits;
//   3. the new key is moved first in the file (written atomically): it seals from now on.
// If step 2 fails (a value that does not open, a key the file lacks, the database), the file is
// put back as it was (or removed, if this made it) and nothing is changed; the SecretError or
// DbError says why and that nothing changed. A missing file is created (the first key: with
// database.url, create it on one host this way and copy it to every host).
RotationResult rotateKey(db::Connection& conn, const std::filesystem::path& keyFile);

struct RetireResult {
  std::string keyId;
  std::vector<std::string> remainingKeyIds;  // current first
};

// `tributary secrets retire-key KEY_ID`: removes a key that is not the current one from the
// file, once no sealed value uses it. The sealed tables are locked (SHARE) from the count until
// the file is rewritten, so a value being written meanwhile cannot be missed. Throws SecretError
// (nothing changed): an unknown or current key, or one that still seals values (naming the
// tables and their counts). Retire a key only once every host has the file whose current key
// is another: a host still sealing with a retired key writes values no other host opens.
RetireResult retireKey(db::Connection& conn, const std::filesystem::path& keyFile, std::string_view keyId);

}  // namespace tributary::secrets
