// The fixture of the Store conformance suite (store_conformance*_test.cc): every test is
// written against the abstract Store and runs once per backend listed in Backends() in
// store_conformance_test.cc.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/store.h"
#include "temp_dir.h"

namespace nexus {

#define ASSERT_OK(expr)                                        \
  do {                                                         \
    const auto& _r = (expr);                                   \
    ASSERT_TRUE(StatusOf(_r).ok()) << StatusOf(_r).ToString(); \
  } while (0)
#define EXPECT_CODE(expr, expected_code) EXPECT_EQ(StatusOf(expr).code(), expected_code)

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

struct Backend {
  std::string name;
  // Opens a fresh, empty store whose files (if any) live under `dir`.
  std::function<Result<std::unique_ptr<Store>>(const testing::TempDir& dir)> open;
};

class StoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto opened = GetParam().open(dir_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    ASSERT_OK(store_->Migrate());
  }

  Store& store() { return *store_; }

  User MakeUser(const std::string& email, const std::string& name = "A User") {
    User u;
    u.email = email;
    u.name = name;
    u.password_hash = "$argon2id$v=19$hash";
    u.created_at = 1000;
    auto r = store().CreateUser(u);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : User{};
  }

  Project MakeProject(const std::string& name, std::optional<int64_t> creator = std::nullopt) {
    Project p;
    p.name = name;
    p.created_at = 2000;
    auto r = store().CreateProject(p, creator);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : Project{};
  }

  static nexus::Test TestWithSteps(int64_t project_id, const std::string& name,
                                   std::vector<std::string> step_ids) {
    nexus::Test t;
    t.project_id = project_id;
    t.name = name;
    t.tags = {"smoke", "login"};
    t.created_at = 3000;
    t.updated_at = 3000;
    for (const std::string& id : step_ids) {
      t.steps.push_back(Step{id, "goal of " + id, {"result 1 of " + id, "result 2 of " + id}});
    }
    return t;
  }

  nexus::Test MakeTest(int64_t project_id, const std::string& name = "Login works") {
    auto r = store().CreateTest(TestWithSteps(project_id, name, {"st_a", "st_b", "st_c"}));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : nexus::Test{};
  }

  static nexus::Run RunFor(const nexus::Test& t, RunResult result = RunResult::kSuccess) {
    nexus::Run r;
    r.project_id = t.project_id;
    r.test_id = t.id;
    r.test_version = t.version;
    r.result = result;
    r.bug_label = BugLabel::kNoBug;
    r.started_at = 5000;
    r.finished_at = 6000;
    r.build = "1.2.3";
    r.summary = "went fine";
    r.created_at = 5000;
    r.updated_at = 6000;
    return r;
  }

  nexus::Run MakeRun(const nexus::Test& t, RunResult result = RunResult::kSuccess,
                     std::optional<int64_t> execution_id = std::nullopt) {
    nexus::Run run = RunFor(t, result);
    run.execution_id = execution_id;
    auto r = store().CreateRun(run);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : nexus::Run{};
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace nexus
