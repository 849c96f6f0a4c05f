#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "secrets/Key.h"
#include "secrets/Sealed.h"

namespace tributary::secrets {

inline constexpr size_t kNonceSize = 12;
inline constexpr size_t kTagSize = 16;

// AES-256-GCM through OpenSSL EVP, with one key. KeyRing picks the key; rotation uses these
// directly (it opens with one key of the file and seals with another).

// A fresh random nonce per call. Throws SecretError when OpenSSL fails.
Sealed sealWith(const Key& key, std::string_view plaintext, std::string_view aad);
// nullopt when `bytes` do not open with this key and associated data (tampered with, sealed for
// other associated data or with another key, too short). Throws SecretError when OpenSSL fails.
std::optional<std::string> openWith(const Key& key, std::string_view bytes, std::string_view aad);

}  // namespace tributary::secrets
