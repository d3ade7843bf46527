// Store conformance tests of the TestRail configuration section (store.h "TestRail
// configuration"), run against every backend like store_conformance_test.cc.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "storage/store.h"
#include "temp_dir.h"

namespace nexus {
namespace {

struct Backend {
  std::string name;
  std::function<Result<std::unique_ptr<Store>>(const testing::TempDir& dir)> open;
};

class TestRailConfigStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto opened = GetParam().open(dir_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->Migrate().ok());
    User u;
    u.email = "cm@example.com";
    u.name = "Config Manager";
    u.password_hash = "$argon2id$x";
    u.created_at = 1;
    auto cu = store_->CreateUser(u);
    ASSERT_TRUE(cu.ok());
    user_id_ = cu->id;
    Project p;
    p.name = "P";
    p.created_at = 1;
    auto cp = store_->CreateProject(p, user_id_);
    ASSERT_TRUE(cp.ok());
    project_id_ = cp->id;
  }

  TestRailConnectionUpdate Conn(const std::string& url) {
    TestRailConnectionUpdate u;
    u.connection.url = url;
    u.connection.user = "qa@example.com";
    u.connection.api_key_nonce = std::string("\x00\x01\xff nonce", 9);
    u.connection.api_key_ciphertext = std::string("\xde\xad\x00\xbe\xef", 5);
    u.connection.api_key_last4 = "0001";
    u.connection.connected_at = 5000;
    u.connection.connected_by = user_id_;
    u.connection.verified = true;
    u.statuses = {{1, "passed", "Passed", 1, 2, 3, true, false, true}};
    u.statuses_fetched_at = 5000;
    return u;
  }

  Store& store() { return *store_; }
  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  int64_t user_id_ = 0;
  int64_t project_id_ = 0;
};

TEST_P(TestRailConfigStoreTest, NoConfigIsNotFound) {
  EXPECT_EQ(store().GetTestRailConfig(project_id_).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().GetTestRailConfig(9999).status().code(), StatusCode::kNotFound);
}

TEST_P(TestRailConfigStoreTest, SettersOnUnknownProjectAreNotFound) {
  EXPECT_EQ(store().SaveTestRailConnection(9999, Conn("https://x.io"), 1).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store().SaveTestRailOptions(9999, {}, 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(store().SaveTestRailMapping(9999, StatusMapping::Defaults(), 1).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store().SaveTestRailStatuses(9999, {}, 1).code(), StatusCode::kNotFound);
}

TEST_P(TestRailConfigStoreTest, ConnectionRoundTripsWithBinarySealedKey) {
  auto u = Conn("https://acme.testrail.io");
  ASSERT_TRUE(store().SaveTestRailConnection(project_id_, u, 6000).ok());
  auto rec = store().GetTestRailConfig(project_id_);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  ASSERT_TRUE(rec->connection.has_value());
  EXPECT_EQ(*rec->connection, u.connection);
  EXPECT_EQ(rec->instance_url, "https://acme.testrail.io");
  EXPECT_EQ(rec->statuses, std::optional(u.statuses));
  EXPECT_FALSE(rec->statuses_unreadable);
  EXPECT_EQ(rec->statuses_fetched_at, 5000);
  EXPECT_EQ(rec->updated_at, 6000);
  // Defaults.
  EXPECT_FALSE(rec->project.has_value());
  EXPECT_TRUE(rec->suites.empty());
  EXPECT_FALSE(rec->mapping.has_value());
  EXPECT_FALSE(rec->mapping_unreadable);
  EXPECT_TRUE(rec->options.close_run_on_completion);
  EXPECT_FALSE(rec->options.auto_export);
  EXPECT_FALSE(rec->options.run_name_template.has_value());
  EXPECT_FALSE(rec->options.milestone_id.has_value());
}

TEST_P(TestRailConfigStoreTest, DisconnectKeepsSelectionMappingOptions) {
  ASSERT_TRUE(store().SaveTestRailConnection(project_id_, Conn("https://a.io"), 1).ok());
  ASSERT_TRUE(
      store().SetTestRailProject(project_id_, {7, "Seven", 3}, {{11, "S11"}, {12, "S12"}}, 2).ok());
  StatusMapping mapping = StatusMapping::Defaults();
  mapping.basic[BugLabel::kLikelyBug] = 2;
  ASSERT_TRUE(store().SaveTestRailMapping(project_id_, mapping, 3).ok());
  TestRailOptionsRecord o{false, true, "Nexus {date}", 42,
                          AttachmentPolicy{AttachMode::kFailedOnly, {"image/*"}, 1000}};
  ASSERT_TRUE(store().SaveTestRailOptions(project_id_, o, 4).ok());
  ASSERT_TRUE(store().DeleteTestRailConnection(project_id_, 5).ok());
  auto rec = store().GetTestRailConfig(project_id_);
  ASSERT_TRUE(rec.ok());
  EXPECT_FALSE(rec->connection.has_value());
  EXPECT_EQ(rec->instance_url, "https://a.io");
  ASSERT_TRUE(rec->project.has_value());
  EXPECT_EQ(*rec->project, (TestRailProjectRecord{7, "Seven", 3}));
  EXPECT_EQ(rec->suites.size(), 2u);
  EXPECT_EQ(rec->mapping, std::optional(mapping));
  EXPECT_EQ(rec->options, o);
  EXPECT_EQ(rec->updated_at, 5);
  // Deleting again (or without any config) is fine.
  EXPECT_TRUE(store().DeleteTestRailConnection(project_id_, 6).ok());
}

TEST_P(TestRailConfigStoreTest, ReconnectToOtherInstanceCanClearSelection) {
  ASSERT_TRUE(store().SaveTestRailConnection(project_id_, Conn("https://a.io"), 1).ok());
  ASSERT_TRUE(store().SetTestRailProject(project_id_, {7, "Seven", 1}, {{11, "Master"}}, 2).ok());
  auto same = Conn("https://a.io");
  ASSERT_TRUE(store().SaveTestRailConnection(project_id_, same, 3).ok());
  EXPECT_TRUE(store().GetTestRailConfig(project_id_)->project.has_value());
  auto other = Conn("https://b.io");
  other.clear_selection = true;
  ASSERT_TRUE(store().SaveTestRailConnection(project_id_, other, 4).ok());
  auto rec = store().GetTestRailConfig(project_id_);
  EXPECT_FALSE(rec->project.has_value());
  EXPECT_TRUE(rec->suites.empty());
  EXPECT_EQ(rec->connection->url, "https://b.io");
}

TEST_P(TestRailConfigStoreTest, SuitesReplacedSortedAndDeduplicated) {
  ASSERT_TRUE(store().SetTestRailProject(project_id_, {7, "Seven", 3}, {}, 1).ok());
  ASSERT_TRUE(
      store().SetTestRailSuites(project_id_, {{30, "C"}, {10, "A"}, {30, "C again"}}, 2).ok());
  auto rec = store().GetTestRailConfig(project_id_);
  ASSERT_EQ(rec->suites.size(), 2u);
  EXPECT_EQ(rec->suites[0], (TestRailSuiteRecord{10, "A"}));
  EXPECT_EQ(rec->suites[1].id, 30);
  ASSERT_TRUE(store().SetTestRailSuites(project_id_, {{20, "B"}}, 3).ok());
  rec = store().GetTestRailConfig(project_id_);
  ASSERT_EQ(rec->suites.size(), 1u);
  EXPECT_EQ(rec->suites[0].id, 20);
}

TEST_P(TestRailConfigStoreTest, StatusesMappingAndOptions) {
  const std::vector<TestRailStatusRecord> statuses = {
      {1, "passed", "Passed", 0, 0, 0, true, false, true},
      {7, "custom_status1", "Flaky ✓", 10, 20, 30, false, false, false}};
  ASSERT_TRUE(store().SaveTestRailStatuses(project_id_, statuses, 77).ok());
  StatusMapping mapping = StatusMapping::Defaults();
  mapping.mode = StatusMapping::Mode::kAdvanced;
  mapping.advanced[RunResult::kError][BugLabel::kDefinitelyBug] = 7;
  ASSERT_TRUE(store().SaveTestRailMapping(project_id_, mapping, 78).ok());
  auto rec = store().GetTestRailConfig(project_id_);
  EXPECT_EQ(rec->statuses, std::optional(statuses));
  EXPECT_EQ(rec->statuses_fetched_at, 77);
  EXPECT_EQ(rec->mapping, std::optional(mapping));
  EXPECT_FALSE(rec->connection.has_value());
  ASSERT_TRUE(store().SaveTestRailStatuses(project_id_, {}, 79).ok());
  ASSERT_TRUE(store().SaveTestRailMapping(project_id_, std::nullopt, 79).ok());
  rec = store().GetTestRailConfig(project_id_);
  EXPECT_EQ(rec->statuses, std::optional(std::vector<TestRailStatusRecord>{}));
  EXPECT_FALSE(rec->mapping.has_value());
  TestRailOptionsRecord o;
  o.run_name_template = "Nightly ✓";
  ASSERT_TRUE(store().SaveTestRailOptions(project_id_, o, 80).ok());
  EXPECT_EQ(store().GetTestRailConfig(project_id_)->options, o);
}

TEST_P(TestRailConfigStoreTest, ProjectsAreIsolated) {
  Project p2;
  p2.name = "Other";
  p2.created_at = 1;
  auto other = store().CreateProject(p2, std::nullopt);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(store().SaveTestRailConnection(project_id_, Conn("https://a.io"), 1).ok());
  ASSERT_TRUE(store().SetTestRailSuites(project_id_, {{1, "S"}}, 1).ok());
  EXPECT_EQ(store().GetTestRailConfig(other->id).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store().SetTestRailSuites(other->id, {{2, "T"}}, 1).ok());
  EXPECT_EQ(store().GetTestRailConfig(project_id_)->suites.size(), 1u);
  EXPECT_EQ(store().GetTestRailConfig(project_id_)->suites[0].id, 1);
  EXPECT_FALSE(store().GetTestRailConfig(other->id)->connection.has_value());
}

std::vector<Backend> Backends() {
  return {
      Backend{"SqliteFile",
              [](const testing::TempDir& dir) { return OpenSqliteStore(dir.File("nexus.db")); }},
      Backend{"SqliteMemory", [](const testing::TempDir&) { return OpenSqliteStore(":memory:"); }},
  };
}

INSTANTIATE_TEST_SUITE_P(Backends, TestRailConfigStoreTest, ::testing::ValuesIn(Backends()),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace nexus
