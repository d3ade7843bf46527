// Helpers shared by the route sets: keyset pages (?limit=&cursor=) and the gate of every
// TestRail route.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/server.h"
#include "auth/auth_service.h"
#include "storage/page_request.h"

namespace nexus::api {

// ?limit= (1-200, default 50) and ?cursor= (the id after which the page starts).
Result<PageRequest> ReadPage(const Ctx& ctx);

// A page reply {items, next_cursor}: fetches one more than asked to know whether a next page
// exists; `to_json` renders an item (records with an `id`).
template <typename T, typename Fetch, typename ToJson>
Result<Reply> ListReply(const PageRequest& page, Fetch fetch, ToJson to_json) {
  PageRequest probe = page;
  probe.limit = page.limit + 1;
  NEXUS_ASSIGN_OR_RETURN(std::vector<T> items, fetch(probe));
  Json out = Json::array();
  bool more = items.size() > static_cast<size_t>(page.limit);
  if (more) items.resize(page.limit);
  for (const T& i : items) out.push_back(to_json(i));
  Json next = more ? Json(std::to_string(items.back().id)) : Json(nullptr);
  return Reply{200, Json{{"items", out}, {"next_cursor", next}}};
}

// The gate of every TestRail route on project path capture 0: visibility (404), then the
// project's "testrail" feature (404, reason "feature_disabled", whatever the permission),
// then permission `p` (403). Returns the project id.
Result<int64_t> RequireTestRailProject(auth::AuthService& auth, const Ctx& c, Permission p);

}  // namespace nexus::api
