// JSON views of records shared by the route sets (api.md): users, projects, tests, runs,
// plans, executions, memberships, tokens, TestRail links. One place per wire shape.
#pragma once

#include <optional>

#include "api/json_util.h"
#include "core/types.h"
#include "domain/project_service.h"
#include "integration/link_service.h"

namespace nexus::api {

// An RFC 3339 time, or null.
Json OptTimeJson(const std::optional<TimeMs>& t);

Json UserJson(const User& u);
Json ProjectJson(const Project& p);
Json TestJson(const Test& t);
Json RunJson(const Run& r);
Json PlanJson(const TestPlan& p);
Json ExecutionJson(const Execution& e);
Json TokenJson(const ApiToken& t);
// {user_id, role} plus email and name when the user is known.
Json MemberJson(const domain::MemberView& m);
// A link with its sync state and the status last sent for its case (null when never sent).
Json LinkJson(const integration::LinkView& v);

}  // namespace nexus::api
