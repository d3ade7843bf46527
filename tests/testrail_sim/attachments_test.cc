// Simulator attachments (issue 17): add_attachment_to_result / _to_run, the list methods,
// get_attachment, delete_attachment, the multipart rules, the 256 MB limit, fault injection
// and the HTML view.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sim_test_util.h"

namespace testrail_sim::testing {
namespace {

std::string S(int64_t v) { return std::to_string(v); }

class SimAttachmentTest : public SimTest {
 protected:
  // A run of project 2 with one failed result for its first case; returns {run, test, result}.
  void SetUpResult() {
    Reply cases = api_->Get("get_cases/2");
    ASSERT_EQ(cases.status, 200);
    case_id_ = cases.json["cases"][0]["id"];
    run_ = AddRun(2, {{"name", "attach"}, {"include_all", false}, {"case_ids", {case_id_}}});
    Reply res = api_->Post("add_results_for_cases/" + S(run_),
                           {{"results", {{{"case_id", case_id_}, {"status_id", 5}}}}});
    ASSERT_EQ(res.status, 200) << res.body;
    result_ = res.json[0]["id"];
    test_ = res.json[0]["test_id"];
  }
  httplib::Result Upload(const std::string& method, int64_t id, const std::string& field,
                         const std::string& content, const std::string& filename,
                         const std::string& type) {
    httplib::MultipartFormDataItems items = {{field, content, filename, type}};
    return api_->client().Post(api_->Target(method + "/" + S(id)), api_->Auth(), items);
  }
  int64_t case_id_ = 0, run_ = 0, result_ = 0, test_ = 0;
};

TEST_F(SimAttachmentTest, UploadListDownloadDelete) {
  SetUpResult();
  const std::string png("\x89PNG\r\n\x1a\n-fake-image-bytes", 25);
  auto up =
      Upload("add_attachment_to_result", result_, "attachment", png, "step1.png", "image/png");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 200) << up->body;
  int64_t id = Json::parse(up->body)["attachment_id"];
  auto log =
      Upload("add_attachment_to_result", result_, "attachment", "line\n", "run.log", "text/plain");
  ASSERT_EQ(log->status, 200) << log->body;

  Reply list = api_->Get("get_attachments_for_test/" + S(test_));
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json["offset"], 0);
  EXPECT_EQ(list.json["size"], 2);
  EXPECT_TRUE(list.json["_links"]["next"].is_null());
  ASSERT_EQ(list.json["attachments"].size(), 2u);
  const Json& a = list.json["attachments"][0];
  EXPECT_EQ(a["id"], id);
  EXPECT_EQ(a["name"], "step1.png");
  EXPECT_EQ(a["size"], png.size());
  EXPECT_EQ(a["entity_type"], "test_change");
  EXPECT_EQ(a["entity_id"], result_);
  EXPECT_EQ(a["case_id"], case_id_);
  EXPECT_EQ(a["project_id"], 2);
  EXPECT_EQ(a["is_image"], true);
  EXPECT_TRUE(a["created_on"].is_number_integer());
  EXPECT_EQ(list.json["attachments"][1]["is_image"], false);

  // Paginated like the other lists.
  Reply page = api_->Get("get_attachments_for_test/" + S(test_) + "&limit=1&offset=1");
  ASSERT_EQ(page.json["attachments"].size(), 1u);
  EXPECT_EQ(page.json["attachments"][0]["name"], "run.log");

  // The result lists its attachment ids.
  Reply results = api_->Get("get_results_for_run/" + S(run_));
  EXPECT_EQ(results.json["results"][0]["attachment_ids"].size(), 2u);

  // get_attachment answers the bytes with their type.
  auto bytes = api_->client().Get(api_->Target("get_attachment/" + S(id)), api_->Auth());
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->status, 200);
  EXPECT_EQ(bytes->body, png);
  EXPECT_EQ(bytes->get_header_value("Content-Type"), "image/png");

  // delete_attachment removes it from the list and the result; a second delete is refused.
  Reply del = api_->Post("delete_attachment/" + S(id), Json::object());
  EXPECT_EQ(del.status, 200) << del.body;
  Reply after = api_->Get("get_attachments_for_test/" + S(test_));
  ASSERT_EQ(after.json["attachments"].size(), 1u);
  EXPECT_EQ(after.json["attachments"][0]["name"], "run.log");
  Reply again = api_->Post("delete_attachment/" + S(id), Json::object());
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.error(), "Field :attachment_id is not a valid attachment.");
  Reply gone = api_->Get("get_attachment/" + S(id));
  EXPECT_EQ(gone.status, 400);
  EXPECT_EQ(sim_->model().AttachmentCount(), 1u);
}

TEST_F(SimAttachmentTest, RunAttachmentsAreListedPerRunNotPerTest) {
  SetUpResult();
  auto up =
      Upload("add_attachment_to_run", run_, "attachment", "{}", "har.json", "application/json");
  ASSERT_EQ(up->status, 200) << up->body;
  Reply run_list = api_->Get("get_attachments_for_run/" + S(run_));
  ASSERT_EQ(run_list.json["attachments"].size(), 1u);
  EXPECT_EQ(run_list.json["attachments"][0]["entity_type"], "run");
  EXPECT_EQ(run_list.json["attachments"][0]["entity_id"], run_);
  EXPECT_EQ(api_->Get("get_attachments_for_test/" + S(test_)).json["attachments"].size(), 0u);
  EXPECT_EQ(Upload("add_attachment_to_run", 9999, "attachment", "x", "x.txt", "text/plain")->status,
            400);
  EXPECT_EQ(api_->Get("get_attachments_for_run/9999").error(),
            "Field :run_id is not a valid test run.");
  EXPECT_EQ(api_->Get("get_attachments_for_test/9999").error(),
            "Field :test_id is not a valid test.");
}

TEST_F(SimAttachmentTest, BadUploadsStoreNothing) {
  SetUpResult();
  // Another field name: TestRail's required-field text.
  auto wrong = Upload("add_attachment_to_result", result_, "file", "x", "x.txt", "text/plain");
  EXPECT_EQ(wrong->status, 400);
  EXPECT_EQ(Json::parse(wrong->body)["error"], "Field :attachment is a required field.");
  // JSON instead of multipart.
  Reply json = api_->Post("add_attachment_to_result/" + S(result_), Json::object());
  EXPECT_EQ(json.status, 400);
  // Unknown result.
  auto unknown =
      Upload("add_attachment_to_result", 99999, "attachment", "x", "x.txt", "text/plain");
  EXPECT_EQ(Json::parse(unknown->body)["error"], "Field :result_id is not a valid result.");
  // Over the per-file limit (TestRail's 256 MB, lowered here): 413 with TestRail's error
  // envelope, nothing stored.
  AdminConfig({{"max_attachment_bytes", 1000}});
  auto too_big = Upload("add_attachment_to_result", result_, "attachment", std::string(1001, 'a'),
                        "big.bin", "application/octet-stream");
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 413);
  EXPECT_EQ(Json::parse(too_big->body, nullptr, false).value("error", ""),
            "The uploaded file is too large (256 MB at most).");
  auto fits = Upload("add_attachment_to_result", result_, "attachment", std::string(1000, 'a'),
                     "fits.bin", "application/octet-stream");
  EXPECT_EQ(fits->status, 200);
  EXPECT_EQ(sim_->model().AttachmentCount(), 1u);
  sim_->model().Visit(
      [](const Model& m) { EXPECT_EQ(m.attachments().begin()->second.size, 1000u); });
}

TEST_F(SimAttachmentTest, MaxAttachmentBytesKnobIsValidated) {
  httplib::Client admin("127.0.0.1", sim_->port());
  auto r = admin.Post("/_sim/config", R"({"max_attachment_bytes": 0})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(sim_->config().max_attachment_bytes, int64_t{256} << 20);
}

TEST_F(SimAttachmentTest, FaultRulesApplyToUploads) {
  SetUpResult();
  AdminConfig({{"faults", {"add_attachment_to_result:1:500"}}});
  auto failed =
      Upload("add_attachment_to_result", result_, "attachment", "x", "a.txt", "text/plain");
  EXPECT_EQ(failed->status, 500);
  EXPECT_EQ(sim_->model().AttachmentCount(), 0u);  // not applied
  AdminConfig({{"faults", {"add_attachment_to_result:1:500-after-apply"}}});
  auto ambiguous =
      Upload("add_attachment_to_result", result_, "attachment", "x", "a.txt", "text/plain");
  EXPECT_EQ(ambiguous->status, 500);
  EXPECT_EQ(sim_->model().AttachmentCount(), 1u);  // applied: the client must reconcile
  EXPECT_EQ(api_->Get("get_attachments_for_test/" + S(test_)).json["attachments"].size(), 1u);
}

TEST_F(SimAttachmentTest, HtmlViewShowsImagesInline) {
  SetUpResult();
  const std::string png("\x89PNG\r\n\x1a\nbytes", 13);
  auto up =
      Upload("add_attachment_to_result", result_, "attachment", png, "shot <1>.png", "image/png");
  int64_t id = Json::parse(up->body)["attachment_id"];
  httplib::Client web("127.0.0.1", sim_->port());
  auto page = web.Get("/index.php?/tests/view/" + S(test_));
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  std::string img = "<img src=\"/index.php?/attachments/get/" + S(id) + "\"";
  EXPECT_NE(page->body.find(img), std::string::npos) << page->body;
  EXPECT_NE(page->body.find("shot &lt;1&gt;.png"), std::string::npos);
  auto bytes = web.Get("/index.php?/attachments/get/" + S(id));
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->body, png);
  EXPECT_EQ(web.Get("/index.php?/attachments/get/999")->status, 404);
}

}  // namespace
}  // namespace testrail_sim::testing
