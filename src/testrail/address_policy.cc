// SSRF address classification; see address_policy.h.
#include "testrail/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>

namespace nexus::testrail {
namespace {

AddressClass ClassifyV4(uint32_t a) {  // host byte order
  auto in = [a](uint32_t net, int bits) {
    uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    return (a & mask) == (net & mask);
  };
  if (a == 0xA9FEA9FE) return AddressClass::kMetadata;  // 169.254.169.254
  if (in(0x00000000, 8)) return AddressClass::kUnspecified;
  if (in(0xA9FE0000, 16)) return AddressClass::kLinkLocal;
  if (in(0xE0000000, 4) || a == 0xFFFFFFFF) return AddressClass::kMulticast;
  if (in(0x7F000000, 8)) return AddressClass::kLoopback;
  if (in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10)) {
    return AddressClass::kPrivate;
  }
  return AddressClass::kPublic;
}

AddressClass ClassifyV6(const in6_addr& addr) {
  const uint8_t* b = addr.s6_addr;
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const uint8_t kNat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kMapped, 12) == 0 || std::memcmp(b, kNat64, 12) == 0) {
    uint32_t v4 = (uint32_t{b[12]} << 24) | (uint32_t{b[13]} << 16) | (uint32_t{b[14]} << 8) |
                  uint32_t{b[15]};
    return ClassifyV4(v4);
  }
  static const uint8_t kMetadataV6[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0,    0,
                                          0,    0,    0,    0,    0, 0, 0x02, 0x54};
  if (std::memcmp(b, kMetadataV6, 16) == 0) return AddressClass::kMetadata;
  bool zero_prefix = true;
  for (int i = 0; i < 15; ++i) zero_prefix = zero_prefix && b[i] == 0;
  if (zero_prefix && b[15] == 0) return AddressClass::kUnspecified;
  if (zero_prefix && b[15] == 1) return AddressClass::kLoopback;
  if (b[0] == 0xff) return AddressClass::kMulticast;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::kLinkLocal;
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::kPrivate;
  return AddressClass::kPublic;
}

}  // namespace

std::optional<AddressClass> ClassifyAddress(const sockaddr* addr) {
  if (addr == nullptr) return std::nullopt;
  if (addr->sa_family == AF_INET) {
    sockaddr_in v4;
    std::memcpy(&v4, addr, sizeof(v4));
    return ClassifyV4(ntohl(v4.sin_addr.s_addr));
  }
  if (addr->sa_family == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, addr, sizeof(v6));
    return ClassifyV6(v6.sin6_addr);
  }
  return std::nullopt;
}

std::optional<AddressClass> ClassifyIp(std::string_view ip) {
  std::string s(ip);
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return ClassifyV4(ntohl(v4.s_addr));
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) return ClassifyV6(v6);
  return std::nullopt;
}

bool IsAddressAllowed(AddressClass c, bool allow_private) {
  switch (c) {
    case AddressClass::kPublic:
      return true;
    case AddressClass::kLoopback:
    case AddressClass::kPrivate:
      return allow_private;
    case AddressClass::kLinkLocal:
    case AddressClass::kMetadata:
    case AddressClass::kUnspecified:
    case AddressClass::kMulticast:
      return false;
  }
  return false;
}

std::string_view DescribeAddressClass(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic:
      return "a public address";
    case AddressClass::kLoopback:
      return "a loopback address";
    case AddressClass::kPrivate:
      return "a private network address";
    case AddressClass::kLinkLocal:
      return "a link-local address";
    case AddressClass::kMetadata:
      return "the cloud metadata address";
    case AddressClass::kUnspecified:
      return "the unspecified address";
    case AddressClass::kMulticast:
      return "a multicast or broadcast address";
  }
  return "an unknown address";
}

std::string SockaddrToString(const sockaddr* addr) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (addr == nullptr) return "";
  if (addr->sa_family == AF_INET) {
    sockaddr_in v4;
    std::memcpy(&v4, addr, sizeof(v4));
    inet_ntop(AF_INET, &v4.sin_addr, buf, sizeof(buf));
  } else if (addr->sa_family == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, addr, sizeof(v6));
    inet_ntop(AF_INET6, &v6.sin6_addr, buf, sizeof(buf));
  }
  return buf;
}

}  // namespace nexus::testrail
