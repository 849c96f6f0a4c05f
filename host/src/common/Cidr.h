#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::net {

// An IPv4 or IPv6 address as 16 bytes: IPv4 as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so
// that one comparison covers both.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  bool v4 = false;

  // "127.0.0.1", "::1", "fe80::1" (no zone), or nullopt.
  static std::optional<IpAddress> parse(std::string_view text);
  std::string toString() const;
};

// A network: an address and a prefix length ("10.0.0.0/8", "::1/128"; a bare address is its own
// /32 or /128).
struct Cidr {
  IpAddress base;
  int prefix = 0;  // in bits of the 128-bit form

  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const IpAddress& a) const;
};

// Why an address is not one the public internet reaches ("loopback", "private", "link-local
// (cloud metadata)", ...), or nullopt for a public one. An IPv4-mapped IPv6 address is judged
// as its IPv4 address.
std::optional<std::string> nonPublicReason(const IpAddress& a);

}  // namespace tributary::net
