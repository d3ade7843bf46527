// ImportStore: the JUnit imports role of the Store contract (store.h; R-IMPORT, issue 18).
// One accepted report is written by ONE call in one transaction — its tests, plan, execution,
// runs and links — so a report is imported completely or not at all, and 100,000 testcases
// cost one commit instead of 300,000.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace nexus {

struct JUnitImportRecord {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string sha256;  // lower-case hex SHA-256 of the report's XML
  std::string execution_name;
  int64_t execution_id = 0;
  int64_t plan_id = 0;
  int64_t testcases = 0;  // runs recorded (testcases after merging repeats of one test)
  int64_t passed = 0, failed = 0, errors = 0, skipped = 0;
  int64_t tests_created = 0;  // imported tests created by this import
  int64_t links_added = 0;    // TestRail links created by this import
  std::optional<int64_t> created_by;
  TimeMs created_at = 0;
};

// One test of the report, by its stable key. What every test or run of the import shares
// (tags, build, attributes) is held once in NewJUnitImport, not per row: a 100,000-testcase
// report is held whole until it has been checked (docs/benchmarks.md "JUnit import").
struct ImportedTest {
  std::string key;                // classname + "\n" + name
  std::string name;               // the name a new test gets
  std::vector<int64_t> case_ids;  // TestRail cases to link at test level (added, never removed)
};

// One run of the report; `test` indexes NewJUnitImport::tests (one run per test).
struct ImportedRun {
  size_t test = 0;
  RunResult result = RunResult::kSuccess;
  BugLabel bug_label = BugLabel::kNoBug;
  TimeMs started_at = 0;
  TimeMs finished_at = 0;
  std::string summary;
};

struct NewJUnitImport {
  // project_id, sha256, execution_name, the counts, created_by and created_at are taken;
  // id, execution_id, plan_id, tests_created and links_added are assigned.
  JUnitImportRecord record;
  std::vector<std::string> tags;  // the tags every new test gets
  std::string build;              // build of every run
  RunAttributes attributes;       // attributes of every run (checked: CheckRunAttributes)
  // Deques: grown one testcase at a time without a vector's doubling (and the moment both
  // the old and the new array are alive), the rows being the bulk of an import's memory.
  std::deque<ImportedTest> tests;  // keys unique
  std::deque<ImportedRun> runs;
};

class ImportStore {
 public:
  virtual ~ImportStore() = default;

  // The import of this report under this execution name, if any.
  virtual Result<std::optional<JUnitImportRecord>> FindJUnitImport(
      int64_t project_id, const std::string& sha256, const std::string& execution_name) = 0;
  virtual Result<JUnitImportRecord> GetJUnitImport(int64_t project_id, int64_t import_id) = 0;
  // Writes the import in one transaction: each test found by key (a live test; a key whose
  // test was deleted gets a new one) or created (version 1, no steps, created_at = the
  // record's); the execution name's plan reused (tests not yet in it appended) or created
  // with that name; an execution (completed at created_at) listing the tests in run order;
  // one finished run per test in it; the test-level links not there yet. NotFound (field
  // "project_id") for an unknown project; Conflict "duplicate" when this report was already
  // imported under the name (concurrent posts: exactly one wins; the caller reads it).
  virtual Result<JUnitImportRecord> CreateJUnitImport(const NewJUnitImport& import) = 0;
};

}  // namespace nexus
