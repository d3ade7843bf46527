// TestRailClient against a scripted transport and a fake clock: retry policy (reads vs
// writes, ambiguous writes), pagination (next links, limit=0 quirk, both get_suites forms),
// error mapping of HTTP answers, request shape (auth, content type), metrics.
#include <gtest/gtest.h>

#include <atomic>

#include "fakes/fake_transport.h"
#include "testrail/client.h"
#include "testrail/errors.h"
#include "testrail/retry_policy.h"

namespace nexus::testrail {
namespace {

using nexus::testing::FakeMonotonicClock;
using nexus::testing::FakeTransport;
using nlohmann::json;

class ClientFakeTest : public ::testing::Test {
 protected:
  std::unique_ptr<TestRailClient> MakeClient(TestRailClientOptions options = {}) {
    TestRailConfig config{"company.testrail.io", "qa@example.com", "SECRET-KEY-123", options};
    auto client = TestRailClient::Create(config, transport_, budgets_, &metrics_);
    EXPECT_TRUE(client.ok()) << client.status().message();
    return std::move(client).value();
  }
  static std::string PathOf(const HttpRequest& r) {
    const std::string prefix = "https://company.testrail.io/index.php?/api/v2/";
    return r.url.rfind(prefix, 0) == 0 ? r.url.substr(prefix.size()) : "BAD:" + r.url;
  }

  FakeMonotonicClock clock_;
  obs::Metrics metrics_;
  RateBudgets budgets_{&clock_, &metrics_, 1};
  FakeTransport transport_;
};

TEST(RetryPolicyTest, Table) {
  using K = TestRailErrorKind;
  using A = RetryAction;
  struct Row {
    K kind;
    bool sent;
    A read;
    A write;
  };
  const Row rows[] = {
      {K::kRateLimited, true, A::kRetry, A::kRetry},
      {K::kMaintenance, true, A::kRetry, A::kRetry},
      {K::kConnectionRefused, false, A::kRetry, A::kRetry},
      {K::kDns, false, A::kReturn, A::kRetry},
      {K::kTimeout, false, A::kRetry, A::kRetry},
      {K::kTimeout, true, A::kRetry, A::kReturnAmbiguous},
      {K::kConnectionReset, true, A::kRetry, A::kReturnAmbiguous},
      {K::kServerError, true, A::kRetry, A::kReturnAmbiguous},
      {K::kAuthFailed, true, A::kReturn, A::kReturn},
      {K::kRejected, true, A::kReturn, A::kReturn},
      {K::kTls, false, A::kReturn, A::kReturn},
      {K::kNotTestRail, true, A::kReturn, A::kReturn},
      {K::kBlockedAddress, false, A::kReturn, A::kReturn},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(DecideRetry(false, r.kind, r.sent), r.read) << ErrorReason(r.kind);
    EXPECT_EQ(DecideRetry(true, r.kind, r.sent), r.write) << ErrorReason(r.kind);
  }
}

TEST_F(ClientFakeTest, SendsBasicAuthAndJsonContentType) {
  transport_.set_handler(
      [](const HttpRequest&) { return FakeTransport::Json(200, R"({"id":7,"name":"R"})"); });
  auto client = MakeClient();
  AddRunRequest req;
  req.suite_id = 3;
  req.name = "Nexus run";
  req.case_ids = {1, 2};
  auto run = client->AddRun(5, req);
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->id, 7);
  auto reqs = transport_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(PathOf(reqs[0]), "add_run/5");
  json body = json::parse(reqs[0].body);
  EXPECT_EQ(body["suite_id"], 3);
  EXPECT_EQ(body["include_all"], false);
  EXPECT_EQ(body["case_ids"], json::array({1, 2}));
  bool auth = false, ctype = false;
  for (const auto& [k, v] : reqs[0].headers) {
    // base64("qa@example.com:SECRET-KEY-123")
    if (k == "Authorization") auth = v == "Basic cWFAZXhhbXBsZS5jb206U0VDUkVULUtFWS0xMjM=";
    if (k == "Content-Type") ctype = v == "application/json";
  }
  EXPECT_TRUE(auth);
  EXPECT_TRUE(ctype);
  EXPECT_EQ(
      metrics_.Value("nexus_testrail_requests_total", {{"method", "add_run"}, {"status", "200"}}),
      1);
}

TEST_F(ClientFakeTest, ReadRetriesServerErrorsThenSucceeds) {
  std::atomic<int> n{0};
  transport_.set_handler([&](const HttpRequest&) {
    if (++n <= 2) return FakeTransport::Json(503, R"({"error":"busy"})");
    return FakeTransport::Json(200, R"({"id":1,"name":"P","suite_mode":3})");
  });
  auto client = MakeClient();
  Result<Project> p = client->GetProject(1);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->suite_mode, 3);
  EXPECT_EQ(transport_.count(), 3u);
  EXPECT_GT(clock_.slept_us(), 0);  // backed off between attempts
  EXPECT_EQ(metrics_.Value("nexus_testrail_requests_total",
                           {{"method", "get_project"}, {"status", "503"}}),
            2);
}

TEST_F(ClientFakeTest, ReadGivesUpAfterMaxAttempts) {
  transport_.set_handler([](const HttpRequest&) {
    return FakeTransport::Fail(TransportErrorKind::kConnectionReset, true);
  });
  TestRailClientOptions options;
  options.retry.max_attempts = 4;
  auto client = MakeClient(options);
  Result<Project> p = client->GetProject(1);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().reason(), "connection_reset");
  EXPECT_EQ(transport_.count(), 4u);
}

TEST_F(ClientFakeTest, WriteOnServerErrorIsAmbiguousAndNotRetried) {
  transport_.set_handler([](const HttpRequest&) { return FakeTransport::Json(502, "{}"); });
  auto client = MakeClient();
  auto r = client->AddRun(1, AddRunRequest{.name = "x"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "ambiguous_write");
  EXPECT_NE(r.status().message().find("may or may not have been applied"), std::string::npos);
  EXPECT_EQ(transport_.count(), 1u);
}

TEST_F(ClientFakeTest, WriteTimeoutAfterSendingIsAmbiguous) {
  transport_.set_handler([](const HttpRequest&) {
    return FakeTransport::Fail(TransportErrorKind::kTimeout, /*sent=*/true);
  });
  auto client = MakeClient();
  auto r = client->AddResultsForCases(9, {ResultForCase{.case_id = 1, .status_id = 1}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "ambiguous_write");
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout);
  EXPECT_EQ(transport_.count(), 1u);
}

TEST_F(ClientFakeTest, WriteRetriedWhenCertainlyNotApplied) {
  std::atomic<int> n{0};
  transport_.set_handler([&](const HttpRequest&) {
    switch (++n) {
      case 1:
        return FakeTransport::Json(429, R"({"error":"API Rate Limit Exceeded"})",
                                   {{"retry-after", "2"}});
      case 2:
        return FakeTransport::Json(409, R"({"error":"maintenance mode"})");
      case 3:
        return FakeTransport::Fail(TransportErrorKind::kConnectionRefused, false);
      case 4:
        return FakeTransport::Fail(TransportErrorKind::kTimeout, /*sent=*/false);
      default:
        return FakeTransport::Json(200, R"({"id":11})");
    }
  });
  auto client = MakeClient();
  auto r = client->CloseRun(11);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(transport_.count(), 5u);
  EXPECT_GE(clock_.slept_us(), 2'000'000);  // honoured Retry-After
  EXPECT_EQ(metrics_.Value("nexus_testrail_429_total"), 1);
}

TEST_F(ClientFakeTest, RateLimitStormNeverReachesCallerWithinLimits) {
  std::atomic<int> n{0};
  transport_.set_handler([&](const HttpRequest&) {
    if (++n % 3 != 0) return FakeTransport::Json(429, R"({"error":"limit"})");  // no header
    return FakeTransport::Json(200, R"([{"id":1,"name":"Passed"}])");
  });
  auto client = MakeClient();
  for (int i = 0; i < 10; ++i) {
    auto s = client->GetStatuses();
    ASSERT_TRUE(s.ok()) << s.status().message();
  }
  EXPECT_EQ(metrics_.Value("nexus_testrail_429_total"), 20);
  EXPECT_GT(metrics_.Value("nexus_testrail_rate_limit_wait_seconds_total"), 0);
}

TEST_F(ClientFakeTest, ErrorMappingOfHttpAnswers) {
  struct Case {
    int status;
    std::string body;
    std::string content_type;
    std::string reason;
    StatusCode code;
    std::string message_part;
  };
  const Case cases[] = {
      {401,
       R"({"error":"Authentication failed: invalid or missing user/password or session cookie."})",
       "application/json", "auth_failed", StatusCode::kRemoteRejected,
       "Authentication failed: TestRail rejected the user or API key."},
      {403,
       R"({"error":"The API is disabled for your installation. It can be enabled in the administration area in TestRail under Administration > Site Settings > API."})",
       "application/json", "api_disabled", StatusCode::kRemoteRejected,
       "The TestRail API is disabled on this instance: enable it under Administration > Site "
       "Settings > API."},
      {403, R"({"error":"You are not allowed to view this project."})", "application/json",
       "permission_denied", StatusCode::kRemoteRejected,
       "You are not allowed to view this project."},
      {400, R"({"error":"Field :suite_id is a required field."})", "application/json", "rejected",
       StatusCode::kRemoteRejected, "Field :suite_id is a required field."},
      {404, R"({"error":"Unknown method 'get_projectz'"})", "application/json", "not_found",
       StatusCode::kRemoteRejected, "does not know the API method 'get_project'"},
      {200, "<html><body>Login</body></html>", "text/html", "not_testrail",
       StatusCode::kUnavailable,
       "answered with an HTML page (HTTP 200), not the TestRail API — check the URL."},
      {404, "<!DOCTYPE html><html>nginx</html>", "text/html", "not_testrail",
       StatusCode::kUnavailable, "HTML page"},
      {200, "not json at all", "text/plain", "not_testrail", StatusCode::kUnavailable,
       "did not answer like the TestRail API"},
      {200, R"({"unexpected":true})", "application/json", "not_testrail", StatusCode::kUnavailable,
       "unexpected response shape"},
      {301, "", "text/html", "not_testrail", StatusCode::kUnavailable, "redirect"},
  };
  TestRailClientOptions options;
  options.retry.max_attempts = 1;
  auto client = MakeClient(options);
  for (const Case& c : cases) {
    transport_.set_handler(
        [&](const HttpRequest&) { return FakeTransport::Raw(c.status, c.content_type, c.body); });
    Result<Project> p = client->GetProject(1);
    ASSERT_FALSE(p.ok()) << c.status << " " << c.body;
    EXPECT_EQ(p.status().reason(), c.reason) << c.body;
    EXPECT_EQ(p.status().code(), c.code) << c.body;
    EXPECT_NE(p.status().message().find(c.message_part), std::string::npos) << p.status().message();
  }
  // Server errors, maintenance: reported after the bounded retries.
  transport_.set_handler([](const HttpRequest&) { return FakeTransport::Json(500, "{}"); });
  EXPECT_EQ(client->GetProject(1).status().reason(), "server_error");
}

TEST_F(ClientFakeTest, NextPagePath) {
  EXPECT_EQ(NextPagePath(json()), std::nullopt);
  EXPECT_EQ(NextPagePath(json("")), std::nullopt);
  EXPECT_EQ(NextPagePath(json("/api/v2/get_cases/1&suite_id=2&limit=250&offset=250")),
            "get_cases/1&suite_id=2&limit=250&offset=250");
  EXPECT_EQ(NextPagePath(json("/index.php?/api/v2/get_runs/1&offset=250")),
            "get_runs/1&offset=250");
  EXPECT_EQ(NextPagePath(json("/api/v2/get_cases/1&limit=0&offset=250")),
            "get_cases/1&limit=250&offset=250");
  EXPECT_EQ(NextPagePath(json("/api/v2/get_cases/1&offset=250&limit=0")),
            "get_cases/1&offset=250&limit=250");
  EXPECT_EQ(NextPagePath(json("/api/v2/get_cases/1&offset=250&limit=01")),
            "get_cases/1&offset=250&limit=01");
}

// Serves get_cases in pages of 2 from 5 cases; the second next link carries limit=0.
FakeTransport::Handler PagedCases(std::vector<std::string>* paths) {
  return [paths](const HttpRequest& r) {
    std::string path = r.url.substr(r.url.find("api/v2/") + 7);
    paths->push_back(path);
    auto page = [](int from, int to, json next) {
      json cases = json::array();
      for (int i = from; i <= to; ++i) {
        cases.push_back({{"id", i}, {"title", "C" + std::to_string(i)}, {"custom_x", i}});
      }
      return json{{"offset", from - 1},
                  {"limit", 2},
                  {"size", cases.size()},
                  {"_links", {{"next", next}, {"prev", nullptr}}},
                  {"cases", cases}}
          .dump();
    };
    if (path == "get_cases/1&suite_id=2") {
      return FakeTransport::Json(200,
                                 page(1, 2, "/api/v2/get_cases/1&suite_id=2&limit=2&offset=2"));
    }
    if (path == "get_cases/1&suite_id=2&limit=2&offset=2") {
      return FakeTransport::Json(200,
                                 page(3, 4, "/api/v2/get_cases/1&suite_id=2&limit=0&offset=4"));
    }
    if (path == "get_cases/1&suite_id=2&limit=250&offset=4") {
      return FakeTransport::Json(200, page(5, 5, nullptr));
    }
    return FakeTransport::Json(400, R"({"error":"bad page request"})");
  };
}

TEST_F(ClientFakeTest, PaginationFollowsNextLinksAndFixesLimitZero) {
  std::vector<std::string> paths;
  transport_.set_handler(PagedCases(&paths));
  auto client = MakeClient();
  Result<std::vector<Case>> cases = client->GetCases({.project_id = 1, .suite_id = 2});
  ASSERT_TRUE(cases.ok()) << cases.status().message();
  ASSERT_EQ(cases->size(), 5u);
  EXPECT_EQ((*cases)[4].id, 5);
  EXPECT_EQ((*cases)[4].custom_fields["custom_x"], 5);
  EXPECT_EQ(paths.size(), 3u);

  // Streaming: pages arrive one at a time; a failing callback stops the iteration.
  paths.clear();
  std::vector<size_t> sizes;
  Status st =
      client->ForEachCasesPage({.project_id = 1, .suite_id = 2}, [&](std::vector<Case>& page) {
        sizes.push_back(page.size());
        return sizes.size() == 2 ? Internal("stop") : Status::Ok();
      });
  EXPECT_EQ(st.message(), "stop");
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 2}));
  EXPECT_EQ(paths.size(), 2u);
}

TEST_F(ClientFakeTest, GetSuitesAcceptsPlainAndPaginatedForms) {
  auto client = MakeClient();
  transport_.set_handler([](const HttpRequest&) {
    return FakeTransport::Json(200,
                               R"([{"id":1,"name":"A"},{"id":2,"name":"B","is_master":true}])");
  });
  auto plain = client->GetSuites(5);
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  ASSERT_EQ(plain->size(), 2u);
  EXPECT_TRUE((*plain)[1].is_master);

  transport_.set_handler([](const HttpRequest& r) {
    if (r.url.find("offset=1") == std::string::npos) {
      return FakeTransport::Json(
          200,
          R"({"offset":0,"limit":1,"size":1,"_links":{"next":"/api/v2/get_suites/5&limit=1&offset=1","prev":null},"suites":[{"id":1,"name":"A"}]})");
    }
    return FakeTransport::Json(
        200,
        R"({"offset":1,"limit":1,"size":1,"_links":{"next":null,"prev":null},"suites":[{"id":2,"name":"B"}]})");
  });
  auto paged = client->GetSuites(5);
  ASSERT_TRUE(paged.ok()) << paged.status().message();
  ASSERT_EQ(paged->size(), 2u);
  EXPECT_EQ((*paged)[1].name, "B");
}

TEST_F(ClientFakeTest, PaginationLoopAndWrongShapesAreNotTestRail) {
  auto client = MakeClient();
  transport_.set_handler([](const HttpRequest&) {
    return FakeTransport::Json(
        200, R"({"_links":{"next":"/api/v2/get_runs/1&offset=0"},"runs":[{"id":1}]})");
  });
  EXPECT_EQ(client->GetRuns(1).status().reason(), "not_testrail");
  transport_.set_handler(
      [](const HttpRequest&) { return FakeTransport::Json(200, R"({"runs":"nope"})"); });
  EXPECT_EQ(client->GetRuns(1).status().reason(), "not_testrail");
  transport_.set_handler([](const HttpRequest&) {
    return FakeTransport::Json(200, R"({"runs":[{"name":"no id"}]})");
  });
  EXPECT_EQ(client->GetRuns(1).status().reason(), "not_testrail");
  transport_.set_handler(
      [](const HttpRequest&) { return FakeTransport::Json(200, R"([{"id":"abc"}])"); });
  EXPECT_EQ(client->GetStatuses().status().reason(), "not_testrail");
}

TEST_F(ClientFakeTest, AddResultsForCasesKeepsRequestOrderAndChecksCount) {
  transport_.set_handler([](const HttpRequest& r) {
    json req = json::parse(r.body);
    json out = json::array();
    int id = 100;
    for (const json& e : req["results"]) {
      out.push_back(
          {{"id", id++}, {"test_id", e["case_id"].get<int>() * 10}, {"status_id", e["status_id"]}});
    }
    return FakeTransport::Json(200, out.dump());
  });
  auto client = MakeClient();
  std::vector<ResultForCase> results = {{.case_id = 3, .status_id = 5, .comment = "boom"},
                                        {.case_id = 1, .status_id = 1, .elapsed = "30s"}};
  auto r = client->AddResultsForCases(9, results);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].test_id, 30);
  EXPECT_EQ((*r)[1].status_id, 1);
  json sent = json::parse(transport_.requests()[0].body);
  EXPECT_EQ(sent["results"][0]["comment"], "boom");
  EXPECT_EQ(sent["results"][1]["elapsed"], "30s");

  // A 2xx that does not read as the answer: most likely applied, so ambiguous (reconcile).
  transport_.set_handler([](const HttpRequest&) { return FakeTransport::Json(200, "[]"); });
  EXPECT_EQ(client->AddResultsForCases(9, results).status().reason(), "ambiguous_write");
  transport_.set_handler([](const HttpRequest&) { return FakeTransport::Json(200, "[{\"id\""); });
  EXPECT_EQ(client->AddResultsForCases(9, results).status().reason(), "ambiguous_write");
  const size_t sent_before = transport_.requests().size();
  EXPECT_EQ(client->AddRun(1, AddRunRequest{.name = "R"}).status().reason(), "ambiguous_write");
  EXPECT_EQ(transport_.requests().size(), sent_before + 1) << "an ambiguous write is not retried";
  // The same unreadable answer to a read is not_testrail.
  EXPECT_EQ(client->GetRun(1).status().reason(), "not_testrail");
}

// The body writer's direct path (issue 16) gives exactly nlohmann's bytes: every control
// character, quotes, backslashes, DEL, multi-byte UTF-8, optional members present or not;
// invalid UTF-8 and custom fields take nlohmann's own path.
TEST(ResultsForCasesBodyTest, DirectWriterMatchesTheJsonLibraryByteForByte) {
  std::string every_control;
  for (int c = 1; c < 0x20; ++c) every_control += static_cast<char>(c);
  const std::vector<std::string> texts = {"",
                                          "plain",
                                          every_control,
                                          "quote \" backslash \\ slash / del \x7f",
                                          "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                                          "bad \xff utf-8",
                                          "truncated \xe2\x82"};
  std::vector<ResultForCase> results;
  int64_t id = 1;
  for (const std::string& t : texts)
    for (const std::string& u : {std::string(), std::string("2.0 \"rc\"")}) {
      ResultForCase r;
      r.case_id = id++;
      r.status_id = id % 3 == 0 ? std::nullopt : std::optional<int64_t>(id % 7);
      r.comment = t;
      r.version = u;
      r.elapsed = id % 2 ? "1m 5s" : "";
      r.defects = id % 4 == 0 ? t : "";
      if (id % 5 == 0) r.assignedto_id = 42;
      if (id % 6 == 0) r.custom_fields = {{"custom_env", t.empty() ? "qa" : "x"}};
      results.push_back(r);
    }
  const std::string body = ResultsForCasesBody(results);
  EXPECT_EQ(body, ToJson(results).dump(-1, ' ', false, json::error_handler_t::replace));
  for (const ResultForCase& r : results)
    EXPECT_EQ(
        ResultsForCasesBody({r}),
        ToJson(std::vector<ResultForCase>{r}).dump(-1, ' ', false, json::error_handler_t::replace))
        << r.case_id;
}

// The export's lean path: the body is ToJson's bytes, the answer is counted, not built.
TEST_F(ClientFakeTest, SendResultsForCasesCountsTheAnswerWithoutBuildingIt) {
  std::vector<ResultForCase> results = {
      {.case_id = 3, .status_id = 5, .comment = "boom \"quoted\"\n\xff", .elapsed = "1m 5s"},
      {.case_id = 1, .status_id = 1, .version = "2.0", .defects = "BUG-1"},
      {.case_id = 2, .status_id = 4, .assignedto_id = 7, .custom_fields = {{"custom_env", "qa"}}}};
  const std::string body = ResultsForCasesBody(results);
  EXPECT_EQ(body, ToJson(results).dump(-1, ' ', false, json::error_handler_t::replace));

  std::string answer;
  transport_.set_handler([&](const HttpRequest&) { return FakeTransport::Json(200, answer); });
  auto client = MakeClient();
  // Nested arrays and objects inside a result are not results.
  answer = R"([{"id":1,"attachment_ids":[1,2,3]},{"id":2,"custom":{"a":[{"b":1}]}},{"id":3}])";
  Status st = client->SendResultsForCases(9, body, 3);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(transport_.requests().back().body, body);
  EXPECT_NE(transport_.requests().back().url.find("add_results_for_cases/9"), std::string::npos);
  answer = R"({"offset":0,"results":[{"id":1},{"id":2},{"id":3}],"other":[1,2,3,4]})";
  EXPECT_TRUE(client->SendResultsForCases(9, body, 3).ok());

  for (std::string bad :
       {std::string("[{\"id\":1},{\"id\":2}]"),  // fewer results
        std::string(R"({"other":[{},{},{}]})"),  // no result list
        std::string(R"({"results":{"a":1,"b":2,"c":3}})"), std::string("[{},{},{}")}) {  // not JSON
    answer = bad;
    Status refused = client->SendResultsForCases(9, body, 3);
    EXPECT_EQ(refused.reason(), "ambiguous_write") << bad;  // a 2xx: most likely applied
  }
  answer = "[{},{}]";
  EXPECT_NE(client->SendResultsForCases(9, body, 3).message().find("expected 3 results, got 2"),
            std::string::npos);
}

TEST_F(ClientFakeTest, PlanRoundTrip) {
  transport_.set_handler([](const HttpRequest&) {
    return FakeTransport::Json(
        200,
        R"({"id":4,"name":"P","entries":[{"id":"3933d74b-4282-4c1f-be62-a641ab427063","suite_id":2,"name":"S","runs":[{"id":8,"suite_id":2,"plan_id":4,"entry_id":"3933d74b-4282-4c1f-be62-a641ab427063"}]}]})");
  });
  auto client = MakeClient();
  AddPlanRequest req{.name = "P", .entries = {{.suite_id = 2, .case_ids = {1}}}};
  auto plan = client->AddPlan(1, req);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->entries.size(), 1u);
  ASSERT_EQ(plan->entries[0].runs.size(), 1u);
  EXPECT_EQ(plan->entries[0].runs[0].plan_id, 4);
  json sent = json::parse(transport_.requests()[0].body);
  EXPECT_EQ(sent["entries"][0]["case_ids"], json::array({1}));
  EXPECT_EQ(sent["entries"][0]["include_all"], false);
}

TEST_F(ClientFakeTest, CreateValidatesConfig) {
  TestRailConfig config{"ftp://x", "u", "k", {}};
  EXPECT_EQ(TestRailClient::Create(config, transport_, budgets_, nullptr).status().field(), "url");
  config.base_url = "x.testrail.io";
  config.user = "";
  EXPECT_EQ(TestRailClient::Create(config, transport_, budgets_, nullptr).status().field(), "user");
  config.user = "u";
  config.api_key = "";
  EXPECT_EQ(TestRailClient::Create(config, transport_, budgets_, nullptr).status().field(),
            "api_key");
}

// Issue 14: result fields with their per-project configs and option text, milestones with
// sub-milestones (paginated), users with the project filter.
TEST_F(ClientFakeTest, ReadsResultFieldsMilestonesAndUsers) {
  transport_.set_handler([](const HttpRequest& r) {
    if (r.url.find("get_result_fields") != std::string::npos)
      return FakeTransport::Json(200, R"([{"id":3,"name":"env","system_name":"custom_env",
        "label":"Env","type_id":6,"is_active":true,"template_ids":[1,2],
        "configs":[{"id":"a","context":{"is_global":false,"project_ids":[1]},
                    "options":{"is_required":true,"items":"1, Staging\n2, Prod"}}]},
        {"id":4,"name":"notes","label":"Notes","type_id":3,"configs":[]}])");
    if (r.url.find("get_milestones/1") != std::string::npos)
      return FakeTransport::Json(200, R"({"offset":0,"limit":250,"size":1,
        "_links":{"next":null,"prev":null},
        "milestones":[{"id":10,"name":"R1","project_id":1,"is_completed":false,
          "milestones":[{"id":11,"name":"S1","project_id":1,"parent_id":10,"is_completed":true}]}]})");
    if (r.url.find("get_users") != std::string::npos)
      return FakeTransport::Json(200, R"({"offset":0,"limit":250,"size":1,"_links":{"next":null},
        "users":[{"id":2,"name":"Q","email":"q@x.io","is_active":true}]})");
    return FakeTransport::Json(400, R"({"error":"Field :milestone_id is not a valid milestone."})");
  });
  auto client = MakeClient();
  auto fields = client->GetResultFields();
  ASSERT_TRUE(fields.ok()) << fields.status().message();
  ASSERT_EQ(fields->size(), 2u);
  EXPECT_EQ((*fields)[0].system_name, "custom_env");
  ASSERT_EQ((*fields)[0].configs.size(), 1u);
  EXPECT_TRUE((*fields)[0].configs[0].is_required);
  EXPECT_EQ((*fields)[0].configs[0].project_ids, std::vector<int64_t>{1});
  EXPECT_EQ((*fields)[0].configs[0].items, "1, Staging\n2, Prod");
  EXPECT_EQ((*fields)[1].system_name, "custom_notes");  // derived when TestRail omits it
  auto ms = client->GetMilestones(1);
  ASSERT_TRUE(ms.ok()) << ms.status().message();
  ASSERT_EQ(ms->size(), 1u);
  ASSERT_EQ((*ms)[0].milestones.size(), 1u);
  EXPECT_EQ((*ms)[0].milestones[0].parent_id, 10);
  EXPECT_TRUE((*ms)[0].milestones[0].is_completed);
  auto users = client->GetUsers(1);
  ASSERT_TRUE(users.ok()) << users.status().message();
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ((*users)[0].email, "q@x.io");
  auto unknown = client->GetMilestone(99);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().reason(), "rejected");
  bool users_with_project = false;
  for (const auto& r : transport_.requests())
    users_with_project = users_with_project || PathOf(r) == "get_users&project_id=1";
  EXPECT_TRUE(users_with_project);
}

// Numbers TestRail could never mean as ids or timestamps (outside int64) are a wrong response
// shape, not a silently wrapped value; converting 1e65 was undefined behaviour (found by
// fuzz_testrail_responses, issue 13).
TEST(TypesTest, NumbersOutsideInt64AreNotTestRail) {
  for (const char* text : {
           R"({"id": 7, "name": "Release", "created_on": 1e65})",
           R"({"id": 7, "name": "Release", "created_on": -1e19})",
           R"({"id": 18446744073709551615, "name": "Release"})",
       }) {
    auto plan = ParsePlan(json::parse(text));
    ASSERT_FALSE(plan.ok()) << text;
    EXPECT_EQ(ErrorKindOf(plan.status()), TestRailErrorKind::kNotTestRail) << text;
  }
  auto in_range = ParsePlan(json::parse(R"({"id": 7, "name": "R", "created_on": 1.7e9})"));
  ASSERT_TRUE(in_range.ok()) << in_range.status().message();
  EXPECT_EQ(in_range->created_on, 1700000000);
  auto max_id = ParseCase(json::parse(R"({"id": 9223372036854775807, "title": "t"})"));
  ASSERT_TRUE(max_id.ok()) << max_id.status().message();
  EXPECT_EQ(max_id->id, INT64_MAX);
}

}  // namespace
}  // namespace nexus::testrail
