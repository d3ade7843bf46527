// TestRail catalog and links end to end: the real Nexus server (App on 127.0.0.1:0) against
// the in-process TestRail simulator. Sync (full, incremental, failed), search, section tree,
// test- and step-level links and their states (synced / outdated / missing), permissions
// and bad input.
#include <gtest/gtest.h>
#include <httplib.h>

#include <ctime>
#include <string>

#include "api/api_harness.h"
#include "simulator.h"

namespace nexus {
namespace {

using testing::ApiHarness;
using testing::HttpResult;
using Json = nlohmann::json;

class CatalogLinksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testrail_sim::SimulatorOptions so;
    testrail_sim::GenerateSpec spec;
    spec.projects = 1;
    spec.suites = 3;
    spec.sections = sections_per_suite_;
    spec.cases = cases_per_suite_;
    so.generate = spec;
    sim_ = std::make_unique<testrail_sim::Simulator>(so);
    std::string error;
    ASSERT_TRUE(sim_->Start(&error)) << error;
    // TestRail's clock, later than the generated data, advanced by the tests.
    sim_now_ = std::time(nullptr) + 1000;
    sim_->model().SetClock([this] { return sim_now_.load(); });

    h_ = std::make_unique<ApiHarness>([](app::Config& c) {
      c.testrail_allow_private = true;
      c.testrail_request_timeout_ms = 2000;
      c.testrail_connect_timeout_ms = 2000;
      c.catalog_sync_interval_ms = 0;
    });
    admin_ = h_->CreateUserToken("admin@nexus.test", true);
    int64_t viewer_id = 0, editor_id = 0;
    viewer_ = h_->CreateUserToken("viewer@nexus.test", false, &viewer_id);
    editor_ = h_->CreateUserToken("editor@nexus.test", false, &editor_id);
    auto p = h_->Post("/api/v1/projects", admin_, {{"name", "Shop"}});
    ASSERT_EQ(p.status, 201) << p.raw;
    project_ = p.body["id"];
    pbase_ = "/api/v1/projects/" + std::to_string(project_);
    tr_ = pbase_ + "/testrail";
    ASSERT_EQ(
        h_->Put(pbase_ + "/members/" + std::to_string(viewer_id), admin_, {{"role", "viewer"}})
            .status,
        200);
    ASSERT_EQ(
        h_->Put(pbase_ + "/members/" + std::to_string(editor_id), admin_, {{"role", "editor"}})
            .status,
        200);
    ASSERT_EQ(h_->Put(pbase_ + "/features", admin_, {{"testrail", true}}).status, 200);
    auto c = h_->Put(tr_ + "/connection", admin_,
                     {{"url", sim_->base_url()},
                      {"user", testrail_sim::kDefaultEmail},
                      {"api_key", testrail_sim::kDefaultApiKey}});
    ASSERT_EQ(c.status, 200) << c.raw;
    auto projects = h_->Get(tr_ + "/remote/projects", admin_);
    ASSERT_EQ(projects.status, 200) << projects.raw;
    int64_t trp = projects.body["items"][0]["id"];
    ASSERT_EQ(h_->Put(tr_ + "/project", admin_, {{"testrail_project_id", trp}}).status, 200);
    auto suites = h_->Get(tr_ + "/remote/suites", admin_);
    ASSERT_EQ(suites.status, 200) << suites.raw;
    ASSERT_GE(suites.body["items"].size(), 2u);
    s1_ = suites.body["items"][0]["id"];
    s2_ = suites.body["items"][1]["id"];
    SelectSuites({s1_, s2_});
    auto t =
        h_->Post(pbase_ + "/tests", admin_,
                 {{"name", "Checkout"}, {"steps", {{{"goal", "Open cart"}}, {{"goal", "Pay"}}}}});
    ASSERT_EQ(t.status, 201) << t.raw;
    test_id_ = t.body["id"];
    test_ = t.body;
    links_ = pbase_ + "/tests/" + std::to_string(test_id_) + "/testrail-links";
  }

  void SelectSuites(const std::vector<int64_t>& ids) {
    auto r = h_->Put(tr_ + "/suites", admin_, {{"suite_ids", ids}});
    ASSERT_EQ(r.status, 200) << r.raw;
    Sync();
  }

  Json Sync(const std::string& mode = "auto", int want_status = 200) {
    auto r = h_->Post(tr_ + "/catalog/sync?wait=1", editor_, {{"mode", mode}});
    EXPECT_EQ(r.status, want_status) << r.raw;
    return r.body;
  }

  // Cases of a suite as the picker sees them.
  Json Cases(const std::string& query) {
    auto r = h_->Get(tr_ + "/cases?" + query, viewer_);
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body["items"];
  }

  Json LinkOf(const Json& items, int64_t case_id) {
    for (const auto& l : items)
      if (l["case_id"] == case_id) return l;
    return Json();
  }

  int sections_per_suite_ = 3;
  int cases_per_suite_ = 20;
  std::unique_ptr<testrail_sim::Simulator> sim_;
  std::atomic<int64_t> sim_now_{0};
  std::unique_ptr<ApiHarness> h_;
  std::string admin_, viewer_, editor_;
  int64_t project_ = 0, s1_ = 0, s2_ = 0, test_id_ = 0;
  Json test_;
  std::string pbase_, tr_, links_;
};

TEST_F(CatalogLinksTest, CatalogStateSectionsAndSearch) {
  auto cat = h_->Get(tr_ + "/catalog", viewer_);
  ASSERT_EQ(cat.status, 200) << cat.raw;
  EXPECT_EQ(cat.body["state"], "ok");
  EXPECT_EQ(cat.body["counts"]["cases"], 40);
  EXPECT_EQ(cat.body["counts"]["sections"].get<int>() > 0, true);
  EXPECT_TRUE(cat.body["last_full_sync_at"].is_string());

  auto secs = h_->Get(tr_ + "/sections?suite_id=" + std::to_string(s1_), viewer_);
  ASSERT_EQ(secs.status, 200) << secs.raw;
  ASSERT_FALSE(secs.body["items"].empty());
  EXPECT_EQ(secs.body["items"][0]["depth"], 0);
  for (const auto& s : secs.body["items"]) EXPECT_EQ(s["suite_id"], s1_);

  Json all = Cases("suite_id=" + std::to_string(s1_) + "&limit=250");
  ASSERT_EQ(all.size(), 20u);
  Json first = all[0];
  int64_t cid = first["id"];
  // By id, with or without C.
  Json byc = Cases("q=C" + std::to_string(cid));
  ASSERT_EQ(byc.size(), 1u);
  EXPECT_EQ(byc[0]["id"], cid);
  EXPECT_EQ(Cases("q=" + std::to_string(cid))[0]["id"], cid);
  EXPECT_FALSE(byc[0]["section_path"].get<std::string>().empty());
  // By title: unique title after a rename in TestRail + sync.
  ASSERT_TRUE(sim_->UpdateCaseTitle(cid, "Zebra Checkout flow"));
  Sync("incremental");
  Json byt = Cases("q=zebra%20CHECK");
  ASSERT_EQ(byt.size(), 1u);
  EXPECT_EQ(byt[0]["id"], cid);
  EXPECT_EQ(byt[0]["title"], "Zebra Checkout flow");
  // Ranking: exact title first.
  ASSERT_TRUE(sim_->UpdateCaseTitle(all[1]["id"], "zebra"));
  Sync("incremental");
  Json rank = Cases("q=zebra");
  ASSERT_EQ(rank.size(), 2u);
  EXPECT_EQ(rank[0]["id"], all[1]["id"]);
  // Unselected suite: not searchable, 400 when asked for.
  auto bad = h_->Get(tr_ + "/cases?suite_id=999999", viewer_);
  EXPECT_EQ(bad.status, 400) << bad.raw;
  // Pagination.
  auto p1 = h_->Get(tr_ + "/cases?limit=15", viewer_);
  ASSERT_EQ(p1.status, 200);
  ASSERT_TRUE(p1.body["next_cursor"].is_string());
  auto p2 =
      h_->Get(tr_ + "/cases?limit=50&cursor=" + p1.body["next_cursor"].get<std::string>(), viewer_);
  EXPECT_EQ(p2.body["items"].size(), 25u);
  EXPECT_TRUE(p2.body["next_cursor"].is_null());
}

TEST_F(CatalogLinksTest, LinkStatesFollowTestRail) {
  Json c1 = Cases("suite_id=" + std::to_string(s1_));
  Json c2 = Cases("suite_id=" + std::to_string(s2_));
  int64_t a = c1[0]["id"], b = c1[1]["id"], d = c2[0]["id"];
  auto put = h_->Put(links_, editor_, {{"case_ids", {a, b, a, d}}});
  ASSERT_EQ(put.status, 200) << put.raw;
  ASSERT_EQ(put.body["items"].size(), 3u);  // duplicates collapsed
  for (const auto& l : put.body["items"]) {
    EXPECT_EQ(l["state"], "synced") << l;
    EXPECT_TRUE(l["reason"].is_null());
    EXPECT_TRUE(l["last_export"].is_null());
    EXPECT_TRUE(l["linked_at"].is_string());
  }
  EXPECT_EQ(LinkOf(put.body["items"], a)["title"], c1[0]["title"]);
  // Test list shows the count — each test its own, counted for the whole page in one read.
  auto other = h_->Post(pbase_ + "/tests", admin_, {{"name", "Refund"}});
  ASSERT_EQ(other.status, 201) << other.raw;
  auto none = h_->Post(pbase_ + "/tests", admin_, {{"name", "Browse"}});
  ASSERT_EQ(none.status, 201) << none.raw;
  std::string other_links =
      pbase_ + "/tests/" + std::to_string(int64_t{other.body["id"]}) + "/testrail-links";
  ASSERT_EQ(h_->Put(other_links, editor_, {{"case_ids", {d}}}).status, 200);
  auto list = h_->Get(pbase_ + "/tests", viewer_);
  ASSERT_EQ(list.body["items"].size(), 3u) << list.raw;
  EXPECT_EQ(list.body["items"][0]["testrail_case_count"], 3);
  EXPECT_EQ(list.body["items"][1]["testrail_case_count"], 1);
  EXPECT_EQ(list.body["items"][2]["testrail_case_count"], 0);
  auto page2 = h_->Get(pbase_ + "/tests?limit=1&cursor=" + std::to_string(test_id_), viewer_);
  ASSERT_EQ(page2.body["items"].size(), 1u) << page2.raw;
  EXPECT_EQ(page2.body["items"][0]["testrail_case_count"], 1);
  for (const auto& t : list.body["items"])  // the single test's view agrees
    EXPECT_EQ(h_->Get(pbase_ + "/tests/" + std::to_string(int64_t{t["id"]}), viewer_)
                  .body["testrail_case_count"],
              t["testrail_case_count"]);

  // update_case in TestRail → outdated after a sync.
  sim_now_ += 100;
  ASSERT_TRUE(sim_->UpdateCaseTitle(a, "Changed upstream"));
  Sync("incremental");
  auto got = h_->Get(links_, viewer_);
  ASSERT_EQ(got.status, 200) << got.raw;
  EXPECT_EQ(LinkOf(got.body["items"], a)["state"], "outdated");
  EXPECT_EQ(LinkOf(got.body["items"], a)["reason"], "updated_in_testrail");
  EXPECT_EQ(LinkOf(got.body["items"], a)["title"], "Changed upstream");
  EXPECT_EQ(LinkOf(got.body["items"], b)["state"], "synced");
  // Acknowledge → synced.
  auto ack = h_->Post(links_ + "/acknowledge", editor_, {{"case_ids", {a}}});
  ASSERT_EQ(ack.status, 200) << ack.raw;
  EXPECT_EQ(LinkOf(ack.body["items"], a)["state"], "synced");

  // delete_case → missing after a full sync (an incremental one cannot see deletions).
  ASSERT_TRUE(sim_->DeleteCase(b));
  Sync("full");
  got = h_->Get(links_, viewer_);
  EXPECT_EQ(LinkOf(got.body["items"], b)["state"], "missing");
  EXPECT_EQ(LinkOf(got.body["items"], b)["reason"], "deleted_in_testrail");
  EXPECT_EQ(Cases("q=C" + std::to_string(b)).size(), 0u);

  // Deselect suite 2 → missing with that reason; re-select → synced.
  SelectSuites({s1_});
  got = h_->Get(links_, viewer_);
  EXPECT_EQ(LinkOf(got.body["items"], d)["state"], "missing");
  EXPECT_EQ(LinkOf(got.body["items"], d)["reason"], "suite_not_selected");
  // Re-saving the list with the missing links keeps them (only new cases are validated).
  auto resave = h_->Put(links_, editor_, {{"case_ids", {a, b, d}}});
  EXPECT_EQ(resave.status, 200) << resave.raw;
  SelectSuites({s1_, s2_});
  got = h_->Get(links_, viewer_);
  EXPECT_EQ(LinkOf(got.body["items"], d)["state"], "synced");

  // Links survive a full re-sync and a failed sync.
  Sync("full");
  sim_->SetConfig([&] {
    auto cfg = sim_->config();
    cfg.api_disabled = true;
    return cfg;
  }());
  Json failed = Sync("full");
  EXPECT_EQ(failed["state"], "failed") << failed;
  auto cat = h_->Get(tr_ + "/catalog", viewer_);
  EXPECT_EQ(cat.body["state"], "failed");
  EXPECT_FALSE(cat.body["last_error"].is_null());
  EXPECT_EQ(cat.body["counts"]["cases"], 39);  // previous catalog intact
  got = h_->Get(links_, viewer_);
  EXPECT_EQ(got.body["items"].size(), 3u);
  EXPECT_EQ(LinkOf(got.body["items"], d)["state"], "synced");
  EXPECT_EQ(LinkOf(got.body["items"], a)["state"], "synced");
}

TEST_F(CatalogLinksTest, StepLinksFollowTheirStep) {
  Json c1 = Cases("suite_id=" + std::to_string(s1_));
  int64_t a = c1[0]["id"], b = c1[1]["id"];
  std::string st0 = test_["steps"][0]["id"], st1 = test_["steps"][1]["id"];
  std::string step_links = pbase_ + "/tests/" + std::to_string(test_id_) + "/steps/";
  auto put = h_->Put(step_links + st1 + "/testrail-links", editor_, {{"case_ids", {a}}});
  ASSERT_EQ(put.status, 200) << put.raw;
  ASSERT_EQ(h_->Put(step_links + st0 + "/testrail-links", editor_, {{"case_ids", {b}}}).status,
            200);
  ASSERT_EQ(h_->Put(links_, editor_, {{"case_ids", {a}}}).status, 200);
  EXPECT_EQ(h_->Get(pbase_ + "/tests", viewer_).body["items"][0]["testrail_case_count"], 2);
  EXPECT_TRUE(h_->Get(links_, viewer_).body["items"].size() == 1u);
  // Reorder + rename: the link follows the step id.
  Json steps = {{{"id", st1}, {"goal", "Pay (renamed)"}}, {{"id", st0}, {"goal", "Open cart"}}};
  auto up = h_->Put(pbase_ + "/tests/" + std::to_string(test_id_), admin_,
                    {{"name", "Checkout"}, {"steps", steps}, {"version", 1}});
  ASSERT_EQ(up.status, 200) << up.raw;
  auto g = h_->Get(step_links + st1 + "/testrail-links", viewer_);
  ASSERT_EQ(g.status, 200) << g.raw;
  ASSERT_EQ(g.body["items"].size(), 1u);
  EXPECT_EQ(g.body["items"][0]["case_id"], a);
  // Removing the step removes its links.
  up = h_->Put(pbase_ + "/tests/" + std::to_string(test_id_), admin_,
               {{"name", "Checkout"}, {"steps", {{{"id", st1}, {"goal", "Pay"}}}}, {"version", 2}});
  ASSERT_EQ(up.status, 200) << up.raw;
  EXPECT_EQ(h_->Get(step_links + st0 + "/testrail-links", viewer_).status, 404);
  EXPECT_EQ(h_->Get(pbase_ + "/tests", viewer_).body["items"][0]["testrail_case_count"], 1);
}

TEST_F(CatalogLinksTest, BadInputAndPermissions) {
  Json c1 = Cases("suite_id=" + std::to_string(s1_));
  int64_t a = c1[0]["id"];
  // Unknown case.
  auto r = h_->Put(links_, editor_, {{"case_ids", {a, 987654321}}});
  EXPECT_EQ(r.status, 400) << r.raw;
  EXPECT_NE(r.raw.find("case_ids[1]"), std::string::npos) << r.raw;
  EXPECT_NE(r.raw.find("unknown_case"), std::string::npos) << r.raw;
  // Case of an unselected (but synced before) suite.
  SelectSuites({s2_});
  r = h_->Put(links_, editor_, {{"case_ids", {a}}});
  EXPECT_EQ(r.status, 400) << r.raw;
  EXPECT_NE(r.raw.find("suite_not_selected"), std::string::npos) << r.raw;
  EXPECT_NE(r.raw.find("case_ids[0]"), std::string::npos) << r.raw;
  SelectSuites({s1_, s2_});
  // Unknown step, unknown test, bad body.
  EXPECT_EQ(h_->Put(pbase_ + "/tests/" + std::to_string(test_id_) + "/steps/st_nope/testrail-links",
                    editor_, {{"case_ids", {a}}})
                .status,
            404);
  EXPECT_EQ(h_->Put(pbase_ + "/tests/99999/testrail-links", editor_, {{"case_ids", {a}}}).status,
            404);
  EXPECT_EQ(h_->Put(links_, editor_, {{"case_ids", "x"}}).status, 400);
  EXPECT_EQ(h_->Put(links_, editor_, {{"case_ids", {a}}, {"extra", 1}}).status, 400);
  // Permissions: a viewer reads but cannot link or sync.
  EXPECT_EQ(h_->Put(links_, viewer_, {{"case_ids", {a}}}).status, 403);
  EXPECT_EQ(h_->Post(links_ + "/acknowledge", viewer_, {{"case_ids", {a}}}).status, 403);
  EXPECT_EQ(h_->Post(tr_ + "/catalog/sync", viewer_, Json::object()).status, 403);
  EXPECT_EQ(h_->Get(links_, viewer_).status, 200);
  std::string outsider = h_->CreateUserToken("out@nexus.test");
  EXPECT_EQ(h_->Get(links_, outsider).status, 404);
  // Feature off → 404.
  ASSERT_EQ(h_->Put(pbase_ + "/features", admin_, {{"testrail", false}}).status, 200);
  EXPECT_EQ(h_->Get(tr_ + "/cases?q=1", viewer_).status, 404);
  EXPECT_EQ(h_->Get(links_, editor_).status, 404);
}

// Suites big enough (2,000 cases in 20 sections, 8 pages) that checking a few linked cases
// costs fewer calls than listing the suite.
class CatalogDeletionsTest : public CatalogLinksTest {
 protected:
  CatalogDeletionsTest() {
    sections_per_suite_ = 20;
    cases_per_suite_ = 2000;
  }

  Json LinkState(int64_t case_id) {
    auto got = h_->Get(links_, viewer_);
    EXPECT_EQ(got.status, 200) << got.raw;
    return LinkOf(got.body["items"], case_id);
  }
};

// Issue 12 item 1 (R-LINK-4, R-SYNC-3): one automatic sync (the catalog's Refresh, the
// periodic sync) turns a deleted linked case red — without listing the suites: the
// incremental listing + one check per linked case it did not see.
TEST_F(CatalogDeletionsTest, AutoSyncFindsDeletedLinkedCasesWithoutAFullListing) {
  Json c1 = Cases("suite_id=" + std::to_string(s1_) + "&limit=250");
  ASSERT_GE(c1.size(), 200u);
  int64_t a = c1[0]["id"], b = c1[1]["id"], sec_a = c1[0]["section_id"];
  int64_t c = 0, unlinked = c1[5]["id"];
  for (const auto& hit : c1)
    if (hit["section_id"] != sec_a) {
      c = hit["id"];
      break;
    }
  ASSERT_NE(c, 0);
  Json c2 = Cases("suite_id=" + std::to_string(s2_));
  int64_t d = c2[0]["id"];
  ASSERT_EQ(h_->Put(links_, editor_, {{"case_ids", {a, b, c}}}).status, 200);
  std::string step = test_["steps"][0]["id"];
  ASSERT_EQ(
      h_->Put(pbase_ + "/tests/" + std::to_string(test_id_) + "/steps/" + step + "/testrail-links",
              editor_, {{"case_ids", {d}}})
          .status,
      200);

  ASSERT_TRUE(sim_->DeleteCase(b));
  ASSERT_TRUE(sim_->DeleteCase(c));
  ASSERT_TRUE(sim_->DeleteCase(d));  // a step-level link
  ASSERT_TRUE(sim_->DeleteCase(unlinked));
  sim_->ResetStats();
  Json r = Sync("auto");
  ASSERT_EQ(r["state"], "succeeded") << r;
  testrail_sim::SimStats st = sim_->Stats();
  // Per suite: get_sections + one get_cases page (nothing changed); then the linked cases the
  // listing did not show: a and b share a section (listed once: 1 page < 2 get_case; b is not
  // in it → get_case), c and d one get_case each. A full listing would be 2 × (1 + 8) calls.
  EXPECT_EQ(st.calls["get_case"], 3) << r;
  EXPECT_EQ(st.calls["get_cases"], 2 + 1) << r;
  EXPECT_EQ(st.total_calls, 2 * 2 + 4) << r;
  int64_t deleted_found = 0;
  for (const auto& s : r["result"]["suites"]) {
    EXPECT_EQ(s["mode"], "incremental") << s;
    deleted_found += s["deleted_found"].get<int64_t>();
  }
  EXPECT_EQ(deleted_found, 3);

  EXPECT_EQ(LinkState(a)["state"], "synced");
  for (int64_t gone : {b, c}) {
    EXPECT_EQ(LinkState(gone)["state"], "missing") << gone;
    EXPECT_EQ(LinkState(gone)["reason"], "deleted_in_testrail") << gone;
  }
  auto steps =
      h_->Get(pbase_ + "/tests/" + std::to_string(test_id_) + "/steps/" + step + "/testrail-links",
              viewer_);
  EXPECT_EQ(LinkOf(steps.body["items"], d)["state"], "missing") << steps.raw;
  EXPECT_EQ(Cases("q=C" + std::to_string(b)).size(), 0u);
  // An unlinked deletion is left to the daily full sync (no call spent on it).
  EXPECT_EQ(Cases("q=C" + std::to_string(unlinked)).size(), 1u);

  // A second sync checks only the live linked case (deleted ones stay tombstones).
  sim_->ResetStats();
  r = Sync("auto");
  ASSERT_EQ(r["state"], "succeeded") << r;
  EXPECT_EQ(sim_->Stats().calls["get_case"], 1) << r;
  EXPECT_EQ(LinkState(b)["state"], "missing");
}

// Many linked cases in one section: the section is listed once instead of one get_case each;
// a linked case that left its section (moved) is looked up and stays synced.
TEST_F(CatalogDeletionsTest, ManyLinksInOneSectionAreCheckedByListingIt) {
  Json c1 = Cases("suite_id=" + std::to_string(s1_) + "&limit=250");
  int64_t sec = c1[0]["section_id"];
  std::vector<int64_t> same;
  for (const auto& hit : c1)
    if (hit["section_id"] == sec) same.push_back(hit["id"]);
  ASSERT_GE(same.size(), 6u);
  same.resize(6);
  ASSERT_EQ(h_->Put(links_, editor_, {{"case_ids", same}}).status, 200);
  ASSERT_TRUE(sim_->DeleteCase(same[2]));
  sim_->ResetStats();
  Json r = Sync("auto");
  ASSERT_EQ(r["state"], "succeeded") << r;
  testrail_sim::SimStats st = sim_->Stats();
  EXPECT_EQ(st.calls["get_case"], 1) << r;       // the one its section no longer lists
  EXPECT_EQ(st.calls["get_cases"], 2 + 1) << r;  // one page per suite + the section
  for (int64_t id : same)
    EXPECT_EQ(LinkState(id)["state"], id == same[2] ? "missing" : "synced") << id;
}

}  // namespace
}  // namespace nexus
