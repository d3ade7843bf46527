// Step results (issue 14): TestRail's `custom_step_results` of a result, built from the
// Nexus step outcomes of the run that decided it — one entry per step the run reported,
// `{content, expected, actual, status_id}`, statuses through the project's mapping. Pure.
// Kept apart from result_fields.h so that header (included by the config service and the
// API) stays small. Design: docs/export.md "Before any TestRail write".
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/export_planner.h"
#include "core/status_mapping.h"
#include "core/types.h"

namespace nexus {

// The entries for `run` of `test`, in the test's step order: content = the step's goal,
// expected = its expected results one per line, actual = the outcome's comment, status_id =
// mapping.Resolve(outcome). Steps the run did not report, or whose outcome maps to "not
// reported", are left out. An empty array when none remains.
nlohmann::json StepResultsOf(const Run& run, const Test& test, const StatusMapping& mapping);

// Adds `field` (the instance's step-results field, e.g. "custom_step_results") with
// StepResultsOf(deciding run) to the extra members of every result whose deciding run has at
// least one reported step. `run_of(result)` gives the deciding run and its test (nullptrs when
// unknown: the result is left as is).
void ApplyStepResults(
    const std::string& field, const StatusMapping& mapping,
    const std::function<std::pair<const Run*, const Test*>(const PlannedResult&)>& run_of,
    ExportPlan& plan);

}  // namespace nexus
