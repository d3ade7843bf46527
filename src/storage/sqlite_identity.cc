// SqliteStore: the identity role (identity_store.h): users, API tokens, web sessions.
#include "storage/sqlite_helpers.h"

namespace nexus {
namespace {

using sqlite::Connection;
using sqlite::Exists;
using sqlite::Statement;

std::string LowerAscii(std::string s) {
  for (char& ch : s)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return s;
}

// ---- Users, tokens, sessions.

constexpr char kUserCols[] =
    "SELECT id, email, name, org_admin, password_hash, created_at FROM users";

User ReadUser(const Statement& st) {
  return User{st.Int64(0), st.Text(1), st.Text(2), st.Bool(3), st.Text(4), st.Int64(5)};
}

Result<User> LoadUser(Connection& c, int64_t id) {
  NEXUS_ASSIGN_OR_RETURN(Statement st,
                         c.Prepare("get user", std::string(kUserCols) + " WHERE id = ?1"));
  st.Bind(1, id);
  NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("user not found");
  return ReadUser(st);
}

constexpr char kTokenCols[] =
    "SELECT id, user_id, name, token_hash, created_at, last_used_at FROM api_tokens";

ApiToken ReadToken(const Statement& st) {
  return ApiToken{st.Int64(0), st.Int64(1), st.Text(2), st.Text(3), st.Int64(4), st.OptInt64(5)};
}

}  // namespace

// ---- Users.

Result<User> SqliteStore::CreateUser(const User& user) {
  return Write("create user", [&](Connection& c) -> Result<User> {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("create user",
                  "INSERT INTO users (email, name, org_admin, password_hash, created_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id"));
    st.Bind(1, LowerAscii(user.email))
        .Bind(2, user.name)
        .Bind(3, user.org_admin)
        .Bind(4, user.password_hash)
        .Bind(5, user.created_at);
    Result<int64_t> id = sqlite::InsertReturningId(st);
    if (id.status().code() == StatusCode::kConflict)
      return Conflict("a user with this email already exists", "duplicate");
    NEXUS_RETURN_IF_ERROR(id.status());
    return LoadUser(c, *id);
  });
}

Result<User> SqliteStore::GetUser(int64_t id) {
  return Cached(&ReadCache::users, id,
                [&] { return Read("get user", [&](Connection& c) { return LoadUser(c, id); }); });
}

Result<User> SqliteStore::GetUserByEmail(const std::string& email) {
  return Read("get user", [&](Connection& c) -> Result<User> {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare("get user", std::string(kUserCols) + " WHERE email = ?1"));
    st.Bind(1, LowerAscii(email));
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("user not found");
    return ReadUser(st);
  });
}

Result<std::vector<User>> SqliteStore::ListUsers() {
  return Read("list users", [&](Connection& c) -> Result<std::vector<User>> {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare("list users", std::string(kUserCols) + " ORDER BY id"));
    std::vector<User> out;
    for (;;) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(ReadUser(st));
    }
    return out;
  });
}

Result<int64_t> SqliteStore::CountUsers() {
  return Read("count users", [&](Connection& c) -> Result<int64_t> {
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare("count users", "SELECT COUNT(*) FROM users"));
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    return row ? st.Int64(0) : int64_t{0};
  });
}

// ---- API tokens.

Result<ApiToken> SqliteStore::CreateToken(const ApiToken& token) {
  constexpr std::string_view kOp = "create token";
  return Write(kOp, [&](Connection& c) -> Result<ApiToken> {
    NEXUS_ASSIGN_OR_RETURN(bool user_exists,
                           Exists(c, kOp, "SELECT 1 FROM users WHERE id = ?1", token.user_id));
    if (!user_exists) return NotFound("user not found", "user_id");
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "INSERT INTO api_tokens (user_id, name, token_hash, created_at, last_used_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id"));
    st.Bind(1, token.user_id)
        .Bind(2, token.name)
        .Bind(3, token.token_hash)
        .Bind(4, token.created_at)
        .Bind(5, token.last_used_at);
    Result<int64_t> id = sqlite::InsertReturningId(st);
    if (id.status().code() == StatusCode::kConflict)
      return Conflict("token already exists", "duplicate");
    NEXUS_RETURN_IF_ERROR(id.status());
    ApiToken out = token;
    out.id = *id;
    return out;
  });
}

Result<ApiToken> SqliteStore::GetTokenByHash(const std::string& token_hash) {
  return Read("get token", [&](Connection& c) -> Result<ApiToken> {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st, c.Prepare("get token", std::string(kTokenCols) + " WHERE token_hash = ?1"));
    st.Bind(1, token_hash);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("token not found");
    return ReadToken(st);
  });
}

Result<User> SqliteStore::GetUserByTokenHash(const std::string& token_hash) {
  return Cached(&ReadCache::token_users, token_hash, [&] { return ReadTokenUser(token_hash); });
}

Result<User> SqliteStore::ReadTokenUser(const std::string& token_hash) {
  return Read("get token user", [&](Connection& c) -> Result<User> {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("get token user",
                  "SELECT u.id, u.email, u.name, u.org_admin, u.password_hash, u.created_at "
                  "FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?1"));
    st.Bind(1, token_hash);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("token not found");
    return ReadUser(st);
  });
}

Result<std::vector<ApiToken>> SqliteStore::ListTokens(int64_t user_id) {
  return Read("list tokens", [&](Connection& c) -> Result<std::vector<ApiToken>> {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("list tokens", std::string(kTokenCols) + " WHERE user_id = ?1 ORDER BY id"));
    st.Bind(1, user_id);
    std::vector<ApiToken> out;
    for (;;) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(ReadToken(st));
    }
    return out;
  });
}

Status SqliteStore::DeleteToken(int64_t user_id, int64_t token_id) {
  return Write("delete token", [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("delete token", "DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2"));
    st.Bind(1, token_id).Bind(2, user_id);
    NEXUS_RETURN_IF_ERROR(st.Run());
    if (st.Changes() == 0) return NotFound("token not found");
    return Status::Ok();
  });
}

// ---- Sessions.

Status SqliteStore::CreateSession(const Session& session) {
  constexpr std::string_view kOp = "create session";
  return Write(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(bool user_exists,
                           Exists(c, kOp, "SELECT 1 FROM users WHERE id = ?1", session.user_id));
    if (!user_exists) return NotFound("user not found", "user_id");
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5)"));
    st.Bind(1, session.id_hash)
        .Bind(2, session.user_id)
        .Bind(3, session.csrf_token)
        .Bind(4, session.created_at)
        .Bind(5, session.expires_at);
    Status s = st.Run();
    if (s.code() == StatusCode::kConflict) return Conflict("session already exists", "duplicate");
    return s;
  });
}

Result<Session> SqliteStore::GetSession(const std::string& id_hash) {
  return Cached(&ReadCache::sessions, id_hash, [&] { return ReadSession(id_hash); });
}

Result<Session> SqliteStore::ReadSession(const std::string& id_hash) {
  return Read("get session", [&](Connection& c) -> Result<Session> {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare("get session",
                                     "SELECT id_hash, user_id, csrf_token, created_at, "
                                     "expires_at FROM sessions WHERE id_hash = ?1"));
    st.Bind(1, id_hash);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("session not found");
    return Session{st.Text(0), st.Int64(1), st.Text(2), st.Int64(3), st.Int64(4)};
  });
}

Status SqliteStore::DeleteSession(const std::string& id_hash) {
  return Write("delete session", [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare("delete session", "DELETE FROM sessions WHERE id_hash = ?1"));
    st.Bind(1, id_hash);
    NEXUS_RETURN_IF_ERROR(st.Run());
    if (st.Changes() == 0) return NotFound("session not found");
    return Status::Ok();
  });
}

Status SqliteStore::DeleteExpiredSessions(TimeMs now) {
  return Write("delete expired sessions", [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare("delete expired sessions",
                                                   "DELETE FROM sessions WHERE expires_at <= ?1"));
    st.Bind(1, now);
    return st.Run();
  });
}

}  // namespace nexus
