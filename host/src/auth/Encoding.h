#pragma once

#include <string>
#include <string_view>

namespace tributary::auth {

// RFC 4648 base64url, unpadded (the connect flow's state, PKCE).
std::string base64url(std::string_view bytes);
// The bytes of a base64url text (padding optional); nullopt-like: empty with ok=false when it is not.
bool fromBase64url(std::string_view text, std::string& out);
// application/x-www-form-urlencoded value.
std::string formEncode(std::string_view value);
// `n` random bytes from OpenSSL's generator (throws std::runtime_error when it fails).
std::string randomBytes(size_t n);
std::string sha256(std::string_view bytes);                           // raw 32 bytes
std::string hmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
// Compares in time independent of where they differ.
bool constantTimeEqual(std::string_view a, std::string_view b);

}  // namespace tributary::auth
