// Run artifacts through real HTTP (issue 17, R-ART): upload as a raw body (spooled to disk),
// list, download with ranges, delete; every refusal stores nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "api_harness.h"

namespace nexus::testing {
namespace {

namespace fs = std::filesystem;

// A minimal, valid-looking PNG signature followed by `n` bytes of payload.
std::string Png(size_t n, char fill = 'x') {
  return std::string("\x89PNG\r\n\x1a\n", 8) + std::string(n, fill);
}

// Files under the blob store (spool directory excluded).
size_t BlobFiles(const std::string& data_dir) {
  size_t n = 0;
  fs::path root = fs::path(data_dir) / "blobs";
  if (!fs::exists(root)) return 0;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) ++n;
  return n;
}

class ArtifactsTest : public ::testing::Test {
 protected:
  ArtifactsTest()
      : h_([](app::Config& c) {
          c.artifact_max_bytes = 1024 * 1024;
          c.artifact_quota_bytes = 3 * 1024 * 1024;
        }) {}

  void SetUp() override {
    admin_ = h_.CreateUserToken("root@example.com", /*org_admin=*/true);
    auto p = h_.Post("/api/v1/projects", admin_, {{"name", "Shop"}});
    ASSERT_EQ(p.status, 201) << p.raw;
    base_ = "/api/v1/projects/" + std::to_string(p.body["id"].get<int64_t>());
    auto t = h_.Post(base_ + "/tests", admin_,
                     {{"name", "Checkout"},
                      {"steps",
                       {{{"goal", "Open"}, {"expected_results", {"ok"}}},
                        {{"goal", "Pay"}, {"expected_results", {"ok"}}}}}});
    ASSERT_EQ(t.status, 201) << t.raw;
    step_ = t.body["steps"][1]["id"];
    auto r = h_.Post(base_ + "/runs", admin_,
                     {{"test_id", t.body["id"]},
                      {"result", "Success"},
                      {"bug_label", "NoBug"},
                      {"started_at", "2026-11-25T10:00:00Z"},
                      {"finished_at", "2026-11-25T10:01:30Z"}});
    ASSERT_EQ(r.status, 201) << r.raw;
    runs_ = base_ + "/runs/" + std::to_string(r.body["id"].get<int64_t>()) + "/artifacts";
  }

  HttpResult Upload(const std::string& query, const std::string& bytes,
                    const std::string& type = "image/png") {
    return h_.Call("POST", runs_ + query, admin_, bytes, {{"Content-Type", type}});
  }

  ApiHarness h_;
  std::string admin_, base_, runs_, step_;
};

TEST_F(ArtifactsTest, UploadListDownloadRangeAndDelete) {
  const std::string png = Png(5000);
  auto up = Upload("?name=step-2.png&step_id=" + step_, png);
  ASSERT_EQ(up.status, 201) << up.raw;
  EXPECT_EQ(up.body["name"], "step-2.png");
  EXPECT_EQ(up.body["media_type"], "image/png");
  EXPECT_EQ(up.body["size"], png.size());
  EXPECT_EQ(up.body["step_id"], step_);
  EXPECT_EQ(up.body["sha256"].get<std::string>().size(), 64u);
  const std::string one = runs_ + "/" + std::to_string(up.body["id"].get<int64_t>());

  auto log = Upload("?name=console.log", "line 1\nline 2\n", "text/plain; charset=utf-8");
  ASSERT_EQ(log.status, 201) << log.raw;
  EXPECT_EQ(log.body["media_type"], "text/plain");
  EXPECT_TRUE(log.body["step_id"].is_null());

  auto list = h_.Get(runs_, admin_);
  ASSERT_EQ(list.status, 200) << list.raw;
  ASSERT_EQ(list.body["items"].size(), 2u);
  EXPECT_EQ(list.body["items"][0]["name"], "step-2.png");

  auto whole = h_.Call("GET", one, admin_);
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.raw, png);
  EXPECT_EQ(whole.headers.find("Content-Type")->second, "image/png");
  EXPECT_EQ(whole.headers.find("Accept-Ranges")->second, "bytes");
  EXPECT_NE(whole.headers.find("Content-Disposition")->second.find("inline"), std::string::npos);

  auto part = h_.Call("GET", one, admin_, "", {{"Range", "bytes=8-15"}});
  ASSERT_EQ(part.status, 206) << part.raw;
  EXPECT_EQ(part.raw, png.substr(8, 8));
  EXPECT_EQ(part.headers.find("Content-Range")->second, "bytes 8-15/" + std::to_string(png.size()));
  auto tail = h_.Call("GET", one, admin_, "", {{"Range", "bytes=-10"}});
  ASSERT_EQ(tail.status, 206);
  EXPECT_EQ(tail.raw, png.substr(png.size() - 10));
  auto past = h_.Call("GET", one, admin_, "", {{"Range", "bytes=99999-"}});
  EXPECT_EQ(past.status, 416);
  EXPECT_EQ(past.headers.find("Content-Range")->second, "bytes */" + std::to_string(png.size()));
  auto etag = whole.headers.find("ETag")->second;
  EXPECT_EQ(h_.Call("GET", one, admin_, "", {{"If-None-Match", etag}}).status, 304);

  // The same bytes twice are stored once; deleting one keeps the other's bytes.
  auto again = Upload("?name=copy.png", png);
  ASSERT_EQ(again.status, 201) << again.raw;
  EXPECT_EQ(again.body["sha256"], up.body["sha256"]);
  EXPECT_EQ(BlobFiles(h_.data_dir()), 2u);  // the PNG and the log
  EXPECT_EQ(h_.Delete(one, admin_).status, 204);
  EXPECT_EQ(h_.Get(one, admin_).status, 404);
  const std::string copy = runs_ + "/" + std::to_string(again.body["id"].get<int64_t>());
  EXPECT_EQ(h_.Call("GET", copy, admin_).raw, png);
  EXPECT_EQ(h_.Delete(copy, admin_).status, 204);
  EXPECT_EQ(BlobFiles(h_.data_dir()), 1u);  // the PNG is gone with its last artifact
}

TEST_F(ArtifactsTest, BadUploadsAreRefusedAndStoreNothing) {
  struct Case {
    std::string query, body, type;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"", Png(10), "image/png", 400, "missing_field"},                          // no name
      {"?name=../x.png", Png(10), "image/png", 400, "invalid_value"},            // a path
      {"?name=a.png&step_id=nope", Png(10), "image/png", 400, "invalid_value"},  // not a step
      {"?name=a.png", "", "image/png", 400, "empty"},
      {"?name=a.exe", "MZ\x90", "application/x-msdownload", 415, "unsupported_media_type"},
      {"?name=a.png", "GIF89a......", "image/png", 415, "media_type_mismatch"},
      {"?name=a.json", "not json", "application/json", 415, "media_type_mismatch"},
      {"?name=big.png", Png(1024 * 1024), "image/png", 413, "payload_too_large"},
  };
  for (const Case& c : cases) {
    auto r = Upload(c.query, c.body, c.type);
    EXPECT_EQ(r.status, c.status) << c.query << ": " << r.raw;
    EXPECT_EQ(r.code(), c.code) << c.query << ": " << r.raw;
  }
  auto other_run = h_.Call("POST", base_ + "/runs/999999/artifacts?name=a.png", admin_, Png(10),
                           {{"Content-Type", "image/png"}});
  EXPECT_EQ(other_run.status, 404) << other_run.raw;
  EXPECT_TRUE(h_.Get(runs_, admin_).body["items"].empty());
  EXPECT_EQ(BlobFiles(h_.data_dir()), 0u);
  // Nothing left in the spool directory either.
  EXPECT_TRUE(fs::is_empty(fs::path(h_.data_dir()) / "blobs" / "tmp"));
}

TEST_F(ArtifactsTest, ProjectQuotaIsEnforced) {
  for (char fill : {'a', 'b', 'c'}) {
    auto r = Upload("?name=shot.png", Png(900 * 1024, fill));
    ASSERT_EQ(r.status, 201) << r.raw;
  }
  auto over = Upload("?name=shot.png", Png(900 * 1024, 'd'));
  EXPECT_EQ(over.status, 413) << over.raw;
  EXPECT_EQ(over.code(), "quota_exceeded");
  EXPECT_EQ(h_.Get(runs_, admin_).body["items"].size(), 3u);
}

TEST_F(ArtifactsTest, ReadersDownloadButCannotUploadOrDelete) {
  auto up = Upload("?name=a.png", Png(100));
  ASSERT_EQ(up.status, 201) << up.raw;
  int64_t viewer_id = 0;
  std::string viewer = h_.CreateUserToken("viewer@example.com", false, &viewer_id);
  int64_t pid = std::stoll(base_.substr(base_.rfind('/') + 1));
  ASSERT_TRUE(h_.store().SetMembership({pid, viewer_id, ProjectRole::kViewer}).ok());
  const std::string one = runs_ + "/" + std::to_string(up.body["id"].get<int64_t>());
  EXPECT_EQ(h_.Call("GET", one, viewer).raw, Png(100));
  EXPECT_EQ(h_.Call("POST", runs_ + "?name=b.png", viewer, Png(10), {{"Content-Type", "image/png"}})
                .status,
            403);
  EXPECT_EQ(h_.Delete(one, viewer).status, 403);
  // No credentials, or wrong ones: refused before the body is read, nothing spooled.
  for (const std::string& token : {std::string(), std::string("not-a-token")}) {
    auto anon = h_.Call("POST", runs_ + "?name=c.png", token, Png(64 * 1024),
                        {{"Content-Type", "image/png"}});
    EXPECT_EQ(anon.status, 401) << anon.raw;
    EXPECT_EQ(anon.code(), "unauthenticated") << anon.raw;
  }
  EXPECT_TRUE(fs::is_empty(fs::path(h_.data_dir()) / "blobs" / "tmp"));
  std::string outsider = h_.CreateUserToken("out@example.com");
  EXPECT_EQ(h_.Call("GET", one, outsider).status, 404);
}

}  // namespace
}  // namespace nexus::testing
