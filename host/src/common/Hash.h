#pragma once

#include <string>
#include <string_view>

namespace tributary::hash {

// Lowercase hex SHA-256.
std::string sha256Hex(std::string_view data);

}  // namespace tributary::hash
