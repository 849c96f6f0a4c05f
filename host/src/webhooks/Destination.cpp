#include "webhooks/Destination.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <netdb.h>
#include <sys/socket.h>

#include <memory>

namespace tributary::webhooks {

DestinationPolicy::DestinationPolicy(const std::vector<std::string>& allowPrivate) {
  for (const auto& c : allowPrivate) {
    if (auto parsed = net::Cidr::parse(c)) allowed_.push_back(*parsed);
  }
}

namespace {

Poco::URI parseUrl(const std::string& url) {
  if (url.empty()) throw DestinationError("is empty: give the absolute http:// or https:// URL of the endpoint");
  if (url.size() > 2048) throw DestinationError("is longer than 2048 characters");
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception& e) {
    throw DestinationError("is not a URL (" + e.message() + "): give an absolute http:// or https:// URL");
  }
  if (uri.getScheme() != "http" && uri.getScheme() != "https") {
    throw DestinationError("must be an absolute http:// or https:// URL, got \"" + url + "\"");
  }
  if (uri.getHost().empty()) throw DestinationError("has no host: \"" + url + "\"");
  if (!uri.getUserInfo().empty()) throw DestinationError("must not carry a user name or password");
  if (!uri.getFragment().empty()) throw DestinationError("must not have a #fragment");
  return uri;
}

}  // namespace

void DestinationPolicy::checkForm(const std::string& url) { parseUrl(url); }

Destination DestinationPolicy::resolve(const std::string& url) const {
  const Poco::URI uri = parseUrl(url);
  Destination d{url, uri.getHost(), uri.getPort(), ""};
  std::vector<net::IpAddress> addresses;
  if (auto literal = net::IpAddress::parse(d.host)) {
    addresses.push_back(*literal);
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(d.host.c_str(), nullptr, &hints, &found);
    if (rc != 0) {
      throw DestinationError("host \"" + d.host + "\" does not resolve: " + gai_strerror(rc));
    }
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(found, freeaddrinfo);
    for (auto* a = found; a; a = a->ai_next) {
      char buf[NI_MAXHOST] = {};
      if (getnameinfo(a->ai_addr, a->ai_addrlen, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) != 0) continue;
      if (auto ip = net::IpAddress::parse(buf)) addresses.push_back(*ip);
    }
    if (addresses.empty()) throw DestinationError("host \"" + d.host + "\" has no address");
  }
  for (const auto& a : addresses) {
    auto why = net::nonPublicReason(a);
    if (!why) continue;
    bool allowed = false;
    for (const auto& c : allowed_) allowed = allowed || c.contains(a);
    if (!allowed) {
      throw DestinationError("host \"" + d.host + "\" resolves to " + a.toString() + ", a " + *why +
                             " address, which webhooks may not reach (webhooks.allow_private lists the networks "
                             "they may)");
    }
  }
  d.address = addresses.front().toString();
  return d;
}

}  // namespace tributary::webhooks
