#pragma once

#include <string>
#include <string_view>

// RFC 4648 base64: the key file's keys and HTTP Basic credentials (standard, padded), the connect
// flow's states and PKCE (base64url, unpadded), and the forms the redactor remembers.
namespace tributary::base64 {

// Standard alphabet, padded with '='.
std::string encode(std::string_view bytes);
// URL and filename alphabet ('-', '_'), no padding.
std::string encodeUrl(std::string_view bytes);
// Strict: the standard alphabet, padded to a multiple of 4, nothing else (no whitespace); false
// (and `out` partial) otherwise.
bool decode(std::string_view text, std::string& out);
// The URL alphabet, padding optional; false for any other character or a dangling 6-bit tail.
bool decodeUrl(std::string_view text, std::string& out);

}  // namespace tributary::base64
