-- 0009: real TestRail instances (issue 14). The per-project export field settings — value of
-- each custom result field (fixed or taken from the Nexus run), the assignee of failed
-- results, the step-results switch — as one JSON document (core/result_fields.h codec;
-- NULL = nothing configured). And, per planned result, the extra members of its
-- add_results_for_cases entry (custom_* values, assignedto_id, custom_step_results) as a
-- JSON object text, '' = none, so a resumed export sends exactly what was planned.

ALTER TABLE testrail_configs ADD COLUMN export_fields_json TEXT;

ALTER TABLE export_plan_results ADD COLUMN extra_json TEXT NOT NULL DEFAULT '';
