#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace tributary::secrets {

inline constexpr size_t kKeySize = 32;  // AES-256

// One key of a key file. Its id is derived from the key itself (keyIdOf), so the same key has
// the same id on every host and a line whose id was edited is refused. The bytes are wiped when
// the Key goes.
struct Key {
  std::string id;
  std::array<unsigned char, kKeySize> bytes{};
  int line = 0;  // where it stands in its file; 0 for a key not read from one

  Key() = default;
  Key(const Key&) = default;
  Key& operator=(const Key&) = default;
  ~Key();
};

// "k" + hex of the first 8 bytes of SHA-256("tributary-secret-key\n" + key).
std::string keyIdOf(const std::array<unsigned char, kKeySize>& bytes);
// A new random key (OpenSSL's RAND_bytes) with its id. Throws SecretError when the random
// generator fails.
Key generateKey();

}  // namespace tributary::secrets
