#include "secrets/Key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "secrets/SecretError.h"

namespace tributary::secrets {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int valueOf(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

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

std::string encodeBase64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kAlphabet[v >> 18 & 63]);
    out.push_back(kAlphabet[v >> 12 & 63]);
    out.push_back(kAlphabet[v >> 6 & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (const size_t rest = bytes.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[v >> 18 & 63]);
    out.push_back(kAlphabet[v >> 12 & 63]);
    out.push_back(rest == 2 ? kAlphabet[v >> 6 & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool decodeBase64(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 != 0) return false;
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return false;  // a character after padding
      v[j] = valueOf(c);
      if (v[j] < 0) return false;
    }
    const unsigned n = static_cast<unsigned>(v[0]) << 18 | static_cast<unsigned>(v[1]) << 12 |
                       static_cast<unsigned>(v[2]) << 6 | static_cast<unsigned>(v[3]);
    out.push_back(static_cast<char>(n >> 16 & 255));
    if (pad < 2) out.push_back(static_cast<char>(n >> 8 & 255));
    if (pad < 1) out.push_back(static_cast<char>(n & 255));
  }
  return true;
}

}  // namespace tributary::secrets
