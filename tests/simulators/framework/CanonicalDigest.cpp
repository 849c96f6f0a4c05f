#include "CanonicalDigest.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace tributary::sim {

std::string CanonicalDigest::sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL EVP_Digest(sha256) failed");
  }
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

std::string CanonicalDigest::of(const std::vector<std::optional<std::string>>& fields) {
  std::string joined;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) joined += '\x1F';
    joined += fields[i] ? *fields[i] : std::string("\\N");
  }
  return sha256Hex(joined);
}

}  // namespace tributary::sim
