#include "webhooks/Signing.h"

#include <stdexcept>

#include "auth/Encoding.h"
#include "common/Base64.h"
#include "common/Hash.h"

namespace tributary::webhooks {

namespace {

constexpr std::string_view kPrefix = "whsec_";
constexpr size_t kMinBytes = 8;  // the seeds' own example, "test-secret-key", is 15
constexpr size_t kMaxBytes = 256;

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 0xf];
  }
  return out;
}

}  // namespace

std::string decodeSecret(std::string_view given) {
  if (given.empty()) throw std::invalid_argument("is empty: give a secret, or leave it out to have one generated");
  std::string bytes;
  if (given.substr(0, kPrefix.size()) == kPrefix) {
    if (!base64::decode(given.substr(kPrefix.size()), bytes)) {
      throw std::invalid_argument("starts with whsec_ but what follows is not base64 (standard alphabet, padded)");
    }
  } else {
    bytes = std::string(given);
  }
  if (bytes.size() < kMinBytes || bytes.size() > kMaxBytes) {
    throw std::invalid_argument("must be " + std::to_string(kMinBytes) + " to " + std::to_string(kMaxBytes) +
                                " bytes (after whsec_ decoding), got " + std::to_string(bytes.size()));
  }
  return bytes;
}

std::string generateSecret() { return auth::randomBytes(32); }

std::string displaySecret(std::string_view secretBytes) { return std::string(kPrefix) + base64::encode(secretBytes); }

std::string sign(std::string_view secretBytes, std::string_view messageId, int64_t timestampSeconds,
                 std::string_view body) {
  std::string content;
  content.reserve(messageId.size() + body.size() + 24);
  content.append(messageId);
  content += '.';
  content += std::to_string(timestampSeconds);
  content += '.';
  content.append(body);
  return "v1," + base64::encode(hash::hmacSha256(secretBytes, content));
}

std::string signatureHeader(const std::vector<std::string>& secrets, std::string_view messageId,
                            int64_t timestampSeconds, std::string_view body) {
  std::string out;
  for (const auto& s : secrets) {
    if (!out.empty()) out += ' ';
    out += sign(s, messageId, timestampSeconds, body);
  }
  return out;
}

std::string legacySignature(std::string_view secretBytes, std::string_view body) {
  return "sha256=" + hex(hash::hmacSha256(secretBytes, body));
}

}  // namespace tributary::webhooks
