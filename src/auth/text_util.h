// Small text helpers shared by the auth rules (emails compared case-insensitively, limits
// counted in characters).
#pragma once

#include <algorithm>
#include <cctype>
#include <string>

namespace nexus::auth {

// ASCII lower-case copy (emails, common-password lookups).
inline std::string LowerAscii(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Length in characters (UTF-8 code points), matching the API's "N characters" limits.
inline size_t CharCount(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace nexus::auth
