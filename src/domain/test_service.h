// TestService: tests and their steps (product.md section 2) — stable step ids, the version
// check of an update (optimistic concurrency), soft deletion.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "core/types.h"
#include "domain/listeners.h"
#include "storage/store.h"

namespace nexus::domain {

// True when `step_id` is the id of one of the test's steps.
bool TestHasStep(const Test& test, const std::string& step_id);

// What PUT replaces: name, tags and steps, against the version the caller read. A step with
// an empty id is new; one with an id keeps that existing step.
struct TestUpdate {
  int64_t version = 0;
  std::string name;
  std::vector<std::string> tags;
  std::vector<Step> steps;
};

class TestService {
 public:
  // Every reference must outlive the service.
  TestService(Store& store, const Clock& clock, LinkedCaseCounter& links)
      : store_(store), clock_(clock), links_(links) {}

  Result<std::vector<Test>> List(int64_t project_id, const PageRequest& page);
  // NotFound ("test N not found") for a missing or deleted test.
  Result<Test> Get(int64_t project_id, int64_t test_id);
  // Stores `draft` (project_id, name, tags, steps) with new step ids, version 1.
  Result<Test> Create(Test draft);
  // Replaces `current` (as read with Get) by `update`. Step ids must be ids of current
  // steps, each at most once (InvalidArgument, field "steps[i].id"); a version other than
  // the stored one is Conflict (field "version", reason "version_mismatch").
  Result<Test> Update(const Test& current, TestUpdate update);
  // Soft-deletes the test (its runs stay). NotFound as Get.
  Status Delete(int64_t project_id, int64_t test_id);
  // TestRail cases linked to the test.
  int64_t LinkedCaseCount(int64_t project_id, int64_t test_id);
  // The same for the tests with ids in [first_test_id, last_test_id] (absent: none).
  std::map<int64_t, int64_t> LinkedCaseCounts(int64_t project_id, int64_t first_test_id,
                                              int64_t last_test_id);

 private:
  Store& store_;
  const Clock& clock_;
  LinkedCaseCounter& links_;
};

}  // namespace nexus::domain
