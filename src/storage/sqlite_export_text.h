// Text and JSON forms of the typed export records in the exports tables (sqlite_exports.cc):
// byte-compatible with rows written before the records were typed, so no migration is needed.
// Readers are lenient (an unknown text reads as the safe default); PlanHeadFromJson is strict
// (Internal for an unreadable snapshot, which fails its export at once).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/export_records.h"

namespace nexus::sqlite_export_text {

ExportSourceKind SourceKindFromText(std::string_view text);
std::optional<ExportStrategy> StrategyFromText(std::string_view text);
std::string StrategyText(const std::optional<ExportStrategy>& s);
std::string OptionsToJson(const ExportRunOptions& o);
ExportRunOptions OptionsFromJson(const std::string& text);
std::string SkippedToJson(const std::vector<ExportSkip>& skipped);
std::vector<ExportSkip> SkippedFromJson(const std::string& text);
std::string WarningsToJson(const std::vector<ExportWarning>& warnings);
std::vector<ExportWarning> WarningsFromJson(const std::string& text);
std::string_view StepKindName(ExportStepKind kind);
ExportStepKind StepKindFromText(std::string_view text);
std::string StepDetailToJson(ExportStepKind kind, const ExportStepDetail& d);
ExportStepDetail StepDetailFromJson(const std::string& text);
std::string AttachmentProgressToJson(const ExportAttachmentProgress& p);
ExportAttachmentProgress AttachmentProgressFromJson(const std::string& text);
std::string PlanHeadToJson(const ExportPlanHead& head);
Result<ExportPlanHead> PlanHeadFromJson(const std::string& text);

}  // namespace nexus::sqlite_export_text
