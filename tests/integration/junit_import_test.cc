// JUnit imports end to end (R-IMPORT, issue 18): POST /projects/{p}/imports/junit on the real
// server with the in-process TestRail simulator — every JUnit flavour's results, idempotent
// re-posts, links, bad input that writes nothing, export exactly once — and
// `nexus import junit` against the running server (10,000 testcases, run twice) and on a
// local data dir.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "integration/export_test_util.h"
#include "integration/junit_import_service.h"

namespace nexus {
namespace {

using testing::ExportEnv;
using testing::ReadRemote;
using testing::TempDir;
using Json = nlohmann::json;

std::string Fixture(const std::string& name) {
  const char* src = std::getenv("NEXUS_SOURCE_DIR");
  std::ifstream in(std::string(src ? src : ".") + "/tests/imports/fixtures/" + name,
                   std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << name;
  return ss.str();
}

std::string Gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

struct Posted {
  int status = -1;
  Json body;
};

class JUnitImportTest : public ::testing::Test {
 protected:
  void SetUp() override { env_ = std::make_unique<ExportEnv>(6, 0); }

  Posted Post(const std::string& xml, const std::string& query = "", const std::string& token = "",
              const std::string& content_type = "application/xml", httplib::Headers headers = {},
              int64_t project = 0) {
    httplib::Client c("127.0.0.1", env_->h->port());
    c.set_read_timeout(120, 0);
    headers.emplace("Authorization", "Bearer " + (token.empty() ? env_->admin : token));
    std::string path = "/api/v1/projects/" + std::to_string(project ? project : env_->project) +
                       "/imports/junit" + (query.empty() ? "" : "?" + query);
    auto r = c.Post(path, headers, xml, content_type.c_str());
    Posted p;
    if (!r) return p;
    p.status = r->status;
    p.body = Json::parse(r->body, nullptr, false);
    return p;
  }

  std::vector<Execution> Executions() {
    auto e = env_->h->store().ListExecutions(env_->project, PageRequest{0, 1000});
    EXPECT_TRUE(e.ok());
    return e.ok() ? *e : std::vector<Execution>{};
  }
  std::vector<nexus::Test> Tests() {
    auto t = env_->h->store().ListTests(env_->project, PageRequest{0, 1000});
    EXPECT_TRUE(t.ok());
    return t.ok() ? *t : std::vector<nexus::Test>{};
  }
  // Test name → its run of the execution.
  std::map<std::string, nexus::Run> RunsOf(int64_t execution) {
    RunFilter f;
    f.execution_id = execution;
    auto runs = env_->h->store().ListRuns(env_->project, f, PageRequest{0, 1000});
    EXPECT_TRUE(runs.ok());
    std::map<std::string, nexus::Run> out;
    if (!runs.ok()) return out;
    for (const nexus::Run& r : *runs) {
      auto t = env_->h->store().GetTest(env_->project, r.test_id);
      EXPECT_TRUE(t.ok());
      if (t.ok()) out[t->name] = r;
    }
    return out;
  }
  std::set<int64_t> LinksOf(int64_t test) {
    auto links = env_->h->store().ListTestRailLinks(env_->project, {test});
    EXPECT_TRUE(links.ok());
    std::set<int64_t> out;
    if (links.ok())
      for (const auto& l : *links) out.insert(l.case_id);
    return out;
  }

  std::unique_ptr<ExportEnv> env_;
};

std::string Outcome(const nexus::Run& r) {
  return std::string(RunResultName(r.result)) + "/" + std::string(BugLabelName(r.bug_label));
}

TEST_F(JUnitImportTest, EveryFlavourImportsWithTheRightResults) {
  // Fixture case ids C1..C9 are cases of the simulator's catalog.
  std::set<int64_t> catalog(env_->cases_a.begin(), env_->cases_a.end());
  catalog.insert(env_->cases_b.begin(), env_->cases_b.end());
  for (int64_t id = 1; id <= 9; ++id) ASSERT_TRUE(catalog.count(id)) << "C" << id;

  struct Want {
    const char* file;
    int passed, failed, errors, skipped;
  };
  for (const Want& w : {Want{"surefire.xml", 2, 1, 1, 1}, Want{"gradle.xml", 1, 1, 0, 1},
                        Want{"pytest.xml", 2, 1, 1, 1}, Want{"jest.xml", 2, 1, 0, 1},
                        Want{"playwright.xml", 2, 1, 0, 1}, Want{"mocha.xml", 2, 1, 0, 0},
                        Want{"go.xml", 2, 1, 0, 1}}) {
    Posted p = Post(Fixture(w.file), std::string("execution_name=") + w.file);
    ASSERT_EQ(p.status, 201) << w.file << ": " << p.body.dump();
    EXPECT_EQ(p.body["passed"], w.passed) << w.file;
    EXPECT_EQ(p.body["failed"], w.failed) << w.file;
    EXPECT_EQ(p.body["errors"], w.errors) << w.file;
    EXPECT_EQ(p.body["skipped"], w.skipped) << w.file;
    EXPECT_EQ(p.body["testcases"], w.passed + w.failed + w.errors + w.skipped);
    EXPECT_EQ(p.body["already_imported"], false);
    EXPECT_EQ(p.body["execution_name"], w.file);
    auto e = env_->h->store().GetExecution(env_->project, p.body["execution_id"].get<int64_t>());
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->state, ExecutionState::kCompleted);
    EXPECT_EQ(static_cast<int>(e->test_ids.size()), p.body["testcases"].get<int>());
  }
  // Results by flavour (outcome mapping of the issue).
  int64_t first_execution = INT64_MAX;
  for (const Execution& e : Executions()) first_execution = std::min(first_execution, e.id);
  auto sure = RunsOf(first_execution);  // surefire.xml, the first import
  ASSERT_EQ(sure.size(), 5u);
  EXPECT_EQ(Outcome(sure.at("com.shop.CartTest › addsItem_C1")), "Success/NoBug");
  EXPECT_EQ(Outcome(sure.at("com.shop.CartTest › removesItem")), "Success/DefinitelyBug");
  EXPECT_EQ(Outcome(sure.at("com.shop.CartTest › totalsWithTax")), "Error/Undecided");
  EXPECT_EQ(Outcome(sure.at("com.shop.CartTest › appliesCoupon")), "Stopped/Undecided");
  EXPECT_EQ(Outcome(sure.at("com.shop.CartTest › retriesPayment")), "Success/NoBug");
  const nexus::Run& failed = sure.at("com.shop.CartTest › removesItem");
  EXPECT_NE(failed.summary.find("AssertionFailedError"), std::string::npos) << failed.summary;
  EXPECT_NE(failed.summary.find("--- system-out ---\nremoving item 42"), std::string::npos);
  const nexus::Run& slow = sure.at("com.shop.CartTest › totalsWithTax");
  EXPECT_EQ(*slow.finished_at - slow.started_at, 1204500);  // time="1,204.5"

  std::map<std::string, int64_t> test_id;
  for (const nexus::Test& t : Tests()) test_id[t.name] = t.id;
  EXPECT_EQ(test_id.size(), 5u + 3 + 5 + 4 + 4 + 3 + 4);
  EXPECT_EQ(LinksOf(test_id.at("com.shop.CartTest › addsItem_C1")), std::set<int64_t>{1});
  EXPECT_EQ(LinksOf(test_id.at("com.shop.CheckoutTest › paysByCard() C2")), std::set<int64_t>{2});
  EXPECT_EQ(LinksOf(test_id.at("tests.test_login › test_login_ok")), (std::set<int64_t>{3, 4}));
  EXPECT_EQ(LinksOf(test_id.at("Cart adds an item C5")), std::set<int64_t>{5});
  EXPECT_EQ(LinksOf(test_id.at("login.spec.ts › login › shows the form @C6")),
            std::set<int64_t>{6});
  EXPECT_EQ(LinksOf(test_id.at("login.spec.ts › login › rejects a wrong password")),
            std::set<int64_t>{7});
  // mocha-junit-reporter: the name holds the classname, so it is the test's name.
  EXPECT_EQ(LinksOf(test_id.at("Login C8 logs in with a valid user")), std::set<int64_t>{8});
  EXPECT_EQ(LinksOf(test_id.at("example.com/shop/cart › TestRemove/C9_last_item")),
            std::set<int64_t>{9});
  EXPECT_EQ(LinksOf(test_id.at("example.com/shop/cart › TestAdd")), std::set<int64_t>{});
}

TEST_F(JUnitImportTest, RepostingTheSameReportReturnsTheFirstImport) {
  std::string xml = Fixture("pytest.xml");
  Posted first = Post(xml, "execution_name=nightly");
  ASSERT_EQ(first.status, 201) << first.body.dump();
  EXPECT_EQ(first.body["tests_created"], 5);
  EXPECT_EQ(first.body["links_added"], 2);
  Posted again = Post(xml, "execution_name=nightly");
  ASSERT_EQ(again.status, 200) << again.body.dump();
  EXPECT_EQ(again.body["already_imported"], true);
  EXPECT_EQ(again.body["id"], first.body["id"]);
  EXPECT_EQ(again.body["execution_id"], first.body["execution_id"]);
  // Compressed, it is the same report.
  Posted gz = Post(Gzip(xml), "execution_name=nightly", "", "application/xml",
                   {{"Content-Encoding", "gzip"}});
  ASSERT_EQ(gz.status, 200) << gz.body.dump();
  EXPECT_EQ(gz.body["execution_id"], first.body["execution_id"]);
  EXPECT_EQ(Executions().size(), 1u);
  // Another name is another execution of the same tests.
  Posted other = Post(xml, "execution_name=nightly-2");
  ASSERT_EQ(other.status, 201) << other.body.dump();
  EXPECT_NE(other.body["execution_id"], first.body["execution_id"]);
  EXPECT_EQ(other.body["tests_created"], 0);
  EXPECT_EQ(other.body["links_added"], 0);
  EXPECT_EQ(Executions().size(), 2u);
  EXPECT_EQ(Tests().size(), 5u);
  // The default name, and a changed report under a used name: new executions.
  Posted unnamed = Post(xml);
  ASSERT_EQ(unnamed.status, 201);
  EXPECT_EQ(unnamed.body["execution_name"], "JUnit import");
  Posted changed = Post(xml + "\n", "execution_name=nightly");
  ASSERT_EQ(changed.status, 201);
  EXPECT_EQ(Executions().size(), 4u);
  // Imports under one name share one plan, which lists their tests.
  EXPECT_EQ(changed.body["plan_id"], first.body["plan_id"]);
  auto plan = env_->h->store().GetPlan(env_->project, first.body["plan_id"].get<int64_t>());
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->name, "nightly");
  EXPECT_EQ(plan->test_ids.size(), 5u);
}

TEST_F(JUnitImportTest, AttributesAndBuildGoOnEveryRun) {
  Posted p =
      Post(Fixture("go.xml"),
           "execution_name=ps5&build=1.4.2&attributes=platform%3DPS5&attributes=device=devkit-7");
  ASSERT_EQ(p.status, 201) << p.body.dump();
  auto runs = RunsOf(p.body["execution_id"].get<int64_t>());
  ASSERT_EQ(runs.size(), 4u);
  for (const auto& [name, run] : runs) {
    EXPECT_EQ(run.attributes, (RunAttributes{{"device", "devkit-7"}, {"platform", "PS5"}})) << name;
    EXPECT_EQ(run.build, "1.4.2");
  }
  RunFilter f;
  f.attribute = {"platform", "PS5"};
  auto filtered = env_->h->store().ListRuns(env_->project, f, PageRequest{0, 100});
  ASSERT_TRUE(filtered.ok());
  EXPECT_EQ(filtered->size(), 4u);
}

TEST_F(JUnitImportTest, LinksAreAddedNeverRemoved) {
  Posted first = Post(
      "<testsuite><testcase classname='shop' name='pays C1'/>"
      "<testcase classname='shop' name='ships'><properties><property name='testrail_case_id' "
      "value='C2'/></properties></testcase></testsuite>");
  ASSERT_EQ(first.status, 201) << first.body.dump();
  std::map<std::string, int64_t> id;
  for (const nexus::Test& t : Tests()) id[t.name] = t.id;
  // A link made in the UI.
  ASSERT_TRUE(env_->h->store()
                  .ReplaceTestRailLinks(env_->project, id.at("shop › ships"), "", {2, 3}, 1)
                  .ok());
  // A later report without the property: the test is the same, its links stay.
  Posted second = Post("<testsuite><testcase classname='shop' name='ships'/></testsuite>");
  ASSERT_EQ(second.status, 201) << second.body.dump();
  EXPECT_EQ(second.body["tests_created"], 0);
  EXPECT_EQ(LinksOf(id.at("shop › ships")), (std::set<int64_t>{2, 3}));
  EXPECT_EQ(LinksOf(id.at("shop › pays C1")), std::set<int64_t>{1});
  EXPECT_EQ(Tests().size(), 2u);
}

TEST_F(JUnitImportTest, BadInputIsRefusedAndWritesNothing) {
  struct Bad {
    std::string xml, query, content_type;
    int status;
    std::string code, message_part;
  };
  const std::string ok = "<testsuite><testcase name='a C1'/></testsuite>";
  const Bad cases[] = {
      {"<testsuite>\n<testcase name='a'>\n</testsuite>", "", "application/xml", 400,
       "invalid_junit", "line 3: malformed XML (mismatched tag)"},
      {"<testsuite>\n<testcase name='a C1'/>\n<testcase name='pays C99999'/></testsuite>", "",
       "application/xml", 400, "unknown_case",
       "line 3: testcase \"pays C99999\": case C99999 is not in the project's TestRail catalog"},
      {"<testsuite/>", "", "application/xml", 400, "invalid_junit", "no testcases"},
      {ok, "", "text/plain", 415, "unsupported_media_type", "application/xml"},
      {ok, "", "application/json", 415, "unsupported_media_type", "application/xml"},
      {ok, "exprot=true", "application/xml", 400, "unknown_field", "exprot"},
      {ok, "export=yes", "application/xml", 400, "invalid_value", "export must be true or false"},
      {ok, "execution_name=%20", "application/xml", 400, "invalid_value", "blank"},
      {ok, "execution_name=" + std::string(251, 'n'), "application/xml", 400, "invalid_value",
       "at most 250"},
      {Gzip(ok).substr(0, 20), "", "application/gzip", 400, "invalid_gzip", "gzip"},
      {ok, "attributes=platform", "application/xml", 400, "invalid_value", "key=value"},
      {ok, "attributes=plat%20form%3DPS5", "application/xml", 400, "invalid_value",
       "attribute names are 1-64 characters"},
  };
  for (const auto& b : cases) {
    Posted p = Post(b.xml, b.query, "", b.content_type);
    EXPECT_EQ(p.status, b.status) << b.message_part << ": " << p.body.dump();
    EXPECT_EQ(p.body["error"]["code"], b.code) << p.body.dump();
    EXPECT_NE(p.body["error"]["message"].get<std::string>().find(b.message_part), std::string::npos)
        << p.body.dump();
  }
  EXPECT_EQ(Post(ok, "", "", "application/xml", {}, 424242).status, 404);
  EXPECT_EQ(Post(ok, "", env_->viewer).status, 403);  // viewers cannot create runs
  Posted br = Post(ok, "", "", "application/xml", {{"Content-Encoding", "br"}});
  EXPECT_EQ(br.status, 415) << br.body.dump();
  EXPECT_TRUE(Executions().empty());
  EXPECT_TRUE(Tests().empty());
  auto plans = env_->h->store().ListPlans(env_->project, PageRequest{0, 10});
  ASSERT_TRUE(plans.ok());
  EXPECT_TRUE(plans->empty());
}

TEST_F(JUnitImportTest, ExportTrueExportsExactlyOnce) {
  std::string xml = Fixture("jest.xml");  // C5 linked: one case in suite A
  Posted first = Post(xml, "execution_name=ci-1&export=true");
  ASSERT_EQ(first.status, 201) << first.body.dump();
  ASSERT_TRUE(first.body["export"].is_object()) << first.body.dump();
  EXPECT_EQ(first.body["export"]["state"], "succeeded") << first.body.dump();
  EXPECT_EQ(first.body["export"]["results_sent"], 1);
  EXPECT_TRUE(first.body["export"]["testrail_url"].is_string());
  Posted again = Post(xml, "execution_name=ci-1&export=true");
  ASSERT_EQ(again.status, 200) << again.body.dump();
  EXPECT_EQ(again.body["already_imported"], true);
  EXPECT_EQ(again.body["export"]["already_exported"], true);
  EXPECT_EQ(again.body["export"]["id"], first.body["export"]["id"]);
  testing::ExpectExactlyOnce(ReadRemote(*env_->client), 1, false);
  EXPECT_EQ(Executions().size(), 1u);
}

// R-IMPORT "configurable per import": result_map overrides what each outcome becomes.
TEST(JUnitResultMapTest, ParsesOverridesAndNamesWhatIsWrong) {
  using integration::JUnitResultMap;
  using integration::ParseJUnitResultMap;
  auto m = ParseJUnitResultMap("failure=Success/LikelyBug,error=Error,skipped=Success");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->failure, (JUnitResultMap::Target{RunResult::kSuccess, BugLabel::kLikelyBug}));
  EXPECT_EQ(m->error, (JUnitResultMap::Target{RunResult::kError, BugLabel::kUndecided}));
  EXPECT_EQ(m->skipped, (JUnitResultMap::Target{RunResult::kSuccess, BugLabel::kNoBug}));
  EXPECT_EQ(m->passed, JUnitResultMap().passed);  // not named: the default
  auto empty = ParseJUnitResultMap("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, JUnitResultMap());
  const std::pair<std::string, std::string> bad[] = {
      {"failed=Success", "unknown outcome 'failed'"},
      {"failure=Sucess", "unknown run result 'Sucess' for failure"},
      {"error=Error/Bug", "unknown bug label 'Bug' for error"},
      {"skipped=Stopped,skipped=Error", "outcome 'skipped' is given twice"},
      {"failure", "'failure' is not outcome=Result"},
      {"failure=Success,", "empty entry"},
      {"failure=Success,,error=Error", "'' is not outcome=Result"},
  };
  for (const auto& [spec, message] : bad) {
    auto r = ParseJUnitResultMap(spec);
    ASSERT_FALSE(r.ok()) << spec;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << spec;
    EXPECT_EQ(r.status().field(), "result_map") << spec;
    EXPECT_NE(r.status().message().find(message), std::string::npos) << r.status().message();
  }
}

TEST_F(JUnitImportTest, ResultMapOverridesTheOutcomesOfOneImport) {
  const std::string xml =
      "<testsuite name=\"m\"><testcase classname=\"m.T\" name=\"ok\"/>"
      "<testcase classname=\"m.T\" name=\"fails\"><failure message=\"x\"/></testcase>"
      "<testcase classname=\"m.T\" name=\"errs\"><error message=\"y\"/></testcase>"
      "<testcase classname=\"m.T\" name=\"skips\"><skipped/></testcase></testsuite>";
  // A bad map: 400 naming the unknown label, nothing written.
  Posted bad = Post(xml, "execution_name=mapped&result_map=failure%3DSuccess%2FMaybeBug");
  EXPECT_EQ(bad.status, 400) << bad.body.dump();
  EXPECT_EQ(bad.body["error"]["field"], "result_map") << bad.body.dump();
  EXPECT_NE(bad.body["error"]["message"].get<std::string>().find("'MaybeBug'"), std::string::npos)
      << bad.body.dump();
  EXPECT_TRUE(Executions().empty());
  EXPECT_TRUE(Tests().empty());

  Posted p = Post(xml,
                  "execution_name=mapped&result_map=failure%3DSuccess%2FLikelyBug%2C"
                  "error%3DStopped%2FLikelyNoBug%2Cskipped%3DSuccess");
  ASSERT_EQ(p.status, 201) << p.body.dump();
  auto runs = RunsOf(p.body["execution_id"].get<int64_t>());
  EXPECT_EQ(Outcome(runs["m.T \xE2\x80\xBA ok"]), "Success/NoBug");
  EXPECT_EQ(Outcome(runs["m.T \xE2\x80\xBA fails"]), "Success/LikelyBug");
  EXPECT_EQ(Outcome(runs["m.T \xE2\x80\xBA errs"]), "Stopped/LikelyNoBug");
  EXPECT_EQ(Outcome(runs["m.T \xE2\x80\xBA skips"]), "Success/NoBug");
  // Another import without a map: the defaults again (the map belongs to one import).
  Posted d = Post(xml, "execution_name=default");
  ASSERT_EQ(d.status, 201) << d.body.dump();
  auto defaults = RunsOf(d.body["execution_id"].get<int64_t>());
  EXPECT_EQ(Outcome(defaults["m.T \xE2\x80\xBA fails"]), "Success/DefinitelyBug");
  EXPECT_EQ(Outcome(defaults["m.T \xE2\x80\xBA errs"]), "Error/Undecided");
  EXPECT_EQ(Outcome(defaults["m.T \xE2\x80\xBA skips"]), "Stopped/Undecided");
}

// ---- The CLI.

struct CliResult {
  int exit_code = -1;
  std::string out;
};

CliResult RunNexus(const std::string& args) {
  CliResult r;
  FILE* p = popen((testing::NexusBinary() + " --log-level error " + args + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// The Done-when of issue 18: a 10,000-testcase report, every testcase linked to its own case,
// imported and exported by `nexus import junit --server --token --export`; run twice: one
// execution, one TestRail run, one result per case.
TEST(JUnitImportCliTest, TenThousandTestcasesExportExactlyOnceFromTheCli) {
  constexpr int kCases = 10000;
  ExportEnv env(kCases, 0);
  TempDir dir;
  std::string xml = "<?xml version=\"1.0\"?>\n<testsuites>\n<testsuite name=\"big\">\n";
  for (int i = 0; i < kCases; ++i)
    xml += "<testcase classname=\"shop.Big\" name=\"case " + std::to_string(i) + " C" +
           std::to_string(env.cases_a[static_cast<size_t>(i)]) + "\" time=\"0.01\"/>\n";
  xml += "</testsuite>\n</testsuites>\n";
  const std::string file = dir.path() + "/big.xml";
  WriteFile(file, xml);
  const std::string args = "import junit " + file +
                           " --server http://127.0.0.1:" + std::to_string(env.h->port()) +
                           " --token " + env.admin + " --project " + std::to_string(env.project) +
                           " --execution-name nightly --export --json";
  CliResult first = RunNexus(args);
  ASSERT_EQ(first.exit_code, 0) << first.out.substr(0, 2000);
  Json j1 = Json::parse(first.out, nullptr, false);
  ASSERT_TRUE(j1.is_object()) << first.out.substr(0, 2000);
  EXPECT_EQ(j1["testcases"], kCases);
  EXPECT_EQ(j1["links_added"], kCases);
  EXPECT_EQ(j1["export"]["state"], "succeeded");
  EXPECT_EQ(j1["export"]["results_sent"], kCases);

  CliResult second = RunNexus(args);
  ASSERT_EQ(second.exit_code, 0) << second.out.substr(0, 2000);
  Json j2 = Json::parse(second.out, nullptr, false);
  ASSERT_TRUE(j2.is_object());
  EXPECT_EQ(j2["already_imported"], true);
  EXPECT_EQ(j2["execution_id"], j1["execution_id"]);
  EXPECT_EQ(j2["export"]["already_exported"], true);

  auto executions = env.h->store().ListExecutions(env.project, PageRequest{0, 10});
  ASSERT_TRUE(executions.ok());
  EXPECT_EQ(executions->size(), 1u);
  testing::ExpectExactlyOnce(ReadRemote(*env.client), kCases, false);
}

TEST(JUnitImportCliTest, LocalDataDirCombinesFilesAndNamesTheBadOne) {
  TempDir data;
  int64_t project = 0;
  {
    testing::ApiHarness h([&](app::Config& c) { c.data_dir = data.path(); });
    std::string admin = h.CreateUserToken("admin@nexus.test", true);
    auto p = h.Post("/api/v1/projects", admin, {{"name", "Local"}});
    ASSERT_EQ(p.status, 201);
    project = p.body["id"].get<int64_t>();
  }
  TempDir dir;
  const std::string a = dir.path() + "/TEST-a.xml", b = dir.path() + "/go.xml",
                    bad = dir.path() + "/bad.xml";
  WriteFile(a, Fixture("gradle.xml"));
  std::string go = Fixture("go.xml");
  go.replace(go.find("C9_last_item"), 12, "last_item");  // no catalog in this project
  WriteFile(b, go);
  WriteFile(bad, "<?xml version=\"1.0\"?>\n<testsuite>\n<testcase name=\"x\">\n</testsuite>\n");
  const std::string common =
      " --project " + std::to_string(project) + " --data-dir " + data.path() + " --json";
  // gradle.xml names C2, which this project's (empty) catalog does not know.
  CliResult unknown = RunNexus("import junit " + a + " " + b + common);
  EXPECT_EQ(unknown.exit_code, 2) << unknown.out;
  EXPECT_NE(unknown.out.find(a + ": line 4: testcase \"paysByCard() C2\": case C2 is not in"),
            std::string::npos)
      << unknown.out;
  CliResult malformed = RunNexus("import junit " + b + " " + bad + common);  // bad.xml second
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_NE(malformed.out.find(bad + ": line 4: malformed XML"), std::string::npos)
      << malformed.out;
  CliResult one = RunNexus("import junit " + bad + common);
  EXPECT_EQ(one.exit_code, 2);
  EXPECT_NE(one.out.find(bad + ": line 4: malformed XML"), std::string::npos) << one.out;

  WriteFile(a, "<testsuite name='a'><testcase classname='a' name='ok'/></testsuite>");
  CliResult r = RunNexus("import junit " + a + " " + b + common);
  EXPECT_EQ(r.exit_code, 1) << r.out;  // go.xml has a failure
  Json j = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["testcases"], 5);
  EXPECT_EQ(j["passed"], 3);
  EXPECT_EQ(j["failed"], 1);
  EXPECT_EQ(j["skipped"], 1);
  CliResult passed = RunNexus("import junit " + a + common);
  EXPECT_EQ(passed.exit_code, 0) << passed.out;
  CliResult neither = RunNexus("import junit " + a + " --project 1");
  EXPECT_EQ(neither.exit_code, 2);

  // --result-map: checked before anything is read or written, then applied to the runs.
  CliResult bad_map = RunNexus("import junit " + b + " --execution-name mapped --result-map " +
                               "failure=Nope" + common);
  EXPECT_EQ(bad_map.exit_code, 2) << bad_map.out;
  EXPECT_NE(bad_map.out.find("--result-map: result_map: unknown run result 'Nope' for failure"),
            std::string::npos)
      << bad_map.out;
  CliResult mapped = RunNexus("import junit " + b + " --execution-name mapped --result-map " +
                              "failure=Success/LikelyBug,skipped=Success" + common);
  EXPECT_EQ(mapped.exit_code, 1) << mapped.out;  // the exit code follows the JUnit outcomes
  Json mj = Json::parse(mapped.out, nullptr, false);
  ASSERT_TRUE(mj.is_object()) << mapped.out;
  auto store = OpenSqliteStore(data.path() + "/nexus.db");
  ASSERT_TRUE(store.ok());
  RunFilter f;
  f.execution_id = mj["execution_id"].get<int64_t>();
  auto runs = (*store)->ListRuns(project, f, PageRequest{0, 100});
  ASSERT_TRUE(runs.ok());
  std::multiset<std::string> outcomes;
  for (const auto& run : *runs)
    outcomes.insert(std::string(RunResultName(run.result)) + "/" +
                    std::string(BugLabelName(run.bug_label)));
  EXPECT_EQ(outcomes.count("Success/LikelyBug"), 1u);  // go.xml: one failure
  EXPECT_EQ(outcomes.count("Stopped/Undecided"), 0u);  // its skipped one is Success now
  EXPECT_EQ(outcomes.count("Success/DefinitelyBug"), 0u);
}

}  // namespace
}  // namespace nexus
