// JUnitParser: a streaming (push) parser of JUnit XML reports (R-IMPORT). It accepts the
// dialects written by Maven Surefire, Gradle, pytest, jest-junit, Playwright,
// mocha-junit-reporter (Cypress) and go-junit-report: <testsuites>/<testsuite> nested to any
// depth, <testcase> with <failure>/<error>/<skipped>, <system-out>/<system-err>, `time` and
// <properties>. It never holds the document: bytes go in through Feed() in chunks of any
// size, and each <testcase> comes out through the callback as soon as its end tag is read,
// so memory is bounded by one testcase (its texts capped, see JUnitParserOptions).
//
// Built on expat (libexpat1-dev): a DTD or entity declaration is refused (no JUnit writer
// emits one; refusing them rules out entity-expansion bombs), and every error names the line.
// Pure: no I/O, no clock, no store. Not thread-safe: one parser per document and thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace nexus::imports {

// What a testcase ended as. A testcase with several outcome elements takes the worst:
// error > failure > skipped > passed.
enum class JUnitOutcome { kPassed, kFailed, kError, kSkipped };
std::string_view JUnitOutcomeName(JUnitOutcome o);  // "passed", "failed", "error", "skipped"
// How bad an outcome is: passed 0 < skipped 1 < failed 2 < error 3. The one order both the
// parser (several outcome elements in one testcase) and the importer (one test repeated in a
// report) use to keep the worst.
int JUnitOutcomeRank(JUnitOutcome o);

struct JUnitCase {
  std::string suite;             // name of the innermost enclosing <testsuite> ("" when none)
  std::string classname;         // `classname` attribute ("" when absent)
  std::string name;              // `name` attribute (required, not blank)
  std::optional<double> time_s;  // `time` in seconds, when given
  std::optional<std::string> timestamp;  // `timestamp` of the innermost suite, as written
  JUnitOutcome outcome = JUnitOutcome::kPassed;
  std::string message;  // `message` attribute of the outcome element
  std::string type;     // `type` attribute of the outcome element
  std::string details;  // text of the outcome element (capped)
  std::string system_out;
  std::string system_err;
  bool truncated = false;  // some text above was cut at max_text_bytes
  // <property name=… value=…> of the testcase (value attribute, or the element's text).
  std::vector<std::pair<std::string, std::string>> properties;
  int64_t line = 0;  // line of the <testcase> start tag (1-based)
};

struct JUnitParserOptions {
  // Each captured text (details, system-out, system-err, property values) keeps at most this
  // many bytes (cut on a UTF-8 boundary); the rest is dropped while reading.
  size_t max_text_bytes = 8 * 1024;
  // Longest accepted `name`/`classname` (InvalidArgument beyond: such names are not names).
  size_t max_name_bytes = 4 * 1024;
};

class JUnitParser {
 public:
  // Called once per testcase, in document order. A non-ok Status stops the parse and is
  // returned by the Feed()/Finish() that was running.
  using CaseFn = std::function<Status(JUnitCase&& c)>;

  explicit JUnitParser(CaseFn on_case, JUnitParserOptions options = {});
  ~JUnitParser();
  JUnitParser(const JUnitParser&) = delete;
  JUnitParser& operator=(const JUnitParser&) = delete;

  // Parses the next chunk. Errors (InvalidArgument, field "body", reason "invalid_junit"):
  // malformed XML ("line 12: mismatched tag"), a root element other than <testsuites> or
  // <testsuite>, a <testcase> without a name, a `time` that is not a non-negative number, a
  // DTD or entity declaration. After an error every later call returns the same error.
  Status Feed(std::string_view chunk);
  // Ends the document (an unfinished document is an error).
  Status Finish();

  int64_t cases() const;  // testcases reported so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Case ids a testcase names (R-IMPORT links): every `C<digits>` in `name` not touching another
// letter or digit ("C12 checkout", "checkout [C12]", "test_C12_pay", "@C12" yes; "C3PO",
// "ABC12" no), and every
// id of a `testrail_case_id` property ("C12", "12", several separated by commas or spaces).
// Sorted, duplicates removed. InvalidArgument naming the property value when one is not a
// case id.
Result<std::vector<int64_t>> CaseIdsOf(const JUnitCase& c);

}  // namespace nexus::imports
