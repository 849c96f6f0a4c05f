#pragma once

#include <string>
#include <string_view>

namespace tributary::auth {

// application/x-www-form-urlencoded value.
std::string formEncode(std::string_view value);
// `n` random bytes from OpenSSL's generator (throws std::runtime_error when it fails).
std::string randomBytes(size_t n);
// Compares in time independent of where they differ.
bool constantTimeEqual(std::string_view a, std::string_view b);

}  // namespace tributary::auth
