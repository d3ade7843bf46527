// IdentityStore: the users, API tokens and web sessions role of the Store contract (store.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace nexus {

class IdentityStore {
 public:
  virtual ~IdentityStore() = default;

  // ---- Users. Emails are unique case-insensitively (stored lower-case).
  virtual Result<User> CreateUser(const User& user) = 0;
  virtual Result<User> GetUser(int64_t id) = 0;
  virtual Result<User> GetUserByEmail(const std::string& email) = 0;
  virtual Result<std::vector<User>> ListUsers() = 0;
  virtual Result<int64_t> CountUsers() = 0;

  // ---- API tokens (hashed).
  virtual Result<ApiToken> CreateToken(const ApiToken& token) = 0;
  virtual Result<ApiToken> GetTokenByHash(const std::string& token_hash) = 0;
  // The user a token belongs to, in one statement (every API request authenticates with it);
  // NotFound when no token has this hash.
  virtual Result<User> GetUserByTokenHash(const std::string& token_hash) = 0;
  virtual Result<std::vector<ApiToken>> ListTokens(int64_t user_id) = 0;
  // NotFound when the token does not exist or belongs to another user.
  virtual Status DeleteToken(int64_t user_id, int64_t token_id) = 0;

  // ---- Web sessions (hashed ids).
  virtual Status CreateSession(const Session& session) = 0;
  virtual Result<Session> GetSession(const std::string& id_hash) = 0;
  virtual Status DeleteSession(const std::string& id_hash) = 0;
  virtual Status DeleteExpiredSessions(TimeMs now) = 0;
};

}  // namespace nexus
