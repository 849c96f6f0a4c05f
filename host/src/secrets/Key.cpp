#include "secrets/Key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "secrets/SecretError.h"

namespace tributary::secrets {
Key::~Key() { OPENSSL_cleanse(bytes.data(), bytes.size()); }

std::string keyIdOf(const std::array<unsigned char, kKeySize>& bytes) {
  std::string input = "tributary-secret-key\n";
  input.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const bool ok = EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha256(), nullptr) == 1;
  OPENSSL_cleanse(input.data(), input.size());
  if (!ok) throw SecretError("SHA-256 failed while deriving a key id");
  static const char* hex = "0123456789abcdef";
  std::string id = "k";
  for (int i = 0; i < 8; ++i) {
    id.push_back(hex[digest[i] >> 4]);
    id.push_back(hex[digest[i] & 15]);
  }
  return id;
}

Key generateKey() {
  Key k;
  if (RAND_bytes(k.bytes.data(), static_cast<int>(k.bytes.size())) != 1) {
    throw SecretError("cannot make a new key: OpenSSL's random generator failed (RAND_bytes)");
  }
  k.id = keyIdOf(k.bytes);
  return k;
}

}  // namespace tributary::secrets
