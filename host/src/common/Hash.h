#pragma once

#include <string>
#include <string_view>

namespace tributary::hash {

// Lowercase hex SHA-256.
std::string sha256Hex(std::string_view data);
// The 32 bytes of SHA-256.
std::string sha256(std::string_view data);
// The 32 bytes of HMAC-SHA256 of `data` under `key`.
std::string hmacSha256(std::string_view key, std::string_view data);

}  // namespace tributary::hash
