// The demo's PNG encoder and screenshot seeding (issue 17): the file is a valid PNG (chunk
// CRCs, IHDR, IDAT inflating to the pixels), screenshots are deterministic, and SeedDemo with
// an ArtifactService gives every finished run one screenshot per step and a log.
#include "app/png_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <string>

#include "app/demo.h"
#include "core/clock.h"
#include "domain/artifact_service.h"
#include "storage/blob_store.h"

namespace nexus::app {
namespace {

uint32_t Get32(const std::string& s, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(s[at])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(s[at + 3]));
}

struct Chunk {
  std::string type;
  std::string data;
};

// Splits a PNG into chunks, checking each CRC; empty on any defect.
std::vector<Chunk> Chunks(const std::string& png) {
  std::vector<Chunk> out;
  if (png.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)) != 0) return {};
  size_t at = 8;
  while (at + 12 <= png.size()) {
    uint32_t len = Get32(png, at);
    if (at + 12 + len > png.size()) return {};
    std::string typed = png.substr(at + 4, 4 + len);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(typed.data()), static_cast<uInt>(typed.size()));
    if (static_cast<uint32_t>(crc) != Get32(png, at + 8 + len)) return {};
    out.push_back({typed.substr(0, 4), typed.substr(4)});
    at += 12 + len;
  }
  if (at != png.size()) return {};
  return out;
}

TEST(PngWriterTest, EncodesAValidRgbPng) {
  RgbImage img(3, 2);
  img.Fill(0, 0, 1, 1, 255, 0, 0);
  img.Fill(2, 1, 5, 5, 0, 0, 255);  // clipped to the image
  std::string png = EncodePng(img);
  auto chunks = Chunks(png);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].type, "IHDR");
  EXPECT_EQ(Get32(chunks[0].data, 0), 3u);
  EXPECT_EQ(Get32(chunks[0].data, 4), 2u);
  EXPECT_EQ(chunks[0].data.substr(8), std::string("\x08\x02\x00\x00\x00", 5));
  EXPECT_EQ(chunks[1].type, "IDAT");
  EXPECT_EQ(chunks[2].type, "IEND");
  EXPECT_TRUE(chunks[2].data.empty());
  std::string raw(2 * (1 + 9), '\0');
  uLongf raw_size = raw.size();
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size,
                       reinterpret_cast<const Bytef*>(chunks[1].data.data()),
                       static_cast<uLong>(chunks[1].data.size())),
            Z_OK);
  ASSERT_EQ(raw_size, 20u);
  // Each row: filter byte 0, then RGB. Row 0: red, white, white; row 1: white, white, blue.
  const std::string row0("\0\xff\0\0\xff\xff\xff\xff\xff\xff", 10);
  const std::string row1("\0\xff\xff\xff\xff\xff\xff\0\0\xff", 10);
  EXPECT_EQ(raw, row0 + row1);
}

TEST(PngWriterTest, RefusesAnImageWithoutPixels) {
  RgbImage img(2, 2);
  img.pixels.pop_back();
  EXPECT_EQ(EncodePng(img), "");
  EXPECT_EQ(EncodePng(RgbImage(0, 5)), "");
}

TEST(PngWriterTest, DemoScreenshotsAreDeterministicAndShowTheFailure) {
  std::string a = DemoScreenshotPng(1, false);
  EXPECT_EQ(a, DemoScreenshotPng(1, false));
  EXPECT_NE(a, DemoScreenshotPng(1, true));
  EXPECT_NE(a, DemoScreenshotPng(2, false));
  auto chunks = Chunks(a);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(Get32(chunks[0].data, 0), 640u);
  EXPECT_EQ(Get32(chunks[0].data, 4), 400u);
}

TEST(DemoSeedTest, FinishedRunsGetAScreenshotPerStepAndALog) {
  auto dir =
      std::filesystem::temp_directory_path() / ("nexus-demo-seed-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto opened = OpenSqliteStore(":memory:");
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Store> store = std::move(opened).value();
  ASSERT_TRUE(store->Migrate().ok());
  auto blobs = OpenDirBlobStore((dir / "blobs").string());
  ASSERT_TRUE(blobs.ok()) << blobs.status().message();
  SystemClock clock;
  domain::ArtifactService artifacts(*store, *blobs.value(), clock, domain::ArtifactLimits{});
  ASSERT_TRUE(SeedDemo(*store, clock.NowMs(), &artifacts).ok());

  auto projects = store->ListProjects();
  ASSERT_TRUE(projects.ok());
  ASSERT_EQ(projects->size(), 1u);
  auto runs = store->ListRuns((*projects)[0].id, {}, {.after_id = 0, .limit = 100});
  ASSERT_TRUE(runs.ok());
  int with_artifacts = 0;
  for (const nexus::Run& r : *runs) {
    auto list = artifacts.List(r.project_id, r.id);
    ASSERT_TRUE(list.ok());
    if (list->empty()) continue;  // the plan's execution runs carry none
    ++with_artifacts;
    ASSERT_EQ(list->size(), r.steps.size() + 1) << r.id;
    for (size_t k = 0; k < r.steps.size(); ++k) {
      const Artifact& a = (*list)[k];
      EXPECT_EQ(a.name, "step-" + std::to_string(k + 1) + ".png");
      EXPECT_EQ(a.media_type, "image/png");
      EXPECT_EQ(a.step_id, r.steps[k].step_id);
      EXPECT_GT(a.size, 1000);
    }
    EXPECT_EQ(list->back().name, "agent.log");
    EXPECT_EQ(list->back().step_id, "");
  }
  EXPECT_EQ(with_artifacts, 6);
  // Seeding again adds nothing (idempotent).
  auto before = artifacts.List((*runs)[0].project_id, (*runs)[0].id);
  ASSERT_TRUE(SeedDemo(*store, clock.NowMs(), &artifacts).ok());
  auto after = artifacts.List((*runs)[0].project_id, (*runs)[0].id);
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(after->size(), before->size());
  EXPECT_EQ(store->ListRuns((*projects)[0].id, {}, {.after_id = 0, .limit = 100})->size(),
            runs->size());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace nexus::app
