// The export request rules ExportService owns (ValidateExportSource, ValidateCustomRunName):
// the API and the CLI only map their errors.
#include <gtest/gtest.h>

#include <string>

#include "integration/export_service.h"

namespace nexus::integration {
namespace {

TEST(ExportRulesTest, ExactlyOneSource) {
  ExportSourceSpec none;
  Status s = ValidateExportSource(none);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "run_id");
  EXPECT_EQ(s.reason(), "missing_field");
  EXPECT_EQ(s.message(), "give one of run_id, run_ids or execution_id");

  ExportSourceSpec run_and_runs;
  run_and_runs.run_id = 1;
  run_and_runs.run_ids = std::vector<int64_t>{2};
  s = ValidateExportSource(run_and_runs);
  EXPECT_EQ(s.field(), "run_ids");
  EXPECT_EQ(s.reason(), "invalid_value");
  EXPECT_EQ(s.message(), "give only one of run_id, run_ids and execution_id");

  ExportSourceSpec run_and_execution;
  run_and_execution.run_id = 1;
  run_and_execution.execution_id = 3;
  EXPECT_EQ(ValidateExportSource(run_and_execution).field(), "execution_id");

  for (ExportSourceSpec one :
       {ExportSourceSpec{1, std::nullopt, std::nullopt},
        ExportSourceSpec{std::nullopt, std::vector<int64_t>{1, 2}, std::nullopt},
        ExportSourceSpec{std::nullopt, std::nullopt, 5}}) {
    EXPECT_TRUE(ValidateExportSource(one).ok());
  }
}

TEST(ExportRulesTest, RunIdsHoldOneToOneHundredRuns) {
  ExportSourceSpec spec;
  spec.run_ids = std::vector<int64_t>{};
  Status s = ValidateExportSource(spec);
  EXPECT_EQ(s.field(), "run_ids");
  EXPECT_EQ(s.message(), "run_ids must hold 1 to 100 items");
  std::vector<int64_t> ids;
  for (int64_t i = 1; i <= 100; ++i) ids.push_back(i);
  spec.run_ids = ids;
  EXPECT_TRUE(ValidateExportSource(spec).ok());
  ids.push_back(101);
  spec.run_ids = ids;
  EXPECT_EQ(ValidateExportSource(spec).field(), "run_ids");
}

TEST(ExportRulesTest, CustomRunNameIsTrimmed) {
  auto name = ValidateCustomRunName("  Release 4.2 regression ");
  ASSERT_TRUE(name.ok()) << name.status().message();
  EXPECT_EQ(*name, "Release 4.2 regression");
}

TEST(ExportRulesTest, CustomRunNameLimits) {
  const std::string ok250(250, 'n');
  EXPECT_EQ(ValidateCustomRunName(ok250).value(), ok250);
  std::string e250;
  for (int i = 0; i < 250; ++i) e250 += "\xC3\xA9";  // 250 characters, 500 bytes
  EXPECT_EQ(ValidateCustomRunName(e250).value(), e250);

  for (const std::string& bad :
       {std::string(), std::string("   \t"), std::string(251, 'n'), e250 + "x",
        std::string("bad\xC3"), std::string("two\nlines"), std::string(4001, 'n')}) {
    Result<std::string> r = ValidateCustomRunName(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().field(), "custom_run_name");
    EXPECT_EQ(r.status().reason(), "invalid_value");
  }
  EXPECT_EQ(ValidateCustomRunName("").status().message(), "custom_run_name must not be empty");
  EXPECT_EQ(ValidateCustomRunName("  ").status().message(), "custom_run_name must not be blank");
  EXPECT_EQ(ValidateCustomRunName(std::string(251, 'n')).status().message(),
            "custom_run_name must be 1 to 250 characters");
}

}  // namespace
}  // namespace nexus::integration
