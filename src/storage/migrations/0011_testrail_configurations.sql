-- 0012: TestRail configurations (issue 14, R-CONFIGS). The per-project mapping of run
-- attributes to TestRail configuration groups, attribute value → config id, as one JSON
-- document (core/config_mapping.h codec: {"attributes":[{"attribute","group_id","values"}]});
-- NULL = no mapping (exports do not use configurations). Which plan run of an export belongs
-- to which configuration is in the plan head (exports.plan_json, entries[].config_ids).

ALTER TABLE testrail_configs ADD COLUMN configurations_json TEXT;
