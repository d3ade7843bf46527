// SSRF guard (R-Q-SEC): classifies the resolved IP address of every outbound TestRail
// connection and decides whether Nexus may connect to it. Link-local and cloud metadata
// addresses, the unspecified address and multicast/broadcast are never allowed; loopback and
// private ranges only when the deployment allows them (the simulator runs on loopback).
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>

namespace nexus::testrail {

enum class AddressClass {
  kPublic,       // anything not listed below
  kLoopback,     // 127.0.0.0/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7
  kLinkLocal,    // 169.254.0.0/16, fe80::/10
  kMetadata,     // 169.254.169.254, fd00:ec2::254 (cloud instance metadata)
  kUnspecified,  // 0.0.0.0/8, ::
  kMulticast,    // 224.0.0.0/4, 255.255.255.255, ff00::/8
};

// Classifies an address given as a sockaddr (AF_INET or AF_INET6). An IPv6 address that
// embeds an IPv4 address (IPv4-mapped, -translated and -compatible, NAT64, 6to4, Teredo,
// ISATAP) takes the worst class of itself and every embedded address, so "[::127.0.0.1]" is
// loopback. Returns nullopt for other families. Thread-safe.
std::optional<AddressClass> ClassifyAddress(const sockaddr* addr);
// Same for a textual IP ("10.0.0.1", "fe80::1"); nullopt when it is not an IP literal.
std::optional<AddressClass> ClassifyIp(std::string_view ip);

// True when a connection to an address of class `c` is allowed under the policy.
bool IsAddressAllowed(AddressClass c, bool allow_private);

// "a link-local address", "the cloud metadata address"… for user-facing messages.
std::string_view DescribeAddressClass(AddressClass c);

// Textual form of a sockaddr's IP ("" for unsupported families).
std::string SockaddrToString(const sockaddr* addr);

}  // namespace nexus::testrail
