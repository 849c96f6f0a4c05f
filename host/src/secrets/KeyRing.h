#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "secrets/Key.h"
#include "secrets/Sealed.h"

namespace tributary::secrets {

// The keys of one key file (KeyFile has the format), for sealing and opening values with
// AES-256-GCM. The first key of the file seals; every key opens. Thread-safe: one ring serves
// every thread of a process.
//
// `aad` binds a value to where it is stored ("auth_credentials:<connection id>", see
// sealedColumns()); it is named in messages, so it must never hold a secret.
class KeyRing {
 public:
  // Reads `file`. Throws SecretError (KeyFile::read's messages).
  explicit KeyRing(std::filesystem::path file);
  // Reads `file`, or creates it first with one new key, mode 0600, when it does not exist. Its
  // directory must exist. Two processes that race to create it end up with the same file.
  static std::shared_ptr<KeyRing> loadOrCreate(const std::filesystem::path& file);

  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  const std::filesystem::path& file() const { return file_; }
  // The id of the key that seals.
  std::string currentKeyId() const;
  // Every key id, in file order (the current one first).
  std::vector<std::string> keyIds() const;
  bool contains(std::string_view keyId) const;

  // Seals with the current key.
  Sealed seal(std::string_view plaintext, std::string_view aad) const;
  // Opens a value sealed with any key of the ring. A key id the ring lacks makes it read the
  // file again once (another host may have rotated the shared key and the file been copied
  // here). Throws SecretError: for a key the file still lacks, naming the file and the id and
  // saying to copy the file every host shares (nothing was changed); for a value that does not
  // open with its key (tampered with, or sealed for another row), naming the key.
  std::string open(const Sealed& sealed, std::string_view aad) const;

  // Reads the file again. On failure (SecretError) the ring keeps the keys it had.
  void reload() const;

  // A 32-byte key for `purpose` derived from key `keyId` (HMAC-SHA256 of the purpose under the
  // key), for what is signed rather than sealed (the connect flow's states): one key file serves
  // both, and the key itself never leaves the ring. Throws SecretError for a key the file lacks.
  std::string derive(std::string_view keyId, std::string_view purpose) const;

 private:
  using Keys = std::vector<Key>;
  std::shared_ptr<const Keys> snapshot() const;
  // The key `id`, reading the file again once when the ring lacks it; nullptr when still absent.
  std::shared_ptr<const Key> keyFor(std::string_view id) const;

  std::filesystem::path file_;
  mutable std::mutex mutex_;
  mutable std::shared_ptr<const Keys> keys_;
};

}  // namespace tributary::secrets
