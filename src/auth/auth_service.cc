// Authentication and authorisation rules (product.md section 2, R-Q-SEC).
#include "auth/auth_service.h"

#include "auth/password_policy.h"
#include "auth/text_util.h"

#include <algorithm>
#include <cctype>

namespace nexus::auth {
namespace {

constexpr std::string_view kTokenPrefix = "nxs_";

}  // namespace

bool LooksLikeEmail(const std::string& email) {
  if (email.size() < 3 || email.size() > 254) return false;
  auto at = email.find('@');
  if (at == std::string::npos || at == 0 || at != email.rfind('@') || at + 1 >= email.size())
    return false;
  for (unsigned char c : email)
    if (c <= ' ' || c == 0x7f) return false;
  return email.find('.', at) != std::string::npos;
}

AuthService::AuthService(Store& store, const Clock& clock, AuthOptions options)
    : store_(store), clock_(clock), options_(options), throttle_(clock, options.throttle) {}

template <typename Fn>
auto AuthService::WithHashSlot(Fn fn) -> decltype(fn()) {
  {
    std::unique_lock<std::mutex> lock(hash_mu_);
    hash_cv_.wait(lock,
                  [&] { return hashes_running_ < std::max(1, options_.max_concurrent_hashes); });
    ++hashes_running_;
  }
  struct Release {
    AuthService* self;
    ~Release() {
      {
        std::lock_guard<std::mutex> lock(self->hash_mu_);
        --self->hashes_running_;
      }
      self->hash_cv_.notify_one();
    }
  } release{this};
  return fn();
}

Result<User> AuthService::CreateUser(const std::string& email, const std::string& name,
                                     const std::string& password, bool org_admin) {
  if (!LooksLikeEmail(email))
    return InvalidArgument("email must be an e-mail address such as ana@example.com", "email",
                           "invalid_value");
  if (name.empty() || CharCount(name) > 200)
    return InvalidArgument("name must be 1 to 200 characters", "name", "invalid_value");
  NEXUS_RETURN_IF_ERROR(CheckPasswordPolicy(password));
  User u;
  u.email = LowerAscii(email);
  u.name = name;
  u.org_admin = org_admin;
  u.created_at = clock_.NowMs();
  NEXUS_ASSIGN_OR_RETURN(u.password_hash,
                         WithHashSlot([&] { return HashPassword(password, options_.kdf); }));
  auto created = store_.CreateUser(u);
  if (!created.ok() && created.status().code() == StatusCode::kConflict)
    return Status(StatusCode::kConflict, "a user with this email already exists", "email",
                  "duplicate");
  return created;
}

Result<std::pair<User, NewSession>> AuthService::Login(const std::string& email,
                                                       const std::string& password,
                                                       const std::string& client_address,
                                                       int64_t* retry_after_s) {
  static const char* kBad = "Invalid email or password.";
  if (TimeMs wait = throttle_.WaitMs(email, client_address); wait > 0) {
    int64_t wait_s = (wait + 999) / 1000;
    if (retry_after_s) *retry_after_s = wait_s;
    return Status(StatusCode::kTooManyRequests,
                  "Too many failed logins; try again in " + std::to_string(wait_s) + " s.", "",
                  "too_many_attempts");
  }
  auto user = store_.GetUserByEmail(LowerAscii(email));
  if (!user.ok()) {
    if (user.status().code() != StatusCode::kNotFound) return user.status();
    // Spend comparable time so response timing does not reveal which emails exist.
    static const std::string dummy = HashPassword("timing-equaliser", options_.kdf).value();
    WithHashSlot([&] { return VerifyPassword(password, dummy); });
    throttle_.RecordFailure(email, client_address);
    return Unauthenticated(kBad);
  }
  if (!WithHashSlot([&] { return VerifyPassword(password, user->password_hash); })) {
    throttle_.RecordFailure(email, client_address);
    return Unauthenticated(kBad);
  }
  throttle_.RecordSuccess(email, client_address);
  NewSession ns;
  ns.cookie_value = RandomToken(32);
  ns.csrf_token = RandomToken(24);
  Session s;
  s.id_hash = Sha256Hex(ns.cookie_value);
  s.user_id = user->id;
  s.csrf_token = ns.csrf_token;
  s.created_at = clock_.NowMs();
  s.expires_at = s.created_at + options_.session_ttl_ms;
  ns.expires_at = s.expires_at;
  NEXUS_RETURN_IF_ERROR(store_.CreateSession(s));
  (void)store_.DeleteExpiredSessions(s.created_at);
  return std::make_pair(std::move(user).value(), ns);
}

Status AuthService::Logout(const std::string& cookie_value) {
  if (cookie_value.empty()) return Status::Ok();
  Status st = store_.DeleteSession(Sha256Hex(cookie_value));
  return st.code() == StatusCode::kNotFound ? Status::Ok() : st;
}

Result<NewToken> AuthService::CreateToken(int64_t user_id, const std::string& name) {
  if (name.empty() || CharCount(name) > 100)
    return InvalidArgument("name must be 1 to 100 characters", "name", "invalid_value");
  NewToken nt;
  nt.secret = std::string(kTokenPrefix) + RandomToken(32);
  nt.token.user_id = user_id;
  nt.token.name = name;
  nt.token.token_hash = Sha256Hex(nt.secret);
  nt.token.created_at = clock_.NowMs();
  NEXUS_ASSIGN_OR_RETURN(nt.token, store_.CreateToken(nt.token));
  return nt;
}

Result<Principal> AuthService::Authenticate(const std::string& authorization_header,
                                            const std::string& session_cookie) {
  if (!authorization_header.empty()) {
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization_header.size() <= kBearer.size() ||
        authorization_header.compare(0, kBearer.size(), kBearer) != 0)
      return Unauthenticated("Authorization header must be 'Bearer <api token>'");
    std::string secret = authorization_header.substr(kBearer.size());
    auto user = store_.GetUserByTokenHash(Sha256Hex(secret));
    if (!user.ok()) {
      if (user.status().code() == StatusCode::kNotFound)
        return Unauthenticated("The API token is invalid or was revoked.");
      return user.status();
    }
    return Principal{std::move(user).value(), false, {}};
  }
  if (!session_cookie.empty()) {
    auto s = store_.GetSession(Sha256Hex(session_cookie));
    if (!s.ok() || s->expires_at <= clock_.NowMs())
      return Unauthenticated("Your session has expired; please log in again.");
    NEXUS_ASSIGN_OR_RETURN(User u, store_.GetUser(s->user_id));
    return Principal{std::move(u), true, s->csrf_token};
  }
  return Unauthenticated(
      "Authentication required: log in or send 'Authorization: Bearer <token>'.");
}

Result<Project> AuthService::RequireVisibleProject(const Principal& who, int64_t project_id) {
  auto project = store_.GetProject(project_id);
  if (!project.ok()) {
    if (project.status().code() == StatusCode::kNotFound)
      return NotFound("project " + std::to_string(project_id) + " not found");
    return project.status();
  }
  if (who.user.org_admin) return project;
  NEXUS_ASSIGN_OR_RETURN(auto role, store_.GetRole(project_id, who.user.id));
  if (!role) return NotFound("project " + std::to_string(project_id) + " not found");
  return project;
}

bool AuthService::Has(const Principal& who, int64_t project_id, Permission p) {
  if (who.user.org_admin) return true;
  auto role = store_.GetRole(project_id, who.user.id);
  return role.ok() && role.value() && RoleGrants(*role.value(), p);
}

Result<Project> AuthService::RequireProject(const Principal& who, int64_t project_id,
                                            Permission p) {
  NEXUS_ASSIGN_OR_RETURN(Project project, RequireVisibleProject(who, project_id));
  if (!Has(who, project_id, p))
    return PermissionDenied("this action needs the " + std::string(PermissionName(p)) +
                            " permission on the project");
  return project;
}

Status AuthService::RequireOrgAdmin(const Principal& who) {
  if (!who.user.org_admin) return PermissionDenied("this action needs the org:admin role");
  return Status::Ok();
}

}  // namespace nexus::auth
