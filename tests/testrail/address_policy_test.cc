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

// IPv6 forms that carry an IPv4 address inside them are judged by it.
TEST(AddressPolicyTest, EmbeddedIpv4FormsAreClassifiedByTheirInnerAddress) {
  struct Case {
    const char* ip;
    AddressClass cls;
  };
  const Case cases[] = {
      {"::127.0.0.1", AddressClass::kLoopback},                           // IPv4-compatible
      {"::10.0.0.1", AddressClass::kPrivate},                             // IPv4-compatible
      {"::169.254.169.254", AddressClass::kMetadata},                     // IPv4-compatible
      {"::ffff:0:127.0.0.1", AddressClass::kLoopback},                    // IPv4-translated
      {"2002:7f00:1::1", AddressClass::kLoopback},                        // 6to4 of 127.0.0.1
      {"2002:a9fe:a9fe::1", AddressClass::kMetadata},                     // 6to4 of 169.254.169.254
      {"2002:c0a8:101::1", AddressClass::kPrivate},                       // 6to4 of 192.168.1.1
      {"2002:808:808::1", AddressClass::kPublic},                         // 6to4 of 8.8.8.8
      {"2001:0:7f00:1::f7f7:f7f7", AddressClass::kLoopback},              // Teredo server 127.0.0.1
      {"2001:0:4136:e378:8000:63bf:80ff:fffe", AddressClass::kLoopback},  // client ~ = 127.0.0.1
      {"2001:0:4136:e378:8000:63bf:3fff:fdd2", AddressClass::kPublic},    // both public
      {"64:ff9b:1::7f00:1", AddressClass::kLoopback},                     // local-use NAT64
      {"2001:db8::5efe:7f00:1", AddressClass::kLoopback},                 // ISATAP interface id
      {"2001:db8::200:5efe:a00:1", AddressClass::kPrivate},               // ISATAP, universal bit
      {"fe80::5efe:a9fe:a9fe", AddressClass::kMetadata},  // worst of link-local and inner
  };
  for (const Case& c : cases) {
    std::optional<AddressClass> got = ClassifyIp(c.ip);
    ASSERT_TRUE(got.has_value()) << c.ip;
    EXPECT_EQ(*got, c.cls) << c.ip;
  }
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
