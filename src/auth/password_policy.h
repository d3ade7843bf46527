// The password rule (R-Q-SEC): at least 12 characters, at most 1,024, and not one of the
// ~11,000 common passwords in common_passwords.txt (compared case-insensitively; the list and
// how it is made: scripts/gen-common-passwords.sh, docs/security.md).
#pragma once

#include <string>

#include "core/status.h"

namespace nexus::auth {

inline constexpr size_t kMinPasswordChars = 12;
inline constexpr size_t kMaxPasswordChars = 1024;

// Ok, or InvalidArgument (field "password", reason "weak_password" or "invalid_value") whose
// message says which rule the password breaks. Never echoes the password. Thread-safe.
Status CheckPasswordPolicy(const std::string& password);

// True when `password` (any case) is on the common-password list.
bool IsCommonPassword(const std::string& password);

}  // namespace nexus::auth
