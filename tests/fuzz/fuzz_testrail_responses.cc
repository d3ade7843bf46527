// libFuzzer target: the TestRail client's response handling (src/testrail/) — the typed
// parsers (types.h Parse*), pagination (_links.next, both get_suites forms), error bodies and
// their classification (errors.h), Retry-After — driven through TestRailClient over a
// scripted transport, exactly as a hostile or broken TestRail server would reach them
// (issue 13). Input: byte 0 picks the HTTP status, byte 1 the API call, the rest is the body.
#include <cstddef>
#include <cstdint>
#include <string>

#include <spdlog/spdlog.h>

#include "fakes/fake_transport.h"
#include "testrail/client.h"
#include "testrail/errors.h"
#include "testrail/types.h"

namespace tr = nexus::testrail;
using nlohmann::json;

namespace {

constexpr int kStatuses[] = {200, 201, 400, 401, 403, 404, 409, 413, 429, 500, 502, 503};

void ParseEverything(const json& j) {
  (void)tr::ParseProject(j);
  (void)tr::ParseSuite(j);
  (void)tr::ParseSection(j);
  (void)tr::ParseCase(j);
  (void)tr::ParseStatusInfo(j);
  (void)tr::ParseUser(j);
  (void)tr::ParseRun(j);
  (void)tr::ParsePlan(j);
  (void)tr::ParseTest(j);
  (void)tr::ParseTestResult(j);
  (void)tr::NextPagePath(j);
  if (j.is_object()) {
    auto links = j.find("_links");
    if (links != j.end() && links->is_object() && links->contains("next"))
      (void)tr::NextPagePath((*links)["next"]);
  }
}

void Inspect(const nexus::Status& st) {
  if (st.ok()) return;
  (void)tr::ErrorKindOf(st);
  (void)tr::ErrorOf(st);
}
template <typename T>
void Inspect(const nexus::Result<T>& r) {
  Inspect(r.status());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // the client's warnings would cost most of the time
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int status = kStatuses[data[0] % (sizeof(kStatuses) / sizeof(kStatuses[0]))];
  const uint8_t call = data[1];
  std::string body(reinterpret_cast<const char*>(data) + 2, size - 2);

  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded()) ParseEverything(j);
  (void)tr::ClassifyRefusal(status, body);
  (void)tr::ParseRetryAfterSeconds(body);

  nexus::testing::FakeMonotonicClock clock;
  tr::RateBudgets budgets(&clock, nullptr, 1);
  int calls = 0;
  nexus::testing::FakeTransport transport([&](const tr::HttpRequest&) {
    // Every page answers the same body, so pagination ends on a repeated link at the latest.
    if (++calls > 8) return nexus::testing::FakeTransport::Json(500, "{\"error\":\"stop\"}");
    tr::HttpHeaders headers;
    if (status == 429) headers.emplace_back("retry-after", body.substr(0, 16));
    return nexus::testing::FakeTransport::Json(status, body, headers);
  });
  tr::TestRailClientOptions options;
  options.requests_per_minute = 0;
  options.retry.max_attempts = 1;
  options.retry.max_rate_limited_attempts = 1;
  tr::TestRailConfig config{"https://fuzz.testrail.io", "qa@example.com", "key", options};
  auto created = tr::TestRailClient::Create(config, transport, budgets, nullptr);
  if (!created.ok()) __builtin_trap();
  const tr::TestRailClient& client = **created;

  switch (call % 20) {
    case 0:
      Inspect(client.Verify());
      break;
    case 1:
      Inspect(client.GetProjects());
      break;
    case 2:
      Inspect(client.GetProject(1));
      break;
    case 3:
      Inspect(client.GetSuites(1));
      break;
    case 4:
      Inspect(client.GetSections(1, 2));
      break;
    case 5:
      Inspect(client.GetCases({.project_id = 1, .suite_id = 2}));
      break;
    case 6:
      Inspect(client.GetCase(1));
      break;
    case 7:
      Inspect(client.GetStatuses());
      break;
    case 8:
      Inspect(client.GetUserByEmail("qa@example.com"));
      break;
    case 9:
      Inspect(client.GetRun(1));
      break;
    case 10:
      Inspect(client.GetRuns(1, {.is_completed = false}));
      break;
    case 11:
      Inspect(client.GetPlan(1));
      break;
    case 12:
      Inspect(client.GetPlans(1));
      break;
    case 13:
      Inspect(client.GetTests(1));
      break;
    case 14:
      Inspect(client.GetResultsForRun(1));
      break;
    case 15: {
      tr::AddRunRequest r;
      r.suite_id = 2;
      r.name = "Nexus run";
      r.case_ids = {1, 2};
      Inspect(client.AddRun(1, r));
      break;
    }
    case 16: {
      tr::AddPlanRequest r;
      r.name = "Nexus plan";
      r.entries.push_back({.suite_id = 2, .name = "entry", .case_ids = {1}});
      Inspect(client.AddPlan(1, r));
      break;
    }
    case 17: {
      std::vector<tr::ResultForCase> results(2);
      results[0].case_id = 1;
      results[0].status_id = 1;
      results[1].case_id = 2;
      results[1].status_id = 5;
      Inspect(client.AddResultsForCases(1, results));
      Inspect(client.SendResultsForCases(1, tr::ResultsForCasesBody(results), results.size()));
      break;
    }
    case 18:
      Inspect(client.CloseRun(1));
      break;
    default:
      Inspect(client.ClosePlan(1));
      break;
  }
  return 0;
}
