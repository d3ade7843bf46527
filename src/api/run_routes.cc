// Run routes. Each handler: check permission → validate the whole body (the service's rules
// on the test's steps and times are applied as each field is read, so the first offence is
// reported) → call the service.
#include "api/run_routes.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "api/route_util.h"
#include "api/views.h"

namespace nexus::api {
namespace {

using domain::RunService;

constexpr size_t kMaxSteps = 500;
constexpr size_t kMaxBugs = 200;

Result<RunResult> ReadRunResult(const Json& o, std::string_view key, const std::string& path) {
  NEXUS_ASSIGN_OR_RETURN(std::string s, ReqString(o, key, path, {1, 32}));
  auto r = ParseRunResult(s);
  std::string field = Path(path, key);
  if (!r)
    return InvalidArgument(field + " must be one of Success, Stopped, MaxSteps, Error", field,
                           "invalid_value");
  return *r;
}

Result<BugLabel> ReadBugLabel(const Json& o, std::string_view key, const std::string& path) {
  NEXUS_ASSIGN_OR_RETURN(std::string s, ReqString(o, key, path, {1, 32}));
  auto l = ParseBugLabel(s);
  std::string field = Path(path, key);
  if (!l)
    return InvalidArgument(
        field + " must be one of NoBug, LikelyNoBug, Undecided, LikelyBug, DefinitelyBug", field,
        "invalid_value");
  return *l;
}

Status ReadBugs(const Json& b, const Test& test, Run& r) {
  auto it = b.find("bugs");
  if (it == b.end() || it->is_null()) return Status::Ok();
  if (!it->is_array()) return InvalidArgument("bugs must be an array", "bugs", "invalid_type");
  if (it->size() > kMaxBugs)
    return InvalidArgument("bugs may hold at most 200 items", "bugs", "invalid_value");
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& o = (*it)[i];
    std::string path = Path("bugs", i);
    if (!o.is_object()) return InvalidArgument(path + " must be an object", path, "invalid_type");
    NEXUS_RETURN_IF_ERROR(OnlyKeys(o, {"title", "description", "severity", "step_id"}, path));
    Bug bug;
    NEXUS_ASSIGN_OR_RETURN(bug.title, ReqString(o, "title", path, {1, 500, true}));
    NEXUS_ASSIGN_OR_RETURN(auto d, OptString(o, "description", path, {0, 20000}));
    bug.description = d.value_or("");
    NEXUS_ASSIGN_OR_RETURN(auto sev, OptString(o, "severity", path, {0, 50}));
    bug.severity = sev.value_or("");
    NEXUS_ASSIGN_OR_RETURN(auto sid, OptString(o, "step_id", path, {1, 64}));
    if (sid) NEXUS_RETURN_IF_ERROR(RunService::CheckStepOfTest(test, *sid, Path(path, "step_id")));
    bug.step_id = sid.value_or("");
    r.bugs.push_back(std::move(bug));
  }
  return Status::Ok();
}

Status ReadStepOutcomes(const Json& b, const Test& test, Run& r) {
  auto it = b.find("steps");
  if (it == b.end() || it->is_null()) return Status::Ok();
  if (!it->is_array()) return InvalidArgument("steps must be an array", "steps", "invalid_type");
  if (it->size() > kMaxSteps)
    return InvalidArgument("steps may hold at most 500 items", "steps", "invalid_value");
  std::set<std::string> seen;
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& o = (*it)[i];
    std::string path = Path("steps", i);
    if (!o.is_object()) return InvalidArgument(path + " must be an object", path, "invalid_type");
    NEXUS_RETURN_IF_ERROR(OnlyKeys(
        o, {"step_id", "result", "bug_label", "started_at", "finished_at", "comment"}, path));
    StepOutcome so;
    NEXUS_ASSIGN_OR_RETURN(so.step_id, ReqString(o, "step_id", path, {1, 64}));
    NEXUS_RETURN_IF_ERROR(RunService::CheckStepOfTest(test, so.step_id, Path(path, "step_id")));
    if (!seen.insert(so.step_id).second)
      return InvalidArgument("step '" + so.step_id + "' is reported twice", Path(path, "step_id"),
                             "invalid_value");
    NEXUS_ASSIGN_OR_RETURN(so.result, ReadRunResult(o, "result", path));
    NEXUS_ASSIGN_OR_RETURN(so.bug_label, ReadBugLabel(o, "bug_label", path));
    NEXUS_ASSIGN_OR_RETURN(so.started_at, OptTime(o, "started_at", path));
    NEXUS_ASSIGN_OR_RETURN(so.finished_at, OptTime(o, "finished_at", path));
    if (so.started_at)
      NEXUS_RETURN_IF_ERROR(RunService::CheckNotBeforeStart(*so.started_at, so.finished_at,
                                                            Path(path, "finished_at")));
    NEXUS_ASSIGN_OR_RETURN(auto comment, OptString(o, "comment", path, {0, 20000}));
    so.comment = comment.value_or("");
    r.steps.push_back(std::move(so));
  }
  return Status::Ok();
}

// The "attributes" member of a run body: an object of string values (null removes a key in
// a PATCH, as in a JSON merge-patch). Limits are checked by RunService.
Result<std::map<std::string, std::optional<std::string>>> ReadAttributes(const Json& j,
                                                                         bool allow_null) {
  if (!j.is_object())
    return InvalidArgument(
        "attributes must be an object of string values, e.g. "
        "{\"platform\": \"PS5\"}",
        "attributes", "invalid_type");
  std::map<std::string, std::optional<std::string>> out;
  for (const auto& [key, value] : j.items()) {
    if (value.is_string()) {
      out.emplace(key, value.get<std::string>());
    } else if (value.is_null() && allow_null) {
      out.emplace(key, std::nullopt);
    } else {
      return InvalidArgument(std::string("attribute values must be strings") +
                                 (allow_null ? " (or null to remove the attribute)" : ""),
                             "attributes." + key, "invalid_type");
    }
  }
  return out;
}

class RunApi {
 public:
  RunApi(auth::AuthService& auth, RunService& runs) : auth_(auth), runs_(runs) {}

  void Register(ApiServer& s) {
    auto bind = [this](Result<Reply> (RunApi::*fn)(Ctx&)) {
      return [this, fn](Ctx& c) { return (this->*fn)(c); };
    };
    s.Route("GET", "/api/v1/projects/{p}/runs", bind(&RunApi::ListRuns));
    s.Route("POST", "/api/v1/projects/{p}/runs", bind(&RunApi::CreateRun));
    s.Route("GET", "/api/v1/projects/{p}/runs/{r}", bind(&RunApi::GetRun));
    s.Route("PATCH", "/api/v1/projects/{p}/runs/{r}", bind(&RunApi::PatchRun));
  }

 private:
  Result<Reply> ListRuns(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(PageRequest page, ReadPage(c));
    RunFilter f;
    NEXUS_ASSIGN_OR_RETURN(f.test_id, QueryInt(c.Query("test_id"), "test_id", 1, INT64_MAX / 2));
    NEXUS_ASSIGN_OR_RETURN(f.execution_id,
                           QueryInt(c.Query("execution_id"), "execution_id", 1, INT64_MAX / 2));
    std::string attribute = c.Query("attribute");
    if (!attribute.empty()) {
      size_t colon = attribute.find(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == attribute.size())
        return InvalidArgument("attribute filter must be key:value, e.g. platform:PS5", "attribute",
                               "invalid_value");
      f.attribute = std::make_pair(attribute.substr(0, colon), attribute.substr(colon + 1));
    }
    std::string result = c.Query("result");
    if (!result.empty()) {
      f.result = ParseRunResult(result);
      if (!f.result)
        return InvalidArgument("result must be one of Success, Stopped, MaxSteps, Error", "result",
                               "invalid_value");
    }
    return ListReply<Run>(
        page, [&](const PageRequest& pr) { return runs_.List(p.id, f, pr); }, &RunJson);
  }

  Result<Reply> CreateRun(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kOperateRuns));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(
        OnlyKeys(b, {"test_id", "result", "bug_label", "started_at", "finished_at", "build",
                     "summary", "bugs", "steps", "execution_id", "attributes"}));
    Run r;
    r.project_id = p.id;
    NEXUS_ASSIGN_OR_RETURN(r.test_id, ReqInt(b, "test_id", ""));
    NEXUS_ASSIGN_OR_RETURN(Test test, runs_.TestForRun(p.id, r.test_id));
    NEXUS_ASSIGN_OR_RETURN(r.result, ReadRunResult(b, "result", ""));
    NEXUS_ASSIGN_OR_RETURN(r.bug_label, ReadBugLabel(b, "bug_label", ""));
    NEXUS_ASSIGN_OR_RETURN(r.started_at, ReqTime(b, "started_at", ""));
    NEXUS_ASSIGN_OR_RETURN(r.finished_at, OptTime(b, "finished_at", ""));
    NEXUS_RETURN_IF_ERROR(
        RunService::CheckNotBeforeStart(r.started_at, r.finished_at, "finished_at"));
    NEXUS_ASSIGN_OR_RETURN(auto build, OptString(b, "build", "", {0, 250}));
    r.build = build.value_or("");
    NEXUS_ASSIGN_OR_RETURN(auto summary, OptString(b, "summary", "", {0, 20000}));
    r.summary = summary.value_or("");
    NEXUS_RETURN_IF_ERROR(ReadBugs(b, test, r));
    NEXUS_RETURN_IF_ERROR(ReadStepOutcomes(b, test, r));
    NEXUS_ASSIGN_OR_RETURN(r.execution_id, OptInt(b, "execution_id", ""));
    if (b.contains("attributes")) {
      NEXUS_ASSIGN_OR_RETURN(auto attrs, ReadAttributes(b["attributes"], /*allow_null=*/false));
      for (auto& [k, v] : attrs) r.attributes.emplace(k, std::move(*v));
    }
    NEXUS_ASSIGN_OR_RETURN(r, runs_.Create(test, std::move(r)));
    return Reply{201, RunJson(r)};
  }

  Result<Reply> GetRun(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(Run r, runs_.Get(p.id, c.Id(1)));
    return Reply{200, RunJson(r)};
  }

  Result<Reply> PatchRun(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kOperateRuns));
    NEXUS_ASSIGN_OR_RETURN(Run r, runs_.Get(p.id, c.Id(1)));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(
        OnlyKeys(b, {"bug_label", "result", "finished_at", "summary", "attributes"}));
    if (b.empty())
      return InvalidArgument(
          "nothing to change: send bug_label, result, finished_at, summary or attributes", "",
          "invalid_value");
    domain::RunPatch patch;
    if (b.contains("attributes")) {
      NEXUS_ASSIGN_OR_RETURN(patch.attributes,
                             ReadAttributes(b["attributes"], /*allow_null=*/true));
    }
    if (b.contains("bug_label")) {
      NEXUS_ASSIGN_OR_RETURN(patch.bug_label, ReadBugLabel(b, "bug_label", ""));
    }
    if (b.contains("result")) {
      NEXUS_ASSIGN_OR_RETURN(patch.result, ReadRunResult(b, "result", ""));
    }
    if (b.contains("finished_at")) {
      NEXUS_ASSIGN_OR_RETURN(auto f, OptTime(b, "finished_at", ""));
      if (!f)
        return InvalidArgument("finished_at cannot be cleared", "finished_at", "invalid_value");
      NEXUS_RETURN_IF_ERROR(RunService::CheckFinish(r, *f));
      patch.finished_at = f;
    }
    if (b.contains("summary")) {
      NEXUS_ASSIGN_OR_RETURN(auto s, OptString(b, "summary", "", {0, 20000}));
      patch.summary = s.value_or("");
    }
    NEXUS_ASSIGN_OR_RETURN(r, runs_.Update(std::move(r), patch));
    return Reply{200, RunJson(r)};
  }

  auth::AuthService& auth_;
  RunService& runs_;
};

}  // namespace

void RegisterRunRoutes(ApiServer& server, auth::AuthService& auth, domain::RunService& runs) {
  auto api = std::make_shared<RunApi>(auth, runs);
  api->Register(server);
  server.Own(api);
}

}  // namespace nexus::api
