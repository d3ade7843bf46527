// TestRail error classification: the refusals an exporter reacts to, recognised from
// TestRail's real error texts (shared spec testrail-api.md, the simulator's texts) and from
// the Statuses StatusFromHttpResponse makes of them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "testrail/errors.h"

namespace nexus::testrail {
namespace {

HttpResponse Answer(int status, const std::string& error_text) {
  HttpResponse r;
  r.status = status;
  r.headers.push_back({"content-type", "application/json"});
  r.body = nlohmann::json{{"error", error_text}}.dump();
  return r;
}

TestRailError Classified(const Status& st) {
  auto e = ErrorOf(st);
  EXPECT_TRUE(e.has_value()) << st.ToString();
  return e.value_or(TestRailError{});
}

TEST(ClassifyRefusalTest, UnknownCaseInRunNamesTheCases) {
  TestRailError e = ClassifyRefusal(
      400,
      "Field :results contains one or more invalid results (case C11507 unknown or not part of "
      "the test run)");
  EXPECT_EQ(e.refusal, Refusal::kUnknownCaseInRun);
  EXPECT_EQ(e.field, "results");
  EXPECT_EQ(e.case_ids, (std::vector<int64_t>{11507}));
}

TEST(ClassifyRefusalTest, NumbersOutsideTheCaseTagNeverCount) {
  TestRailError e = ClassifyRefusal(
      400,
      "Field :results contains 2 invalid results (case C7 unknown or not part of the test "
      "run; case C9 unknown or not part of the test run; test T12 unknown or not part of "
      "the test run; case C33 has no status)");
  EXPECT_EQ(e.refusal, Refusal::kUnknownCaseInRun);
  EXPECT_EQ(e.case_ids, (std::vector<int64_t>{7, 9}));
}

TEST(ClassifyRefusalTest, CompletedRunAndPlan) {
  EXPECT_EQ(
      ClassifyRefusal(403, "This operation is not allowed. The test run is already completed.")
          .refusal,
      Refusal::kRunCompleted);
  EXPECT_EQ(
      ClassifyRefusal(403, "This operation is not allowed. The test plan is already completed.")
          .refusal,
      Refusal::kPlanCompleted);
}

TEST(ClassifyRefusalTest, FieldInvalidNamesTheField) {
  const struct {
    const char* text;
    const char* field;
  } rows[] = {
      {"Field :case_ids contains one or more invalid test cases.", "case_ids"},
      {"Field :case_ids is not a valid array.", "case_ids"},
      {"Field :suite_id is a required field.", "suite_id"},
      {"Field :name is too long (250 characters at most).", "name"},
      {"Field :case_id is not a valid test case.", "case_id"},
      {"Field :status_id is not a valid status.", "status_id"},
      {"Field :elapsed is not in a valid time span format.", "elapsed"},
  };
  for (const auto& row : rows) {
    TestRailError e = ClassifyRefusal(400, row.text);
    EXPECT_EQ(e.refusal, Refusal::kFieldInvalid) << row.text;
    EXPECT_EQ(e.field, row.field) << row.text;
    EXPECT_TRUE(e.case_ids.empty()) << row.text;
  }
}

TEST(ClassifyRefusalTest, PayloadTooLargeByStatus) {
  EXPECT_EQ(ClassifyRefusal(413, "").refusal, Refusal::kPayloadTooLarge);
  EXPECT_EQ(ClassifyRefusal(413, "Request Entity Too Large").refusal, Refusal::kPayloadTooLarge);
}

TEST(ClassifyRefusalTest, OtherTextsAreNoRefusal) {
  EXPECT_EQ(ClassifyRefusal(400, "Invalid or incomplete JSON string in API request.").refusal,
            Refusal::kNone);
  EXPECT_EQ(ClassifyRefusal(400, "This project does not support multiple test suites.").refusal,
            Refusal::kNone);
  EXPECT_EQ(ClassifyRefusal(500, "").refusal, Refusal::kNone);
}

TEST(ErrorOfTest, StatusesOfTheClientCarryTheirRefusal) {
  TestRailError unknown = Classified(StatusFromHttpResponse(
      Answer(400,
             "Field :results contains one or more invalid results (case C11507 unknown or not "
             "part of the test run)"),
      "x.testrail.io", "add_results_for_cases"));
  EXPECT_EQ(unknown.kind, TestRailErrorKind::kRejected);
  EXPECT_EQ(unknown.refusal, Refusal::kUnknownCaseInRun);
  EXPECT_EQ(unknown.case_ids, (std::vector<int64_t>{11507}));

  TestRailError completed = Classified(StatusFromHttpResponse(
      Answer(403, "This operation is not allowed. The test run is already completed."),
      "x.testrail.io", "close_run"));
  EXPECT_EQ(completed.kind, TestRailErrorKind::kPermissionDenied);
  EXPECT_EQ(completed.refusal, Refusal::kRunCompleted);

  TestRailError field = Classified(StatusFromHttpResponse(
      Answer(400, "Field :case_ids contains one or more invalid test cases."), "x.testrail.io",
      "add_run"));
  EXPECT_EQ(field.kind, TestRailErrorKind::kRejected);
  EXPECT_EQ(field.refusal, Refusal::kFieldInvalid);
  EXPECT_EQ(field.field, "case_ids");
}

TEST(ErrorOfTest, PayloadTooLargeWithOrWithoutATestRailBody) {
  TestRailError json = Classified(StatusFromHttpResponse(Answer(413, "Request too large"),
                                                         "x.testrail.io", "add_results_for_cases"));
  EXPECT_EQ(json.refusal, Refusal::kPayloadTooLarge);

  HttpResponse html;
  html.status = 413;
  html.headers.push_back({"content-type", "text/html"});
  html.body = "<html><body>413 Request Entity Too Large</body></html>";
  TestRailError proxy =
      Classified(StatusFromHttpResponse(html, "x.testrail.io", "add_results_for_cases"));
  EXPECT_EQ(proxy.kind, TestRailErrorKind::kNotTestRail);
  EXPECT_EQ(proxy.refusal, Refusal::kPayloadTooLarge);
}

TEST(ErrorOfTest, OtherStatusesAreNotTestRailErrors) {
  EXPECT_FALSE(ErrorOf(Status::Ok()).has_value());
  EXPECT_FALSE(ErrorOf(Internal("case C12 unknown or not part of the test run")).has_value());
  TestRailError server = Classified(
      StatusFromHttpResponse(Answer(503, "Service Unavailable"), "x.testrail.io", "get_cases"));
  EXPECT_EQ(server.kind, TestRailErrorKind::kServerError);
  EXPECT_EQ(server.refusal, Refusal::kNone);
}

TEST(ErrorOfTest, AnAmbiguousWriteKeepsTheRefusalOfItsCause) {
  Status cause = StatusFromHttpResponse(
      Answer(400, "Field :case_ids contains one or more invalid test cases."), "x.testrail.io",
      "add_run");
  Status ambiguous(cause.code(), cause.message() + " The write may or may not have been applied.",
                   "", std::string(ErrorReason(TestRailErrorKind::kAmbiguousWrite)));
  TestRailError e = Classified(ambiguous);
  EXPECT_EQ(e.kind, TestRailErrorKind::kAmbiguousWrite);
  EXPECT_EQ(e.refusal, Refusal::kFieldInvalid);
}

}  // namespace
}  // namespace nexus::testrail
