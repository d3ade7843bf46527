// libFuzzer target: TestRail URL normalisation (src/testrail/base_url.h) and the SSRF address
// policy (src/testrail/address_policy.h) — the two places where a URL or address typed by a
// project admin meets our code (issue 13). Input: a URL as typed, or an IP literal.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "testrail/address_policy.h"
#include "testrail/base_url.h"

namespace tr = nexus::testrail;

namespace {

void CheckClass(std::optional<tr::AddressClass> c) {
  if (!c) return;
  (void)tr::IsAddressAllowed(*c, false);
  (void)tr::IsAddressAllowed(*c, true);
  (void)tr::DescribeAddressClass(*c);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);

  // Normalisation is idempotent: a normalised URL normalises to itself.
  auto url = tr::NormalizeBaseUrl(input);
  if (url.ok()) {
    (void)tr::HostOfBaseUrl(*url);
    auto again = tr::NormalizeBaseUrl(*url);
    if (!again.ok() || *again != *url) __builtin_trap();
    CheckClass(tr::ClassifyIp(tr::HostOfBaseUrl(*url)));
  }
  (void)tr::HostOfBaseUrl(input);

  // The input as an IP literal, and its raw bytes as IPv4/IPv6 socket addresses.
  CheckClass(tr::ClassifyIp(input));
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  std::memcpy(&v6.sin6_addr, data, size < 16 ? size : 16);
  CheckClass(tr::ClassifyAddress(reinterpret_cast<const sockaddr*>(&v6)));
  std::string text6 = tr::SockaddrToString(reinterpret_cast<const sockaddr*>(&v6));
  if (tr::ClassifyIp(text6) != tr::ClassifyAddress(reinterpret_cast<const sockaddr*>(&v6)))
    __builtin_trap();
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  std::memcpy(&v4.sin_addr, data, size < 4 ? size : 4);
  CheckClass(tr::ClassifyAddress(reinterpret_cast<const sockaddr*>(&v4)));
  (void)tr::SockaddrToString(reinterpret_cast<const sockaddr*>(&v4));
  return 0;
}
