// SSRF address classification; see address_policy.h.
#include "testrail/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <vector>

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

uint32_t V4At(const uint8_t* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

// How strongly a class is refused; the worst of an address's readings decides.
int Severity(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic:
      return 0;
    case AddressClass::kPrivate:
      return 1;
    case AddressClass::kLoopback:
      return 2;
    case AddressClass::kMulticast:
      return 3;
    case AddressClass::kUnspecified:
      return 4;
    case AddressClass::kLinkLocal:
      return 5;
    case AddressClass::kMetadata:
      return 6;
  }
  return 6;
}

AddressClass Worst(AddressClass a, AddressClass b) { return Severity(a) >= Severity(b) ? a : b; }

// IPv4 addresses an IPv6 address carries inside it, in every form a router or host stack may
// unwrap (so "[::127.0.0.1]" cannot smuggle loopback past the guard): IPv4-mapped
// ::ffff:a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64
// 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002:AABB:CCDD::/16, Teredo 2001:0::/32 (server, and
// the client address stored inverted) and ISATAP interface ids (…:0:5efe:a.b.c.d).
std::vector<uint32_t> EmbeddedV4(const uint8_t* b) {
  std::vector<uint32_t> out;
  auto zeros = [b](int from, int to) {
    for (int i = from; i < to; ++i)
      if (b[i] != 0) return false;
    return true;
  };
  if (zeros(0, 10) && b[10] == 0xff && b[11] == 0xff) out.push_back(V4At(b + 12));  // mapped
  if (zeros(0, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0)
    out.push_back(V4At(b + 12));                                      // translated
  if (zeros(0, 12) && V4At(b + 12) > 1) out.push_back(V4At(b + 12));  // compatible (not ::, ::1)
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
      (zeros(4, 12) || (b[4] == 0 && b[5] == 1)))
    out.push_back(V4At(b + 12));  // NAT64, well-known and local-use prefixes
  if (b[0] == 0x20 && b[1] == 0x02) out.push_back(V4At(b + 2));  // 6to4
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {  // Teredo
    out.push_back(V4At(b + 4));
    out.push_back(~V4At(b + 12));
  }
  if ((b[8] == 0x00 || b[8] == 0x02) && b[9] == 0x00 && b[10] == 0x5e && b[11] == 0xfe)
    out.push_back(V4At(b + 12));  // ISATAP
  return out;
}

AddressClass ClassifyV6(const in6_addr& addr) {
  const uint8_t* b = addr.s6_addr;
  static const uint8_t kMetadataV6[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0,    0,
                                          0,    0,    0,    0,    0, 0, 0x02, 0x54};
  if (std::memcmp(b, kMetadataV6, 16) == 0) return AddressClass::kMetadata;
  bool zero_prefix = true;
  for (int i = 0; i < 15; ++i) zero_prefix = zero_prefix && b[i] == 0;
  if (zero_prefix && b[15] == 0) return AddressClass::kUnspecified;
  if (zero_prefix && b[15] == 1) return AddressClass::kLoopback;
  AddressClass own = AddressClass::kPublic;
  if (b[0] == 0xff)
    own = AddressClass::kMulticast;
  else if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
    own = AddressClass::kLinkLocal;
  else if ((b[0] & 0xfe) == 0xfc)
    own = AddressClass::kPrivate;
  for (uint32_t v4 : EmbeddedV4(b)) own = Worst(own, ClassifyV4(v4));
  return own;
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
