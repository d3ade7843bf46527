-- 0007: run attributes (issue 14, R-RUN): free string key -> value pairs such as
-- platform=PS5 that exports map to TestRail configurations and CI imports set. The run keeps
-- the canonical JSON object for reads; run_attributes holds one row per pair so the run list
-- can filter by key and value with an index, in SQL both backends speak.
ALTER TABLE runs ADD COLUMN attributes_json TEXT NOT NULL DEFAULT '{}';
CREATE TABLE run_attributes (
  run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  project_id BIGINT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE INDEX run_attributes_filter_idx ON run_attributes (project_id, key, value, run_id);
