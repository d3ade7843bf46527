// TestRailClient: the typed TestRail API v2 client Nexus uses (R-CONN-*, R-Q-RATE, R-Q-SEC).
// It builds `<base>/index.php?/api/v2/<method>` URLs, authenticates with HTTP Basic
// (user:api_key), draws every request from the instance's shared RateBudget, retries per
// retry_policy.h, follows pagination, and turns every failure into a Status whose reason()
// is the snake_case code of errors.h ("auth_failed", "rate_limited", "ambiguous_write"…).
//
// Thread-safety: a TestRailClient is immutable after Create(); any number of threads may call
// its methods concurrently. It does not own the transport, budgets or metrics, which must
// outlive it. Secrets: the API key is only ever placed in the Authorization header; it never
// appears in a Status, a log line or a metric.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "obs/metrics.h"
#include "testrail/http_transport.h"
#include "testrail/rate_budget.h"
#include "testrail/retry_policy.h"
#include "testrail/types.h"

namespace nexus::testrail {

struct TestRailClientOptions {
  int connect_timeout_ms = 10'000;
  int request_timeout_ms = 60'000;
  // The instance's limit, shared by every client of the same instance; <= 0: unlimited
  // (TestRail Server). The budget lets `budget_share` of it through in any sliding 60-s
  // window and learns a stricter limit from 429 answers (docs/testrail-client.md).
  double requests_per_minute = 180;
  double budget_share = 0.8;          // (0, 1]: the rest is left to the instance's other users
  int64_t budget_window_ms = 60'000;  // the window of the limit (tests shorten it)
  int64_t budget_margin_ms = 1'000;   // added to the window (a call lands after its grant)
  bool allow_private = false;         // loopback/private TestRail hosts (simulator, on-premise LAN)
  bool allow_insecure_http = false;   // plain http:// to public hosts (API key sent in clear)
  std::string ca_bundle;              // PEM CA file for on-premise servers with a private CA
  bool insecure = false;              // disable TLS verification (logged as a warning)
  RetryOptions retry;
};

// The rate budget options the client options name (one place, so the client and the
// attachment uploader of one instance never flip its budget between two settings).
inline RateBudgetOptions BudgetOptionsOf(const TestRailClientOptions& o) {
  RateBudgetOptions rate;
  rate.requests_per_minute = o.requests_per_minute;
  rate.share = o.budget_share;
  rate.window_ms = o.budget_window_ms;
  rate.margin_ms = o.budget_margin_ms;
  return rate;
}

struct TestRailConfig {
  std::string base_url;  // any form NormalizeBaseUrl accepts
  std::string user;      // email
  std::string api_key;   // or password
  TestRailClientOptions options;
};

// What Verify() learned.
struct VerifyInfo {
  int64_t projects_on_first_page = 0;
  std::optional<User> user;  // from get_user_by_email when the account may read it
};

struct GetCasesRequest {
  int64_t project_id = 0;
  std::optional<int64_t> suite_id;  // required unless the project is single-suite
  std::optional<int64_t> section_id;
  std::optional<int64_t> updated_after;  // UNIX seconds
};

struct GetRunsFilter {
  std::optional<bool> is_completed;
  std::optional<int64_t> suite_id;
  std::optional<int64_t> created_after;  // UNIX seconds
};

struct GetPlansFilter {
  std::optional<bool> is_completed;
  std::optional<int64_t> created_after;
};

// The path (relative to `<base>/index.php?/api/v2/`) of the next page named by a
// `_links.next` value, or nullopt when there is none (null, absent or empty). Accepts the
// documented "/api/v2/get_cases/1&limit=250&offset=250" form and tolerates an
// "index.php?" prefix; a `limit=0` (server quirk) is replaced by limit=250.
std::optional<std::string> NextPagePath(const nlohmann::json& next);

class TestRailClient {
 public:
  // Validates and normalises the configuration. Errors: InvalidArgument for a bad URL
  // (field "url", see NormalizeBaseUrl), an empty user (field "user") or api key (field
  // "api_key"). Registers the instance's rate budget in `budgets`. Logs a warning when
  // options.insecure is set.
  static Result<std::unique_ptr<TestRailClient>> Create(const TestRailConfig& config,
                                                        HttpTransport& transport,
                                                        RateBudgets& budgets,
                                                        obs::Metrics* metrics);

  const std::string& base_url() const { return base_url_; }
  // The instance's shared budget: calls allowed per window, calls in it, measured costs.
  const RateBudget& budget() const { return *budget_; }

  // Save & Connect check (R-CONN-2): GET get_projects proves that the host is a TestRail
  // instance, that the API is enabled and that user + key are accepted (every role may call
  // it); then get_user_by_email fetches the account's own record (best effort: permission
  // or not-found answers leave `user` empty). Network failures are not retried, so a wrong
  // host fails fast. Errors: every kind of errors.h (dns_failure, tls_failure, timeout,
  // auth_failed, api_disabled, not_testrail…).
  Result<VerifyInfo> Verify() const;

  // ---- Reads (retried per RetryOptions; errors as in errors.h) ----
  Result<std::vector<Project>> GetProjects(std::optional<bool> is_completed = {}) const;
  Result<Project> GetProject(int64_t project_id) const;
  Result<std::vector<Suite>> GetSuites(int64_t project_id) const;  // plain or paginated form
  Result<Suite> GetSuite(int64_t suite_id) const;
  Result<std::vector<Section>> GetSections(int64_t project_id,
                                           std::optional<int64_t> suite_id) const;
  // Streams get_cases page by page (at most 250 cases in memory at a time). `on_page` may
  // move the cases out; returning a non-ok Status stops the iteration and is returned.
  Status ForEachCasesPage(const GetCasesRequest& request,
                          const std::function<Status(std::vector<Case>& page)>& on_page) const;
  // Convenience: all pages collected.
  Result<std::vector<Case>> GetCases(const GetCasesRequest& request) const;
  Result<Case> GetCase(int64_t case_id) const;
  Result<std::vector<StatusInfo>> GetStatuses() const;
  Result<User> GetUserByEmail(std::string_view email) const;
  // get_users (plain or paginated `users`); `project_id` adds &project_id= (what non-admin
  // accounts on Cloud need).
  Result<std::vector<User>> GetUsers(std::optional<int64_t> project_id = {}) const;
  // get_result_fields / get_case_fields: every custom field of the instance (plain array).
  Result<std::vector<Field>> GetResultFields() const;
  Result<std::vector<Field>> GetCaseFields() const;
  // get_milestones/{project_id} (paginated `milestones`), each with its sub-milestones.
  Result<std::vector<Milestone>> GetMilestones(int64_t project_id) const;
  // get_milestone/{id}: TestRail answers 400 for an unknown id (reason "rejected").
  Result<Milestone> GetMilestone(int64_t milestone_id) const;
  Result<Run> GetRun(int64_t run_id) const;
  Result<std::vector<Run>> GetRuns(int64_t project_id, const GetRunsFilter& filter = {}) const;
  Result<Plan> GetPlan(int64_t plan_id) const;
  Result<std::vector<Plan>> GetPlans(int64_t project_id, const GetPlansFilter& filter = {}) const;
  Result<std::vector<Test>> GetTests(int64_t run_id) const;
  Result<std::vector<TestResult>> GetResultsForRun(int64_t run_id,
                                                   std::optional<int64_t> created_after = {}) const;

  // ---- Writes (retried only when TestRail certainly did not apply them; otherwise the
  // Status has reason "ambiguous_write" and the caller must reconcile; so does a 2xx answer
  // that does not read as the expected one) ----
  Result<Run> AddRun(int64_t project_id, const AddRunRequest& request) const;
  Result<Run> CloseRun(int64_t run_id) const;
  Result<Plan> AddPlan(int64_t project_id, const AddPlanRequest& request) const;
  Result<Plan> ClosePlan(int64_t plan_id) const;
  // Returns the created results in request order (TestRail answers in request order; a
  // response with a different count is kNotTestRail). All or nothing: TestRail rejects the
  // whole batch (reason "rejected") when one entry is invalid.
  Result<std::vector<TestResult>> AddResultsForCases(
      int64_t run_id, const std::vector<ResultForCase>& results) const;
  // The same call for a body made by ResultsForCasesBody with `count` entries: checks that
  // TestRail answered with `count` results (else kNotTestRail) without materialising them, so
  // a 1,000-result batch costs its request and response text only (the export's path).
  Status SendResultsForCases(int64_t run_id, std::string body, size_t count) const;

  // ---- Generic access for endpoints without a typed wrapper ----
  // `path` is what follows "api/v2/", e.g. "get_case/12" or "get_cases/1&suite_id=2".
  Result<nlohmann::json> Get(const std::string& path) const;
  Result<nlohmann::json> Post(const std::string& path, const nlohmann::json& body) const;
  // Follows pagination from `path`, calling `on_items` with each page's array (the `key`
  // member of a paginated answer, or the whole answer when it is a plain array). Stops on a
  // null next link, on a repeated link (kNotTestRail) or when `on_items` fails.
  Status ForEachPage(const std::string& path, std::string_view key,
                     const std::function<Status(const nlohmann::json& items)>& on_items) const;

 private:
  TestRailClient(std::string base_url, const TestRailConfig& config, HttpTransport& transport,
                 std::shared_ptr<RateBudget> budget, MonotonicClock& clock, obs::Metrics* metrics);

  Result<nlohmann::json> Call(const std::string& method, const std::string& path,
                              const nlohmann::json* body, const RetryOptions& retry) const;
  // The exchange behind Call: rate budget, retries, errors and metrics. A 2xx answer counts
  // as success when `accept` takes its body; otherwise it is "not JSON" (kNotTestRail).
  // `results`: results the call writes (for the instance's cost measurement).
  Status Exchange(const std::string& method, const std::string& path,
                  std::optional<std::string> body, const RetryOptions& retry,
                  const std::function<bool(const std::string&)>& accept, size_t results = 0) const;
  template <typename T>
  Result<std::vector<T>> ListAll(const std::string& path, std::string_view key,
                                 Result<T> (*parse)(const nlohmann::json&)) const;

  const std::string base_url_;
  const std::string host_;
  const std::string user_;
  const std::string auth_header_;  // "Basic …" — secret, never logged
  const TestRailClientOptions options_;
  HttpTransport& transport_;
  const std::shared_ptr<RateBudget> budget_;
  MonotonicClock& clock_;
  obs::Metrics* const metrics_;
};

}  // namespace nexus::testrail
