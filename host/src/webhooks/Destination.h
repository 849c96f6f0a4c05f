#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "common/Cidr.h"

namespace tributary::webhooks {

// Where a delivery goes: its URL, and the address it connects to, which is the address that was
// checked (the Host header and the TLS server name stay the URL's), so that a name resolving
// elsewhere between the check and the connection (DNS rebinding) cannot reach what was refused.
struct Destination {
  std::string url;
  std::string host;
  int port = 0;
  std::string address;  // an IP literal
};

// A destination refused: not an absolute http(s) URL, or one that resolves to an address that
// is not public and not in webhooks.allow_private. `field` is the request's field ("webhookUrl",
// "url"), for the API's 400.
// At a delivery it is that attempt's failure, retried on the schedule like any other.
class DestinationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DestinationPolicy {
 public:
  // `allowPrivate`: webhooks.allow_private (checked by the config loader).
  explicit DestinationPolicy(const std::vector<std::string>& allowPrivate);

  // The URL's form alone: an absolute http:// or https:// URL with a host, no user info, no
  // fragment, at most 2048 characters. Throws DestinationError naming what is wrong.
  static void checkForm(const std::string& url);
  // The form, then the host resolved and every address it has checked: one that is loopback,
  // private, link-local or a metadata address, and in no allowed network, refuses the URL
  // (naming the address and why). Returns the first address, to connect to.
  Destination resolve(const std::string& url) const;

 private:
  std::vector<net::Cidr> allowed_;
};

}  // namespace tributary::webhooks
