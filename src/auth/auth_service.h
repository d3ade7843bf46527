// Authentication (passwords, sessions, API tokens) and authorisation (roles → permissions,
// project visibility). HTTP-agnostic: the API layer hands in header values.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

#include "auth/crypto.h"
#include "auth/login_throttle.h"
#include "core/clock.h"
#include "core/status.h"
#include "core/types.h"
#include "storage/store.h"

namespace nexus::auth {

struct AuthOptions {
  KdfStrength kdf = KdfStrength::kInteractive;
  TimeMs session_ttl_ms = 12LL * 3600 * 1000;
  // Password hashes computed at once; more wait their turn. Each interactive argon2id hash
  // takes 64 MiB, so this bounds the memory a burst of logins costs (2 → 128 MiB).
  int max_concurrent_hashes = 2;
  LoginThrottleOptions throttle;
};

// Who is calling, and how.
struct Principal {
  User user;
  bool via_session = false;  // cookie session (then state-changing calls need CSRF)
  std::string csrf_token;    // the session's CSRF token, when via_session
};

struct NewSession {
  std::string cookie_value;  // secret; goes only into the Set-Cookie header
  std::string csrf_token;
  TimeMs expires_at = 0;
};

struct NewToken {
  ApiToken token;
  std::string secret;  // shown once to the user, never stored
};

class AuthService {
 public:
  AuthService(Store& store, const Clock& clock, AuthOptions options = {});

  // ---- Users.
  // Validates (email shape, name 1–200 chars, the password policy of password_policy.h) and
  // creates the user.
  // InvalidArgument naming the field; Conflict (reason "duplicate") for a taken email.
  Result<User> CreateUser(const std::string& email, const std::string& name,
                          const std::string& password, bool org_admin);

  // ---- Login / sessions.
  // Unauthenticated "Invalid email or password." for any mismatch (no user enumeration).
  // TooManyRequests (reason "too_many_attempts") without checking the password while the
  // throttle makes (email, client_address) wait; then *retry_after_s (when given) is set to
  // the whole seconds until a login may be tried (at least 1).
  Result<std::pair<User, NewSession>> Login(const std::string& email, const std::string& password,
                                            const std::string& client_address = "",
                                            int64_t* retry_after_s = nullptr);
  Status Logout(const std::string& cookie_value);

  // ---- Tokens.
  Result<NewToken> CreateToken(int64_t user_id, const std::string& name);

  // Resolves the caller from an Authorization header value and/or a session cookie value
  // (either may be empty). Unauthenticated when neither yields a valid, unexpired identity.
  Result<Principal> Authenticate(const std::string& authorization_header,
                                 const std::string& session_cookie);

  // ---- Authorisation.
  // The project, when the caller may see it (member or org admin) and holds `p`.
  // NotFound when the project does not exist or is invisible to the caller;
  // PermissionDenied (message names the permission) when visible but not allowed.
  Result<Project> RequireProject(const Principal& who, int64_t project_id, Permission p);
  // Project visibility only.
  Result<Project> RequireVisibleProject(const Principal& who, int64_t project_id);
  // True when the caller holds `p` on the project (org admins hold everything).
  bool Has(const Principal& who, int64_t project_id, Permission p);
  Status RequireOrgAdmin(const Principal& who);

 private:
  // Runs a password hash (argon2id) once a slot of max_concurrent_hashes is free.
  template <typename Fn>
  auto WithHashSlot(Fn fn) -> decltype(fn());

  Store& store_;
  const Clock& clock_;
  AuthOptions options_;
  LoginThrottle throttle_;
  std::mutex hash_mu_;  // guards hashes_running_
  std::condition_variable hash_cv_;
  int hashes_running_ = 0;
};

// Basic syntactic e-mail check used for users and TestRail users.
bool LooksLikeEmail(const std::string& email);

}  // namespace nexus::auth
