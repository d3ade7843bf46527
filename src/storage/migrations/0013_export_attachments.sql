-- 0013: TestRail attachments of run artifacts (issue 17, R-ART). The project's attachment
-- policy under the export options, as JSON (core/attachment_plan.h codec: {"mode":
-- "none"|"failed"|"all", "media_types": [...], "max_bytes": N}); NULL = none. And per export
-- the attachment progress {"total", "sent", "refused", "bytes_total", "bytes_sent"} ('{}' =
-- nothing to attach). The uploads' journal is export_steps (kinds attach_intent /
-- attach_done / attach_refused); what to attach is in the plan head (exports.plan_json).

ALTER TABLE testrail_configs ADD COLUMN attachment_policy_json TEXT;

ALTER TABLE exports ADD COLUMN attachments_json TEXT NOT NULL DEFAULT '{}';
