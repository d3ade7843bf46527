-- 0010: JUnit XML imports (R-IMPORT, issue 18).
--
-- junit_imported_tests: the stable key of an imported testcase (classname + name) → the
-- Nexus test created for it on first import and reused after.
-- junit_imports: one row per accepted report. (project, sha256, execution_name) is unique:
-- re-posting the same report under the same execution name answers with this row (its
-- execution), never a second execution. plan_id is the plan that imports of that execution
-- name share (its tests: every test ever imported under the name).
CREATE TABLE junit_imported_tests (
  project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  test_key TEXT NOT NULL,
  test_id BIGINT NOT NULL REFERENCES tests (id),
  PRIMARY KEY (project_id, test_key)
);

CREATE TABLE junit_imports (
  id INTEGER PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES projects (id),
  sha256 TEXT NOT NULL,
  execution_name TEXT NOT NULL,
  execution_id BIGINT NOT NULL REFERENCES executions (id),
  plan_id BIGINT NOT NULL REFERENCES test_plans (id),
  testcases BIGINT NOT NULL,
  passed BIGINT NOT NULL,
  failed BIGINT NOT NULL,
  errors BIGINT NOT NULL,
  skipped BIGINT NOT NULL,
  tests_created BIGINT NOT NULL,
  links_added BIGINT NOT NULL,
  created_by BIGINT,
  created_at BIGINT NOT NULL,
  CONSTRAINT junit_imports_report_unique UNIQUE (project_id, sha256, execution_name)
);
CREATE INDEX junit_imports_name_idx ON junit_imports (project_id, execution_name, id);
CREATE INDEX junit_imports_execution_idx ON junit_imports (execution_id);
