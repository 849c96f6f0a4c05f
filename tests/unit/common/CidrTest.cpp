// Addresses and networks, for webhooks.allow_private and the destination check.
#include "common/Cidr.h"

#include <gtest/gtest.h>

using namespace tributary;

namespace cidr_test {

TEST(Cidr, ParsesNetworksOfEitherFamilyAndRefusesWhatIsNone) {
  EXPECT_TRUE(net::Cidr::parse("10.0.0.0/8"));
  EXPECT_TRUE(net::Cidr::parse("127.0.0.1"));
  EXPECT_TRUE(net::Cidr::parse("::1"));
  EXPECT_TRUE(net::Cidr::parse("fd00::/8"));
  EXPECT_TRUE(net::Cidr::parse("0.0.0.0/0"));
  for (const char* bad :
       {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "localhost", "10.0.0/8", "1.2.3.4/-1"}) {
    EXPECT_FALSE(net::Cidr::parse(bad)) << bad;
  }
}

TEST(Cidr, ContainsByItsPrefixAndJudgesAMappedAddressAsItsIpv4) {
  const auto ten = *net::Cidr::parse("10.0.0.0/8");
  EXPECT_TRUE(ten.contains(*net::IpAddress::parse("10.255.0.1")));
  EXPECT_FALSE(ten.contains(*net::IpAddress::parse("11.0.0.1")));
  EXPECT_TRUE(ten.contains(*net::IpAddress::parse("::ffff:10.1.1.1")));
  const auto odd = *net::Cidr::parse("172.16.0.0/12");
  EXPECT_TRUE(odd.contains(*net::IpAddress::parse("172.31.255.255")));
  EXPECT_FALSE(odd.contains(*net::IpAddress::parse("172.32.0.0")));
  EXPECT_TRUE(net::Cidr::parse("0.0.0.0/0")->contains(*net::IpAddress::parse("8.8.8.8")));
  EXPECT_FALSE(net::Cidr::parse("::1")->contains(*net::IpAddress::parse("::2")));
  EXPECT_EQ(net::IpAddress::parse("::ffff:10.1.1.1")->toString(), "::ffff:10.1.1.1");
  EXPECT_EQ(net::IpAddress::parse("10.1.1.1")->toString(), "10.1.1.1");
}

TEST(Cidr, PublicAddressesHaveNoReasonAndTheOthersTheirs) {
  EXPECT_FALSE(net::nonPublicReason(*net::IpAddress::parse("8.8.8.8")));
  EXPECT_FALSE(net::nonPublicReason(*net::IpAddress::parse("2001:4860:4860::8888")));
  EXPECT_EQ(net::nonPublicReason(*net::IpAddress::parse("127.0.0.1")), "loopback");
  EXPECT_EQ(net::nonPublicReason(*net::IpAddress::parse("169.254.169.254")), "link-local (cloud metadata)");
  EXPECT_EQ(net::nonPublicReason(*net::IpAddress::parse("fd00:ec2::254")), "link-local (cloud metadata)");
  EXPECT_EQ(net::nonPublicReason(*net::IpAddress::parse("224.0.0.1")), "multicast");
}

}  // namespace cidr_test
