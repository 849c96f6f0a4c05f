// Which destinations a webhook may reach: the URL's form, and every address its host resolves
// to, against the special-purpose ranges and webhooks.allow_private.
#include "webhooks/Destination.h"

#include <gtest/gtest.h>

using namespace tributary;
using namespace tributary::webhooks;

namespace destination_test {

std::string refusal(const DestinationPolicy& p, const std::string& url) {
  try {
    p.resolve(url);
  } catch (const DestinationError& e) {
    return e.what();
  }
  return "accepted";
}

TEST(Destination, EveryNonPublicRangeIsRefusedNamingTheAddressAndWhy) {
  const DestinationPolicy none({});
  for (const auto& [url, why] : std::vector<std::pair<std::string, std::string>>{
           {"http://127.0.0.1/", "127.0.0.1, a loopback address"},
           {"http://127.9.9.9:8080/", "127.9.9.9, a loopback address"},
           {"http://10.0.0.1/", "10.0.0.1, a private address"},
           {"http://172.16.5.4/", "172.16.5.4, a private address"},
           {"http://192.168.1.1/", "192.168.1.1, a private address"},
           {"http://100.64.0.1/", "100.64.0.1, a shared (carrier-grade NAT) address"},
           {"http://169.254.169.254/", "169.254.169.254, a link-local (cloud metadata) address"},
           {"http://169.254.1.1/", "169.254.1.1, a link-local address"},
           {"http://0.0.0.0/", "0.0.0.0, a \"this network\" address"},
           {"http://[::1]/", "::1, a loopback address"},
           {"http://[fd00::1]/", "fd00::1, a unique local (private) address"},
           {"http://[fe80::1]/", "fe80::1, a link-local address"},
           {"http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1, a loopback address"},
           {"http://localhost/", "resolves to"}}) {
    EXPECT_NE(refusal(none, url).find(why), std::string::npos) << url << ": " << refusal(none, url);
  }
  EXPECT_EQ(refusal(none, "http://93.184.215.14/"), "accepted") << "a public address";
  EXPECT_EQ(refusal(none, "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/"), "accepted");
}

TEST(Destination, AnAllowedNetworkLetsItsAddressesThroughAndOnlyThose) {
  const DestinationPolicy loopback({"127.0.0.0/8", "::1"});
  EXPECT_EQ(refusal(loopback, "http://127.0.0.1:9/hook"), "accepted");
  EXPECT_EQ(refusal(loopback, "http://[::1]:9/hook"), "accepted");
  EXPECT_NE(refusal(loopback, "http://10.0.0.1/"), "accepted");
  EXPECT_NE(refusal(loopback, "http://169.254.169.254/"), "accepted");
  const auto d = loopback.resolve("http://127.0.0.1:8123/a?b=c");
  EXPECT_EQ(d.address, "127.0.0.1") << "the address checked is the one to connect to";
  EXPECT_EQ(d.host, "127.0.0.1");
  EXPECT_EQ(d.port, 8123);
}

TEST(Destination, ANameIsCheckedByEveryAddressItResolvesTo) {
  // localhost resolves to loopback addresses only: allowed when loopback is.
  const DestinationPolicy loopback({"127.0.0.0/8", "::1/128"});
  const auto d = loopback.resolve("http://localhost:9/");
  EXPECT_TRUE(d.address == "127.0.0.1" || d.address == "::1") << d.address;
  EXPECT_EQ(d.host, "localhost");
  const DestinationPolicy v4only({"127.0.0.0/8"});
  const std::string why = refusal(v4only, "http://localhost:9/");
  // Wherever ::1 is one of localhost's addresses, it alone refuses the name.
  EXPECT_TRUE(why == "accepted" || why.find("::1, a loopback address") != std::string::npos) << why;
}

TEST(Destination, AUrlOfTheWrongFormIsRefusedSayingWhatIsWrong) {
  const DestinationPolicy p({});
  EXPECT_EQ(refusal(p, ""), "is empty: give the absolute http:// or https:// URL of the endpoint");
  EXPECT_EQ(refusal(p, "example.com/hook"), "must be an absolute http:// or https:// URL, got \"example.com/hook\"");
  EXPECT_EQ(refusal(p, "ftp://example.com/"),
            "must be an absolute http:// or https:// URL, got \"ftp://example.com/\"");
  EXPECT_EQ(refusal(p, "http:///x"), "has no host: \"http:///x\"");
  EXPECT_EQ(refusal(p, "https://u:p@example.com/"), "must not carry a user name or password");
  EXPECT_EQ(refusal(p, "https://example.com/#frag"), "must not have a #fragment");
  EXPECT_EQ(refusal(p, "https://example.com/" + std::string(2100, 'a')), "is longer than 2048 characters");
  EXPECT_NE(refusal(p, "http://no-such-host.invalid/").find("does not resolve"), std::string::npos);
}

}  // namespace destination_test
