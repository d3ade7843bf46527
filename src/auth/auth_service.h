// Authentication (passwords, sessions, API tokens) and authorisation (roles → permissions,
// project visibility). HTTP-agnostic: the API layer hands in header values.
#pragma once

#include <optional>
#include <string>

#include "auth/crypto.h"
#include "core/clock.h"
#include "core/status.h"
#include "core/types.h"
#include "storage/store.h"

namespace nexus::auth {

struct AuthOptions {
  KdfStrength kdf = KdfStrength::kInteractive;
  TimeMs session_ttl_ms = 12LL * 3600 * 1000;
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
  // Validates (email shape, name 1–200 chars, password 8–1024 chars) and creates the user.
  // InvalidArgument naming the field; Conflict (reason "duplicate") for a taken email.
  Result<User> CreateUser(const std::string& email, const std::string& name,
                          const std::string& password, bool org_admin);

  // ---- Login / sessions.
  // Unauthenticated "Invalid email or password." for any mismatch (no user enumeration).
  Result<std::pair<User, NewSession>> Login(const std::string& email, const std::string& password);
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
  Store& store_;
  const Clock& clock_;
  AuthOptions options_;
};

// Basic syntactic e-mail check used for users and TestRail users.
bool LooksLikeEmail(const std::string& email);

}  // namespace nexus::auth
