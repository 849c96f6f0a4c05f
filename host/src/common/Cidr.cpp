#include "common/Cidr.h"

#include <arpa/inet.h>

#include <cstring>
#include <vector>

namespace tributary::net {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  const std::string s(text);
  IpAddress a;
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    a.v4 = true;
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    std::memcpy(a.bytes.data() + 12, &v4, 4);
    return a;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(a.bytes.data(), &v6, 16);
    return a;
  }
  return std::nullopt;
}

std::string IpAddress::toString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (v4) {
    inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto base = IpAddress::parse(text.substr(0, slash));
  if (!base) return std::nullopt;
  const int width = base->v4 ? 32 : 128;
  int prefix = width;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    prefix = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      prefix = prefix * 10 + (c - '0');
    }
    if (prefix > width) return std::nullopt;
  }
  Cidr c{*base, base->v4 ? prefix + 96 : prefix};
  return c;
}

bool Cidr::contains(const IpAddress& a) const {
  int bits = prefix;
  for (size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

std::optional<std::string> nonPublicReason(const IpAddress& a) {
  struct Range {
    const char* cidr;
    const char* why;
  };
  // IANA's special-purpose registries (RFC 6890 and successors), the ones a webhook must not reach.
  static const std::vector<std::pair<Cidr, std::string>> kRanges = [] {
    const Range ranges[] = {
        {"0.0.0.0/8", "\"this network\""},
        {"10.0.0.0/8", "private"},
        {"100.64.0.0/10", "shared (carrier-grade NAT)"},
        {"127.0.0.0/8", "loopback"},
        {"169.254.169.254/32", "link-local (cloud metadata)"},
        {"169.254.0.0/16", "link-local"},
        {"172.16.0.0/12", "private"},
        {"192.0.0.0/24", "IETF protocol assignments"},
        {"192.168.0.0/16", "private"},
        {"198.18.0.0/15", "benchmarking"},
        {"224.0.0.0/4", "multicast"},
        {"240.0.0.0/4", "reserved"},
        {"fd00:ec2::254/128", "link-local (cloud metadata)"},
        {"::/128", "unspecified"},
        {"::1/128", "loopback"},
        {"64:ff9b:1::/48", "local-use NAT64"},
        {"fc00::/7", "unique local (private)"},
        {"fe80::/10", "link-local"},
        {"ff00::/8", "multicast"},
    };
    std::vector<std::pair<Cidr, std::string>> out;
    for (const auto& r : ranges) out.emplace_back(*Cidr::parse(r.cidr), r.why);
    return out;
  }();
  for (const auto& [range, why] : kRanges) {
    if (range.contains(a)) return why;
  }
  return std::nullopt;
}

}  // namespace tributary::net
