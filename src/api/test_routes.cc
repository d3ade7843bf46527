// Test routes. Each handler: check permission → validate the whole body → call the service.
#include "api/test_routes.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/route_util.h"
#include "api/views.h"

namespace nexus::api {
namespace {

constexpr size_t kMaxSteps = 500;
constexpr size_t kMaxTags = 50;

// Parses one step of a test body. `allow_id`: PUT may carry ids of existing steps.
Result<Step> ReadStep(const Json& s, const std::string& path, bool allow_id) {
  if (!s.is_object()) return InvalidArgument(path + " must be an object", path, "invalid_type");
  if (allow_id) {
    NEXUS_RETURN_IF_ERROR(OnlyKeys(s, {"id", "goal", "expected_results"}, path));
  } else {
    NEXUS_RETURN_IF_ERROR(OnlyKeys(s, {"goal", "expected_results"}, path));
  }
  Step step;
  if (allow_id) {
    NEXUS_ASSIGN_OR_RETURN(auto id, OptString(s, "id", path, {1, 64}));
    step.id = id.value_or("");
  }
  NEXUS_ASSIGN_OR_RETURN(step.goal, ReqString(s, "goal", path, {1, 10000, true}));
  NEXUS_ASSIGN_OR_RETURN(step.expected_results,
                         OptStringArray(s, "expected_results", path, 50, {1, 5000}));
  return step;
}

Result<std::vector<Step>> ReadSteps(const Json& body, bool allow_id) {
  std::vector<Step> steps;
  auto it = body.find("steps");
  if (it == body.end() || it->is_null()) return steps;
  if (!it->is_array()) return InvalidArgument("steps must be an array", "steps", "invalid_type");
  if (it->size() > kMaxSteps)
    return InvalidArgument("steps may hold at most " + std::to_string(kMaxSteps) + " items",
                           "steps", "invalid_value");
  for (size_t i = 0; i < it->size(); ++i) {
    NEXUS_ASSIGN_OR_RETURN(Step st, ReadStep((*it)[i], Path("steps", i), allow_id));
    steps.push_back(std::move(st));
  }
  return steps;
}

Result<std::vector<std::string>> ReadTags(const Json& body) {
  NEXUS_ASSIGN_OR_RETURN(auto tags, OptStringArray(body, "tags", "", kMaxTags, {1, 64, true}));
  std::vector<std::string> unique;
  for (auto& t : tags)
    if (std::find(unique.begin(), unique.end(), t) == unique.end()) unique.push_back(t);
  return unique;
}

class TestApi {
 public:
  TestApi(auth::AuthService& auth, domain::TestService& tests) : auth_(auth), tests_(tests) {}

  void Register(ApiServer& s) {
    auto bind = [this](Result<Reply> (TestApi::*fn)(Ctx&)) {
      return [this, fn](Ctx& c) { return (this->*fn)(c); };
    };
    s.Route("GET", "/api/v1/projects/{p}/tests", bind(&TestApi::ListTests));
    s.Route("POST", "/api/v1/projects/{p}/tests", bind(&TestApi::CreateTest));
    s.Route("GET", "/api/v1/projects/{p}/tests/{t}", bind(&TestApi::GetTest));
    s.Route("PUT", "/api/v1/projects/{p}/tests/{t}", bind(&TestApi::UpdateTest));
    s.Route("DELETE", "/api/v1/projects/{p}/tests/{t}", bind(&TestApi::DeleteTest));
  }

 private:
  // The test with the number of TestRail cases linked to it.
  Json TestView(const Test& t) {
    Json j = TestJson(t);
    j["testrail_case_count"] = tests_.LinkedCaseCount(t.project_id, t.id);
    return j;
  }

  Result<Reply> ListTests(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(PageRequest page, ReadPage(c));
    // The page's linked-case counts in one read, not one per test.
    std::map<int64_t, int64_t> counts;
    return ListReply<Test>(
        page,
        [&](const PageRequest& pr) -> Result<std::vector<Test>> {
          NEXUS_ASSIGN_OR_RETURN(auto items, tests_.List(p.id, pr));
          if (!items.empty()) {
            auto [lo, hi] =
                std::minmax_element(items.begin(), items.end(),
                                    [](const Test& a, const Test& b) { return a.id < b.id; });
            counts = tests_.LinkedCaseCounts(p.id, lo->id, hi->id);
          }
          return items;
        },
        [&](const Test& t) {
          Json j = TestJson(t);
          auto it = counts.find(t.id);
          j["testrail_case_count"] = it == counts.end() ? 0 : it->second;
          return j;
        });
  }

  Result<Reply> CreateTest(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kEditTests));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"name", "tags", "steps"}));
    Test t;
    t.project_id = p.id;
    NEXUS_ASSIGN_OR_RETURN(t.name, ReqString(b, "name", "", {1, 200, true}));
    NEXUS_ASSIGN_OR_RETURN(t.tags, ReadTags(b));
    NEXUS_ASSIGN_OR_RETURN(t.steps, ReadSteps(b, /*allow_id=*/false));
    NEXUS_ASSIGN_OR_RETURN(t, tests_.Create(std::move(t)));
    return Reply{201, TestView(t)};
  }

  Result<Reply> GetTest(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(Test t, tests_.Get(p.id, c.Id(1)));
    return Reply{200, TestView(t)};
  }

  Result<Reply> UpdateTest(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kEditTests));
    NEXUS_ASSIGN_OR_RETURN(Test current, tests_.Get(p.id, c.Id(1)));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"name", "tags", "steps", "version"}));
    domain::TestUpdate u;
    NEXUS_ASSIGN_OR_RETURN(u.version, ReqInt(b, "version", "", 1));
    NEXUS_ASSIGN_OR_RETURN(u.name, ReqString(b, "name", "", {1, 200, true}));
    NEXUS_ASSIGN_OR_RETURN(u.tags, ReadTags(b));
    NEXUS_ASSIGN_OR_RETURN(u.steps, ReadSteps(b, /*allow_id=*/true));
    NEXUS_ASSIGN_OR_RETURN(Test updated, tests_.Update(current, std::move(u)));
    return Reply{200, TestView(updated)};
  }

  Result<Reply> DeleteTest(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kEditTests));
    NEXUS_RETURN_IF_ERROR(tests_.Delete(p.id, c.Id(1)));
    return Reply{204, nullptr};
  }

  auth::AuthService& auth_;
  domain::TestService& tests_;
};

}  // namespace

void RegisterTestRoutes(ApiServer& server, auth::AuthService& auth, domain::TestService& tests) {
  auto api = std::make_shared<TestApi>(auth, tests);
  api->Register(server);
  server.Own(api);
}

}  // namespace nexus::api
