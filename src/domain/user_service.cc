// UserService implementation.
#include "domain/user_service.h"

#include <string>

namespace nexus::domain {

Result<std::vector<User>> UserService::List() { return store_.ListUsers(); }

Result<User> UserService::Get(int64_t user_id) {
  auto u = store_.GetUser(user_id);
  if (!u.ok() && u.status().code() == StatusCode::kNotFound)
    return NotFound("user " + std::to_string(user_id) + " not found");
  return u;
}

Result<std::vector<ApiToken>> UserService::ListTokens(int64_t user_id) {
  return store_.ListTokens(user_id);
}

Status UserService::DeleteToken(int64_t user_id, int64_t token_id) {
  Status st = store_.DeleteToken(user_id, token_id);
  if (st.code() == StatusCode::kNotFound) return NotFound("token not found");
  return st;
}

}  // namespace nexus::domain
