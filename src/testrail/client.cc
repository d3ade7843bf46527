// TestRail API v2 client; see client.h.
#include "testrail/client.h"

#include <functional>
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "testrail/base_url.h"
#include "testrail/errors.h"

namespace nexus::testrail {
namespace {

using nlohmann::json;

constexpr char kRequestsTotal[] = "nexus_testrail_requests_total";
constexpr char kRequestSeconds[] = "nexus_testrail_request_duration_seconds";
constexpr char kRetriesTotal[] = "nexus_testrail_retries_total";
constexpr int kPageLimit = 250;

std::string Base64(std::string_view in) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint32_t{static_cast<unsigned char>(in[i])} << 16) |
                 (uint32_t{static_cast<unsigned char>(in[i + 1])} << 8) |
                 uint32_t{static_cast<unsigned char>(in[i + 2])};
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < in.size()) {
    uint32_t n = uint32_t{static_cast<unsigned char>(in[i])} << 16;
    if (i + 1 < in.size()) n |= uint32_t{static_cast<unsigned char>(in[i + 1])} << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string UrlEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// A write TestRail answered with a 2xx whose body does not read as the expected answer: it
// was most likely applied, so the outcome is ambiguous (the caller reconciles), never "not
// applied" (which would invite a duplicate) and never a plain failure.
Status AmbiguousWrite(const Status& st) {
  return Status(st.code(),
                st.message() +
                    " The write may or may not have been applied by TestRail; it was not "
                    "retried.",
                "", std::string(ErrorReason(TestRailErrorKind::kAmbiguousWrite)));
}

template <typename T>
Result<T> WriteAnswer(Result<T> parsed) {
  if (parsed.ok()) return parsed;
  return AmbiguousWrite(parsed.status());
}

std::string ApiMethodOf(std::string_view path) {
  return std::string(path.substr(0, path.find_first_of("/&?")));
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

template <typename T>
Result<std::vector<T>> ParseArray(const json& items, Result<T> (*parse)(const json&)) {
  std::vector<T> out;
  out.reserve(items.size());
  for (const json& item : items) {
    Result<T> v = parse(item);
    if (!v.ok()) return v.status();
    out.push_back(std::move(v).value());
  }
  return out;
}

std::string FlagParam(const char* name, const std::optional<bool>& v) {
  return v.has_value() ? std::string("&") + name + "=" + (*v ? "1" : "0") : "";
}
std::string IntParam(const char* name, const std::optional<int64_t>& v) {
  return v.has_value() ? std::string("&") + name + "=" + std::to_string(*v) : "";
}

}  // namespace

std::optional<std::string> NextPagePath(const json& next) {
  if (!next.is_string()) return std::nullopt;
  std::string s = next.get<std::string>();
  if (s.empty()) return std::nullopt;
  size_t pos = s.find("index.php?");
  if (pos != std::string::npos) s = s.substr(pos + 10);
  while (!s.empty() && s.front() == '/') s.erase(0, 1);
  if (s.rfind("api/v2/", 0) == 0) s = s.substr(7);
  // Server quirk: a next link with limit=0, which the server then rejects.
  for (size_t p = s.find("limit=0"); p != std::string::npos; p = s.find("limit=0", p + 1)) {
    bool starts = p > 0 && (s[p - 1] == '&' || s[p - 1] == '?');
    bool ends = p + 7 == s.size() || s[p + 7] == '&';
    if (starts && ends) s.replace(p, 7, "limit=" + std::to_string(kPageLimit));
  }
  if (s.empty()) return std::nullopt;
  return s;
}

Result<std::unique_ptr<TestRailClient>> TestRailClient::Create(const TestRailConfig& config,
                                                               HttpTransport& transport,
                                                               RateBudgets& budgets,
                                                               obs::Metrics* metrics) {
  NEXUS_ASSIGN_OR_RETURN(std::string base, NormalizeBaseUrl(config.base_url));
  if (config.user.empty()) {
    return InvalidArgument("Enter the TestRail user (email).", "user", "invalid_user");
  }
  if (config.user.find(':') != std::string::npos) {
    return InvalidArgument("The TestRail user must not contain ':'.", "user", "invalid_user");
  }
  if (config.api_key.empty()) {
    return InvalidArgument("Enter the TestRail API key.", "api_key", "invalid_api_key");
  }
  std::shared_ptr<RateBudget> budget = budgets.ForInstance(base, BudgetOptionsOf(config.options));
  if (config.options.insecure) {
    spdlog::warn("TestRail client for {}: TLS certificate verification is DISABLED (insecure)",
                 base);
  }
  return std::unique_ptr<TestRailClient>(new TestRailClient(
      std::move(base), config, transport, std::move(budget), budgets.clock(), metrics));
}

TestRailClient::TestRailClient(std::string base_url, const TestRailConfig& config,
                               HttpTransport& transport, std::shared_ptr<RateBudget> budget,
                               MonotonicClock& clock, obs::Metrics* metrics)
    : base_url_(std::move(base_url)),
      host_(HostOfBaseUrl(base_url_)),
      user_(config.user),
      auth_header_("Basic " + Base64(config.user + ":" + config.api_key)),
      options_(config.options),
      transport_(transport),
      budget_(std::move(budget)),
      clock_(clock),
      metrics_(metrics) {
  if (metrics_ != nullptr) {
    metrics_->Describe(kRequestsTotal, "counter",
                       "TestRail API calls by API method and HTTP status (or error reason).");
    metrics_->Describe(kRequestSeconds, "histogram", "TestRail API call latency.");
  }
}

Result<json> TestRailClient::Call(const std::string& method, const std::string& path,
                                  const json* body, const RetryOptions& retry) const {
  json out;
  NEXUS_RETURN_IF_ERROR(Exchange(method, path,
                                 body != nullptr ? std::optional(Dump(*body)) : std::nullopt, retry,
                                 [&out](const std::string& text) {
                                   out = json::parse(text, nullptr, /*allow_exceptions=*/false);
                                   return !out.is_discarded();
                                 }));
  return out;
}

Status TestRailClient::Exchange(const std::string& method, const std::string& path,
                                std::optional<std::string> body, const RetryOptions& retry,
                                const std::function<bool(const std::string&)>& accept,
                                size_t results) const {
  const std::string api_method = ApiMethodOf(path);
  const bool is_write = method != "GET";
  HttpRequest req;
  req.method = method;
  req.url = base_url_ + "/index.php?/api/v2/" + path;
  req.headers = {{"Authorization", auth_header_}, {"Accept", "application/json"}};
  if (body) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = std::move(*body);
  } else if (is_write) {
    req.headers.emplace_back("Content-Type", "application/json");
  }
  req.connect_timeout_ms = options_.connect_timeout_ms;
  req.timeout_ms = options_.request_timeout_ms;
  req.allow_private = options_.allow_private;
  req.allow_insecure_http = options_.allow_insecure_http;
  req.ca_bundle = options_.ca_bundle;
  req.insecure = options_.insecure;

  const int64_t start_us = clock_.NowUs();
  int attempts = 0;
  int limited_attempts = 0;
  while (true) {
    budget_->Acquire();
    const int64_t t0 = clock_.NowUs();
    TransportOutcome outcome = transport_.Send(req);
    const double seconds = static_cast<double>(clock_.NowUs() - t0) / 1e6;

    Status st;
    bool sent = true;
    bool unreadable_write = false;  // a 2xx to a write whose body is not what was expected
    std::string label;
    if (!outcome.ok()) {
      st = StatusFromTransportError(outcome.error, host_, options_.request_timeout_ms);
      sent = outcome.error.request_sent;
      label = st.reason();
    } else {
      const HttpResponse& resp = *outcome.response;
      label = std::to_string(resp.status);
      if (resp.status >= 200 && resp.status < 300) {
        if (accept(resp.body)) {
          budget_->OnSuccess();
          budget_->ObserveCall(results, clock_.NowUs() - t0);
          if (metrics_ != nullptr) {
            metrics_->Inc(kRequestsTotal, {{"method", api_method}, {"status", label}});
            metrics_->Observe(kRequestSeconds, {{"method", api_method}}, seconds);
          }
          spdlog::debug("TestRail {} {} -> {} ({:.3f} s)", method, api_method, label, seconds);
          return Status::Ok();
        }
        st = StatusFromHttpResponse(resp, host_, api_method, /*not_json=*/true);
        unreadable_write = is_write;
      } else {
        st = StatusFromHttpResponse(resp, host_, api_method);
        std::optional<double> retry_after;
        if (auto h = resp.Header("retry-after")) retry_after = ParseRetryAfterSeconds(*h);
        if (resp.status == 429)
          budget_->OnRateLimited(retry_after, ParseRateLimitPerMinute(resp.body));
        if (resp.status == 409) budget_->OnMaintenance(retry_after);
      }
    }
    if (metrics_ != nullptr) {
      metrics_->Inc(kRequestsTotal, {{"method", api_method}, {"status", label}});
      metrics_->Observe(kRequestSeconds, {{"method", api_method}}, seconds);
    }
    std::optional<TestRailErrorKind> kind = ErrorKindOf(st);
    RetryAction action =
        kind.has_value() ? DecideRetry(is_write, *kind, sent) : RetryAction::kReturn;
    if (unreadable_write) action = RetryAction::kReturnAmbiguous;
    if (action == RetryAction::kReturnAmbiguous) {
      spdlog::warn("TestRail {} {} failed ambiguously ({}); not retried", method, api_method,
                   st.reason());
      return AmbiguousWrite(st);
    }
    if (action == RetryAction::kReturn) {
      spdlog::debug("TestRail {} {} failed: {}", method, api_method, st.reason());
      return st;
    }
    const bool limited =
        *kind == TestRailErrorKind::kRateLimited || *kind == TestRailErrorKind::kMaintenance;
    int64_t backoff_ms = 0;
    if (limited) {
      if (++limited_attempts >= retry.max_rate_limited_attempts) return st;
    } else {
      if (++attempts >= retry.max_attempts) return st;
      backoff_ms = budget_->BackoffMs(attempts, retry.base_backoff_ms, retry.max_backoff_ms);
    }
    int64_t elapsed_ms = (clock_.NowUs() - start_us) / 1000;
    int64_t paused_ms = std::max<int64_t>(0, (budget_->PausedUntilUs() - clock_.NowUs()) / 1000);
    if (elapsed_ms + backoff_ms + paused_ms > retry.max_total_ms) return st;
    if (metrics_ != nullptr) metrics_->Inc(kRetriesTotal, {{"reason", st.reason()}});
    spdlog::warn("TestRail {} {} failed ({}), retrying in {} ms", method, api_method, st.reason(),
                 limited ? paused_ms : backoff_ms);
    clock_.SleepUs(backoff_ms * 1000);
  }
}

Result<json> TestRailClient::Get(const std::string& path) const {
  return Call("GET", path, nullptr, options_.retry);
}

Result<json> TestRailClient::Post(const std::string& path, const json& body) const {
  return Call("POST", path, &body, options_.retry);
}

Status TestRailClient::ForEachPage(const std::string& path, std::string_view key,
                                   const std::function<Status(const json& items)>& on_items) const {
  std::string current = path;
  std::set<std::string> seen{current};
  while (true) {
    NEXUS_ASSIGN_OR_RETURN(json page, Get(current));
    if (page.is_array()) return on_items(page);  // unpaginated form (old servers, get_suites)
    auto it = page.is_object() ? page.find(std::string(key)) : page.end();
    if (!page.is_object() || it == page.end() || !it->is_array()) {
      return MakeTestRailError(TestRailErrorKind::kNotTestRail,
                               "TestRail answered " + ApiMethodOf(path) +
                                   " with an unexpected response shape (no '" + std::string(key) +
                                   "' list).");
    }
    NEXUS_RETURN_IF_ERROR(on_items(*it));
    std::optional<std::string> next;
    auto links = page.find("_links");
    if (links != page.end() && links->is_object()) {
      auto n = links->find("next");
      if (n != links->end()) next = NextPagePath(*n);
    }
    if (!next.has_value()) return Status::Ok();
    if (!seen.insert(*next).second) {
      return MakeTestRailError(
          TestRailErrorKind::kNotTestRail,
          "TestRail pagination of " + ApiMethodOf(path) + " loops (next link repeats).");
    }
    current = *next;
  }
}

template <typename T>
Result<std::vector<T>> TestRailClient::ListAll(const std::string& path, std::string_view key,
                                               Result<T> (*parse)(const json&)) const {
  std::vector<T> all;
  Status st = ForEachPage(path, key, [&](const json& items) -> Status {
    NEXUS_ASSIGN_OR_RETURN(std::vector<T> page, ParseArray(items, parse));
    for (T& v : page) all.push_back(std::move(v));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return all;
}

Result<VerifyInfo> TestRailClient::Verify() const {
  RetryOptions fast = options_.retry;
  fast.max_attempts = 1;  // a wrong host or key should answer at once
  fast.max_rate_limited_attempts = std::min(fast.max_rate_limited_attempts, 5);
  fast.max_total_ms = std::min<int64_t>(fast.max_total_ms, 60'000);
  NEXUS_ASSIGN_OR_RETURN(json projects, Call("GET", "get_projects", nullptr, fast));
  const json* list = nullptr;
  if (projects.is_array()) {
    list = &projects;
  } else if (projects.is_object() && projects.contains("projects") &&
             projects["projects"].is_array()) {
    list = &projects["projects"];
  }
  if (list == nullptr) {
    return MakeTestRailError(TestRailErrorKind::kNotTestRail,
                             "'" + host_ +
                                 "' answered get_projects, but not like the TestRail API — "
                                 "check the URL.");
  }
  VerifyInfo info;
  info.projects_on_first_page = static_cast<int64_t>(list->size());
  Result<json> user = Call("GET", "get_user_by_email&email=" + UrlEncode(user_), nullptr, fast);
  if (user.ok()) {
    Result<User> u = ParseUser(*user);
    if (u.ok()) info.user = std::move(u).value();
  } else {
    std::optional<TestRailErrorKind> k = ErrorKindOf(user.status());
    bool benign = k == TestRailErrorKind::kPermissionDenied || k == TestRailErrorKind::kNotFound ||
                  k == TestRailErrorKind::kRejected;
    if (!benign) return user.status();
  }
  return info;
}

Result<std::vector<Project>> TestRailClient::GetProjects(std::optional<bool> is_completed) const {
  return ListAll<Project>("get_projects" + FlagParam("is_completed", is_completed), "projects",
                          &ParseProject);
}

Result<Project> TestRailClient::GetProject(int64_t project_id) const {
  NEXUS_ASSIGN_OR_RETURN(json j, Get("get_project/" + std::to_string(project_id)));
  return ParseProject(j);
}

Result<std::vector<Suite>> TestRailClient::GetSuites(int64_t project_id) const {
  return ListAll<Suite>("get_suites/" + std::to_string(project_id), "suites", &ParseSuite);
}

Result<Suite> TestRailClient::GetSuite(int64_t suite_id) const {
  NEXUS_ASSIGN_OR_RETURN(json j, Get("get_suite/" + std::to_string(suite_id)));
  return ParseSuite(j);
}

Result<std::vector<Section>> TestRailClient::GetSections(int64_t project_id,
                                                         std::optional<int64_t> suite_id) const {
  return ListAll<Section>(
      "get_sections/" + std::to_string(project_id) + IntParam("suite_id", suite_id), "sections",
      &ParseSection);
}

Status TestRailClient::ForEachCasesPage(
    const GetCasesRequest& request,
    const std::function<Status(std::vector<Case>& page)>& on_page) const {
  std::string path =
      "get_cases/" + std::to_string(request.project_id) + IntParam("suite_id", request.suite_id) +
      IntParam("section_id", request.section_id) + IntParam("updated_after", request.updated_after);
  return ForEachPage(path, "cases", [&](const json& items) -> Status {
    NEXUS_ASSIGN_OR_RETURN(std::vector<Case> page, ParseArray(items, &ParseCase));
    return on_page(page);
  });
}

Result<std::vector<Case>> TestRailClient::GetCases(const GetCasesRequest& request) const {
  std::vector<Case> all;
  Status st = ForEachCasesPage(request, [&](std::vector<Case>& page) {
    for (Case& c : page) all.push_back(std::move(c));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return all;
}

Result<Case> TestRailClient::GetCase(int64_t case_id) const {
  NEXUS_ASSIGN_OR_RETURN(json j, Get("get_case/" + std::to_string(case_id)));
  return ParseCase(j);
}

Result<std::vector<StatusInfo>> TestRailClient::GetStatuses() const {
  NEXUS_ASSIGN_OR_RETURN(json j, Get("get_statuses"));
  if (!j.is_array()) {
    return MakeTestRailError(TestRailErrorKind::kNotTestRail,
                             "TestRail answered get_statuses with an unexpected response shape "
                             "(not a list).");
  }
  return ParseArray(j, &ParseStatusInfo);
}

Result<User> TestRailClient::GetUserByEmail(std::string_view email) const {
  NEXUS_ASSIGN_OR_RETURN(json j, Get("get_user_by_email&email=" + UrlEncode(email)));
  return ParseUser(j);
}

Result<std::vector<User>> TestRailClient::GetUsers(std::optional<int64_t> project_id) const {
  return ListAll<User>("get_users" + IntParam("project_id", project_id), "users", &ParseUser);
}

namespace {
Result<std::vector<Field>> FieldList(const json& j, const char* method) {
  if (!j.is_array()) {
    return MakeTestRailError(TestRailErrorKind::kNotTestRail,
                             std::string("TestRail answered ") + method +
                                 " with an unexpected response shape (not a list).");
  }
  return ParseArray(j, &ParseField);
}
}  // namespace

Result<std::vector<Field>> TestRailClient::GetResultFields() const {
  NEXUS_ASSIGN_OR_RETURN(json j, Get("get_result_fields"));
  return FieldList(j, "get_result_fields");
}

Result<std::vector<Field>> TestRailClient::GetCaseFields() const {
  NEXUS_ASSIGN_OR_RETURN(json j, Get("get_case_fields"));
  return FieldList(j, "get_case_fields");
}

Result<std::vector<Milestone>> TestRailClient::GetMilestones(int64_t project_id) const {
  return ListAll<Milestone>("get_milestones/" + std::to_string(project_id), "milestones",
                            &ParseMilestone);
}

Result<Milestone> TestRailClient::GetMilestone(int64_t milestone_id) const {
  NEXUS_ASSIGN_OR_RETURN(json j, Get("get_milestone/" + std::to_string(milestone_id)));
  return ParseMilestone(j);
}

Result<Run> TestRailClient::GetRun(int64_t run_id) const {
  NEXUS_ASSIGN_OR_RETURN(json j, Get("get_run/" + std::to_string(run_id)));
  return ParseRun(j);
}

Result<std::vector<Run>> TestRailClient::GetRuns(int64_t project_id,
                                                 const GetRunsFilter& filter) const {
  return ListAll<Run>(
      "get_runs/" + std::to_string(project_id) + FlagParam("is_completed", filter.is_completed) +
          IntParam("suite_id", filter.suite_id) + IntParam("created_after", filter.created_after),
      "runs", &ParseRun);
}

Result<Plan> TestRailClient::GetPlan(int64_t plan_id) const {
  NEXUS_ASSIGN_OR_RETURN(json j, Get("get_plan/" + std::to_string(plan_id)));
  return ParsePlan(j);
}

Result<std::vector<Plan>> TestRailClient::GetPlans(int64_t project_id,
                                                   const GetPlansFilter& filter) const {
  return ListAll<Plan>("get_plans/" + std::to_string(project_id) +
                           FlagParam("is_completed", filter.is_completed) +
                           IntParam("created_after", filter.created_after),
                       "plans", &ParsePlan);
}

Result<std::vector<Test>> TestRailClient::GetTests(int64_t run_id) const {
  return ListAll<Test>("get_tests/" + std::to_string(run_id), "tests", &ParseTest);
}

Result<std::vector<TestResult>> TestRailClient::GetResultsForRun(
    int64_t run_id, std::optional<int64_t> created_after) const {
  return ListAll<TestResult>(
      "get_results_for_run/" + std::to_string(run_id) + IntParam("created_after", created_after),
      "results", &ParseTestResult);
}

Result<Run> TestRailClient::AddRun(int64_t project_id, const AddRunRequest& request) const {
  json body = ToJson(request);
  NEXUS_ASSIGN_OR_RETURN(json j, Post("add_run/" + std::to_string(project_id), body));
  return WriteAnswer(ParseRun(j));
}

Result<Run> TestRailClient::CloseRun(int64_t run_id) const {
  json body = json::object();
  NEXUS_ASSIGN_OR_RETURN(json j, Post("close_run/" + std::to_string(run_id), body));
  return WriteAnswer(ParseRun(j));
}

Result<Plan> TestRailClient::AddPlan(int64_t project_id, const AddPlanRequest& request) const {
  json body = ToJson(request);
  NEXUS_ASSIGN_OR_RETURN(json j, Post("add_plan/" + std::to_string(project_id), body));
  return WriteAnswer(ParsePlan(j));
}

Result<Plan> TestRailClient::ClosePlan(int64_t plan_id) const {
  json body = json::object();
  NEXUS_ASSIGN_OR_RETURN(json j, Post("close_plan/" + std::to_string(plan_id), body));
  return WriteAnswer(ParsePlan(j));
}

Result<std::vector<TestResult>> TestRailClient::AddResultsForCases(
    int64_t run_id, const std::vector<ResultForCase>& results) const {
  json body = ToJson(results);
  NEXUS_ASSIGN_OR_RETURN(json j, Post("add_results_for_cases/" + std::to_string(run_id), body));
  const json* list = j.is_array() ? &j : nullptr;
  if (list == nullptr && j.is_object() && j.contains("results") && j["results"].is_array()) {
    list = &j["results"];
  }
  if (list == nullptr || list->size() != results.size()) {
    return AmbiguousWrite(MakeTestRailError(TestRailErrorKind::kNotTestRail,
                                            "TestRail answered add_results_for_cases with an "
                                            "unexpected response (expected " +
                                                std::to_string(results.size()) + " results)."));
  }
  return WriteAnswer(ParseArray(*list, &ParseTestResult));
}

namespace {

// Counts the results of an add_results_for_cases answer (a plain array, or an object with a
// "results" array) while checking its syntax, without building it: SAX events only.
class ResultCounter : public json::json_sax_t {
 public:
  size_t count() const { return count_; }
  bool shaped() const { return list_depth_ != 0; }

  bool null() override { return Begin(false); }
  bool boolean(bool) override { return Begin(false); }
  bool number_integer(number_integer_t) override { return Begin(false); }
  bool number_unsigned(number_unsigned_t) override { return Begin(false); }
  bool number_float(number_float_t, const string_t&) override { return Begin(false); }
  bool string(string_t&) override { return Begin(false); }
  bool binary(binary_t&) override { return Begin(false); }
  bool start_object(std::size_t) override { return Begin(false) && ++depth_ > 0; }
  bool start_array(std::size_t) override { return Begin(true) && ++depth_ > 0; }
  bool key(string_t& k) override {
    if (depth_ == 1) results_next_ = k == "results";
    return true;
  }
  bool end_object() override { return End(); }
  bool end_array() override { return End(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  // A value (scalar or container) starts at depth_.
  bool Begin(bool is_array) {
    if (open_ && depth_ == list_depth_) ++count_;
    if (is_array && list_depth_ == 0 && (depth_ == 0 || (depth_ == 1 && results_next_))) {
      list_depth_ = depth_ + 1;  // the list: the answer itself, or its "results" member
      open_ = true;
    }
    if (depth_ == 1) results_next_ = false;
    return true;
  }
  bool End() {
    if (depth_ == list_depth_) open_ = false;
    --depth_;
    return true;
  }

  int depth_ = 0;
  int list_depth_ = 0;  // 0 = no list seen
  bool open_ = false;
  size_t count_ = 0;
  bool results_next_ = false;
};

}  // namespace

Status TestRailClient::SendResultsForCases(int64_t run_id, std::string body, size_t count) const {
  ResultCounter counter;
  NEXUS_RETURN_IF_ERROR(Exchange(
      "POST", "add_results_for_cases/" + std::to_string(run_id), std::move(body), options_.retry,
      [&](const std::string& text) {
        counter = ResultCounter();
        return json::sax_parse(text, &counter);
      },
      count));
  if (!counter.shaped() || counter.count() != count)
    return AmbiguousWrite(MakeTestRailError(
        TestRailErrorKind::kNotTestRail,
        "TestRail answered add_results_for_cases with an unexpected "
        "response (expected " +
            std::to_string(count) + " results, got " +
            (counter.shaped() ? std::to_string(counter.count()) : "none") + ")."));
  return Status::Ok();
}

}  // namespace nexus::testrail
