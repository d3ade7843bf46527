// Users-and-auth routes. Each handler: authenticate (done by the server) → check permission →
// validate the whole body → call the service.
#include "api/auth_routes.h"

#include <memory>
#include <string>

#include "api/views.h"

namespace nexus::api {
namespace {

class AuthApi {
 public:
  AuthApi(auth::AuthService& auth, domain::UserService& users, domain::ProjectService& projects,
          domain::HealthService& health, const Clock& clock, bool secure_cookies)
      : auth_(auth),
        users_(users),
        projects_(projects),
        health_(health),
        clock_(clock),
        secure_cookies_(secure_cookies) {}

  void Register(ApiServer& s) {
    auto bind = [this](Result<Reply> (AuthApi::*fn)(Ctx&)) {
      return [this, fn](Ctx& c) { return (this->*fn)(c); };
    };
    s.Route("GET", "/healthz", bind(&AuthApi::Healthz), false);
    s.Route("GET", "/readyz", bind(&AuthApi::Readyz), false);
    s.Route("POST", "/api/v1/auth/login", bind(&AuthApi::Login), false);
    s.Route("POST", "/api/v1/auth/logout", bind(&AuthApi::Logout), false);
    s.Route("GET", "/api/v1/me", bind(&AuthApi::Me));
    s.Route("GET", "/api/v1/tokens", bind(&AuthApi::ListTokens));
    s.Route("POST", "/api/v1/tokens", bind(&AuthApi::CreateToken));
    s.Route("DELETE", "/api/v1/tokens/{id}", bind(&AuthApi::DeleteToken));
    s.Route("GET", "/api/v1/users", bind(&AuthApi::ListUsers));
    s.Route("POST", "/api/v1/users", bind(&AuthApi::CreateUser));
  }

 private:
  // Liveness: answers without touching the database, so a database outage takes instances out
  // of a load balancer (/readyz) instead of getting every one of them restarted by an
  // orchestrator's liveness probe; and a probe every few ms costs no database round trip.
  Result<Reply> Healthz(Ctx&) {
    return Reply{
        200, {{"status", "ok"}, {"schema_version", domain::HealthService::LatestSchemaVersion()}}};
  }

  // Readiness (issue 15): 200 when the database answers and is at the schema version this
  // binary expects, 503 otherwise (a load balancer then sends traffic elsewhere).
  Result<Reply> Readyz(Ctx&) {
    const int latest = domain::HealthService::LatestSchemaVersion();
    auto version = health_.SchemaVersion();
    if (!version.ok()) {
      return Reply{503, {{"status", "database_unavailable"}, {"latest_schema_version", latest}}};
    }
    const bool current = *version == latest;
    return Reply{current ? 200 : 503,
                 {{"status", current             ? "ready"
                             : *version < latest ? "migrations_pending"
                                                 : "schema_newer_than_binary"},
                  {"schema_version", *version},
                  {"latest_schema_version", latest}}};
  }

  Result<Reply> Login(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"email", "password"}));
    NEXUS_ASSIGN_OR_RETURN(std::string email, ReqString(b, "email", "", {1, 254}));
    NEXUS_ASSIGN_OR_RETURN(std::string password, ReqString(b, "password", "", {1, 1024}));
    int64_t retry_after_s = 0;
    auto login = auth_.Login(email, password, c.ClientAddress(), &retry_after_s);
    if (retry_after_s > 0) c.res.SetHeader("Retry-After", std::to_string(retry_after_s));
    NEXUS_RETURN_IF_ERROR(login.status());
    const auto& [user, session] = login.value();
    std::string cookie = std::string(kSessionCookie) + "=" + session.cookie_value +
                         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                         std::to_string((session.expires_at - clock_.NowMs()) / 1000);
    if (secure_cookies_) cookie += "; Secure";
    c.res.SetHeader("Set-Cookie", cookie);
    return Reply{200, {{"user", UserJson(user)}, {"csrf_token", session.csrf_token}}};
  }

  Result<Reply> Logout(Ctx& c) {
    std::string header = c.req.Header("Cookie");
    auto pos = header.find(std::string(kSessionCookie) + "=");
    if (pos != std::string::npos) {
      auto start = pos + std::string(kSessionCookie).size() + 1;
      auto end = header.find(';', start);
      NEXUS_RETURN_IF_ERROR(auth_.Logout(header.substr(start, end - start)));
    }
    c.res.SetHeader("Set-Cookie", std::string(kSessionCookie) +
                                      "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    return Reply{204, nullptr};
  }

  Result<Reply> Me(Ctx& c) {
    Json out = UserJson(c.Who().user);
    if (c.Who().via_session) out["csrf_token"] = c.Who().csrf_token;
    NEXUS_ASSIGN_OR_RETURN(auto roles, projects_.RolesOf(c.Who().user.id));
    Json rj = Json::array();
    for (const Membership& m : roles)
      rj.push_back({{"project_id", m.project_id}, {"role", ProjectRoleName(m.role)}});
    out["project_roles"] = rj;
    return Reply{200, out};
  }

  Result<Reply> ListTokens(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(auto tokens, users_.ListTokens(c.Who().user.id));
    Json items = Json::array();
    for (const auto& t : tokens) items.push_back(TokenJson(t));
    return Reply{200, {{"items", items}, {"next_cursor", nullptr}}};
  }

  Result<Reply> CreateToken(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"name"}));
    NEXUS_ASSIGN_OR_RETURN(std::string name, ReqString(b, "name", "", {1, 100, true}));
    NEXUS_ASSIGN_OR_RETURN(auto nt, auth_.CreateToken(c.Who().user.id, name));
    Json out = TokenJson(nt.token);
    out["token"] = nt.secret;
    return Reply{201, out};
  }

  Result<Reply> DeleteToken(Ctx& c) {
    NEXUS_RETURN_IF_ERROR(users_.DeleteToken(c.Who().user.id, c.Id(0)));
    return Reply{204, nullptr};
  }

  Result<Reply> ListUsers(Ctx& c) {
    NEXUS_RETURN_IF_ERROR(auth_.RequireOrgAdmin(c.Who()));
    NEXUS_ASSIGN_OR_RETURN(auto users, users_.List());
    Json items = Json::array();
    for (const auto& u : users) items.push_back(UserJson(u));
    return Reply{200, {{"items", items}, {"next_cursor", nullptr}}};
  }

  Result<Reply> CreateUser(Ctx& c) {
    NEXUS_RETURN_IF_ERROR(auth_.RequireOrgAdmin(c.Who()));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"email", "name", "password", "org_admin"}));
    NEXUS_ASSIGN_OR_RETURN(std::string email, ReqString(b, "email", "", {1, 254}));
    NEXUS_ASSIGN_OR_RETURN(std::string name, ReqString(b, "name", "", {1, 200, true}));
    NEXUS_ASSIGN_OR_RETURN(std::string password, ReqString(b, "password", "", {1, 1024}));
    NEXUS_ASSIGN_OR_RETURN(auto org_admin, OptBool(b, "org_admin", ""));
    NEXUS_ASSIGN_OR_RETURN(User u,
                           auth_.CreateUser(email, name, password, org_admin.value_or(false)));
    return Reply{201, UserJson(u)};
  }

  auth::AuthService& auth_;
  domain::UserService& users_;
  domain::ProjectService& projects_;
  domain::HealthService& health_;
  const Clock& clock_;
  const bool secure_cookies_;
};

}  // namespace

void RegisterAuthRoutes(ApiServer& server, auth::AuthService& auth, domain::UserService& users,
                        domain::ProjectService& projects, domain::HealthService& health,
                        const Clock& clock) {
  // The route closures point into the AuthApi; the server keeps it alive.
  auto api = std::make_shared<AuthApi>(auth, users, projects, health, clock,
                                       server.options().secure_cookies);
  api->Register(server);
  server.Own(api);
}

}  // namespace nexus::api
