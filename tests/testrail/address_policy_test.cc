// SSRF guard: classification of resolved addresses and the allow/deny policy (R-Q-SEC).
#include "testrail/address_policy.h"

#include <gtest/gtest.h>

namespace nexus::testrail {
namespace {

TEST(AddressPolicyTest, ClassifiesAddresses) {
  struct Case {
    const char* ip;
    AddressClass cls;
  };
  const Case cases[] = {
      {"8.8.8.8", AddressClass::kPublic},
      {"172.32.0.1", AddressClass::kPublic},
      {"100.128.0.1", AddressClass::kPublic},
      {"127.0.0.1", AddressClass::kLoopback},
      {"127.255.0.9", AddressClass::kLoopback},
      {"10.1.2.3", AddressClass::kPrivate},
      {"172.16.0.1", AddressClass::kPrivate},
      {"172.31.255.255", AddressClass::kPrivate},
      {"192.168.1.1", AddressClass::kPrivate},
      {"100.64.0.1", AddressClass::kPrivate},
      {"169.254.0.1", AddressClass::kLinkLocal},
      {"169.254.169.254", AddressClass::kMetadata},
      {"0.0.0.0", AddressClass::kUnspecified},
      {"0.1.2.3", AddressClass::kUnspecified},
      {"224.0.0.1", AddressClass::kMulticast},
      {"239.1.1.1", AddressClass::kMulticast},
      {"255.255.255.255", AddressClass::kMulticast},
      {"::1", AddressClass::kLoopback},
      {"::", AddressClass::kUnspecified},
      {"fe80::1", AddressClass::kLinkLocal},
      {"febf::1", AddressClass::kLinkLocal},
      {"fec0::1", AddressClass::kPublic},
      {"fc00::1", AddressClass::kPrivate},
      {"fd12:3456::1", AddressClass::kPrivate},
      {"fd00:ec2::254", AddressClass::kMetadata},
      {"ff02::1", AddressClass::kMulticast},
      {"2001:4860:4860::8888", AddressClass::kPublic},
      {"::ffff:169.254.169.254", AddressClass::kMetadata},
      {"::ffff:127.0.0.1", AddressClass::kLoopback},
      {"::ffff:10.0.0.1", AddressClass::kPrivate},
      {"64:ff9b::a9fe:a9fe", AddressClass::kMetadata},
  };
  for (const Case& c : cases) {
    std::optional<AddressClass> got = ClassifyIp(c.ip);
    ASSERT_TRUE(got.has_value()) << c.ip;
    EXPECT_EQ(*got, c.cls) << c.ip;
  }
  EXPECT_FALSE(ClassifyIp("example.com").has_value());
}

TEST(AddressPolicyTest, Policy) {
  for (bool allow : {false, true}) {
    EXPECT_TRUE(IsAddressAllowed(AddressClass::kPublic, allow));
    EXPECT_EQ(IsAddressAllowed(AddressClass::kLoopback, allow), allow);
    EXPECT_EQ(IsAddressAllowed(AddressClass::kPrivate, allow), allow);
    EXPECT_FALSE(IsAddressAllowed(AddressClass::kLinkLocal, allow));
    EXPECT_FALSE(IsAddressAllowed(AddressClass::kMetadata, allow));
    EXPECT_FALSE(IsAddressAllowed(AddressClass::kUnspecified, allow));
    EXPECT_FALSE(IsAddressAllowed(AddressClass::kMulticast, allow));
  }
  EXPECT_EQ(DescribeAddressClass(AddressClass::kLinkLocal), "a link-local address");
}

}  // namespace
}  // namespace nexus::testrail
