// The password rule; see password_policy.h.
#include "auth/password_policy.h"

#include "auth/text_util.h"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <unordered_set>

namespace nexus::auth {

// The list, embedded at configure time (src/auth/CMakeLists.txt), lower-case.
extern const char* const kCommonPasswords[];
extern const size_t kCommonPasswordCount;

namespace {

const std::unordered_set<std::string_view>& CommonSet() {
  static const std::unordered_set<std::string_view> set = [] {
    std::unordered_set<std::string_view> s;
    s.reserve(kCommonPasswordCount);
    for (size_t i = 0; i < kCommonPasswordCount; ++i) s.insert(kCommonPasswords[i]);
    return s;
  }();
  return set;
}

}  // namespace

bool IsCommonPassword(const std::string& password) {
  return CommonSet().count(LowerAscii(password)) > 0;
}

Status CheckPasswordPolicy(const std::string& password) {
  size_t chars = CharCount(password);
  if (chars < kMinPasswordChars || password.size() > kMaxPasswordChars)
    return InvalidArgument("password must be 12 to 1024 characters (a few words make a good one)",
                           "password", "invalid_value");
  if (IsCommonPassword(password))
    return InvalidArgument(
        "password is one of the most common passwords and easy to guess; choose another",
        "password", "weak_password");
  return Status::Ok();
}

}  // namespace nexus::auth
