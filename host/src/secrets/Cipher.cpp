#include "secrets/Cipher.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>
#include <memory>

#include "secrets/SecretError.h"

namespace tributary::secrets {
namespace {

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherContext newContext() {
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw SecretError("OpenSSL could not allocate a cipher context");
  return ctx;
}

unsigned char* bytesOf(std::string& s, size_t offset) { return reinterpret_cast<unsigned char*>(s.data()) + offset; }
const unsigned char* bytesOf(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

void checkSize(std::string_view what, size_t size) {
  if (size > static_cast<size_t>(INT_MAX) - kNonceSize - kTagSize) {
    throw SecretError(std::string(what) + " is too large to seal (" + std::to_string(size) + " bytes)");
  }
}

}  // namespace

Sealed sealWith(const Key& key, std::string_view plaintext, std::string_view aad) {
  checkSize("the value", plaintext.size());
  checkSize("the associated data", aad.size());
  Sealed out;
  out.keyId = key.id;
  out.bytes.resize(kNonceSize + plaintext.size() + kTagSize);
  if (RAND_bytes(bytesOf(out.bytes, 0), static_cast<int>(kNonceSize)) != 1) {
    throw SecretError("cannot seal: OpenSSL's random generator failed (RAND_bytes)");
  }
  auto ctx = newContext();
  int len = 0;
  bool ok = EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize), nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes.data(), bytesOf(out.bytes, 0)) == 1;
  if (ok && !aad.empty()) {
    ok = EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytesOf(aad), static_cast<int>(aad.size())) == 1;
  }
  int written = 0;
  if (ok && !plaintext.empty()) {
    ok = EVP_EncryptUpdate(ctx.get(), bytesOf(out.bytes, kNonceSize), &len, bytesOf(plaintext),
                           static_cast<int>(plaintext.size())) == 1;
    written = len;
  }
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), bytesOf(out.bytes, kNonceSize + written), &len) == 1 &&
       written + len == static_cast<int>(plaintext.size()) &&
       EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                           bytesOf(out.bytes, kNonceSize + plaintext.size())) == 1;
  if (!ok) throw SecretError("cannot seal: OpenSSL's AES-256-GCM failed");
  return out;
}

std::optional<std::string> openWith(const Key& key, std::string_view bytes, std::string_view aad) {
  if (bytes.size() < kNonceSize + kTagSize) return std::nullopt;
  checkSize("the value", bytes.size());
  checkSize("the associated data", aad.size());
  const size_t cipherSize = bytes.size() - kNonceSize - kTagSize;
  std::string plain(cipherSize, '\0');
  // EVP wants a writable tag buffer.
  std::string tag(bytes.substr(kNonceSize + cipherSize));
  auto ctx = newContext();
  int len = 0;
  bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize), nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes.data(), bytesOf(bytes)) == 1;
  if (ok && !aad.empty()) {
    ok = EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytesOf(aad), static_cast<int>(aad.size())) == 1;
  }
  int written = 0;
  if (ok && cipherSize > 0) {
    ok = EVP_DecryptUpdate(ctx.get(), bytesOf(plain, 0), &len, bytesOf(bytes) + kNonceSize,
                           static_cast<int>(cipherSize)) == 1;
    written = len;
  }
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize), tag.data()) == 1;
  if (!ok) throw SecretError("cannot open a sealed value: OpenSSL's AES-256-GCM failed");
  // The tag is checked here: a mismatch is a value that does not open, not a failure of OpenSSL.
  if (EVP_DecryptFinal_ex(ctx.get(), bytesOf(plain, static_cast<size_t>(written)), &len) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return std::nullopt;
  }
  return plain;
}

}  // namespace tributary::secrets
