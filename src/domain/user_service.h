// UserService: the organisation's users and a user's API tokens as stored (creation,
// passwords and secrets are auth::AuthService's).
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "storage/store.h"

namespace nexus::domain {

class UserService {
 public:
  explicit UserService(Store& store) : store_(store) {}

  Result<std::vector<User>> List();
  // NotFound ("user N not found") for an unknown user.
  Result<User> Get(int64_t user_id);
  Result<std::vector<ApiToken>> ListTokens(int64_t user_id);
  // NotFound ("token not found") when the token does not exist or is another user's.
  Status DeleteToken(int64_t user_id, int64_t token_id);

 private:
  Store& store_;
};

}  // namespace nexus::domain
