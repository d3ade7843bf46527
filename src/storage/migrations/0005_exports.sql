-- 0005: TestRail exports (R-SYNC-1, R-Q-IDEMP): one row per export with its plan snapshot and
-- outcome, the journal of every remote step (written before and after each TestRail call, so
-- an interrupted export resumes without duplicating anything; docs/export.md), the runs each
-- export covered (run sync status, R-SYNC-2) and the status last sent per case (last_export
-- of a link).
--
-- At most one queued/running export per source: the partial unique index on source_key makes
-- a second concurrent export of the same source a constraint violation (R-EXP-8, 409), also
-- across processes sharing the database.

CREATE TABLE exports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  trigger_kind TEXT NOT NULL,          -- manual | auto
  source_kind TEXT NOT NULL,           -- single_run | multiple_runs | test_plan
  source_ids TEXT NOT NULL,            -- JSON array of run ids, or [execution id]
  source_key TEXT NOT NULL,            -- "runs:1,2,3" | "execution:5"
  options TEXT NOT NULL,               -- JSON: custom_run_name, close_run_on_completion, ...
  state TEXT NOT NULL,                 -- queued | running | succeeded | partially_succeeded | failed
  nonce TEXT NOT NULL,                 -- part of the TestRail-side marker
  plan_json TEXT,                      -- the ExportPlan snapshot, NULL until planned
  strategy TEXT,                       -- single_suite | multi_suite_plan
  testrail_run_id BIGINT,
  testrail_plan_id BIGINT,
  testrail_name TEXT,
  testrail_url TEXT,
  runs_processed INTEGER NOT NULL DEFAULT 0,
  total_test_cases INTEGER NOT NULL DEFAULT 0,
  results_sent INTEGER NOT NULL DEFAULT 0,
  skipped_json TEXT NOT NULL DEFAULT '[]',
  warnings_json TEXT NOT NULL DEFAULT '[]',
  error TEXT,
  error_code TEXT,
  duration_ms BIGINT,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE INDEX exports_project_idx ON exports (project_id, id);
CREATE INDEX exports_state_idx ON exports (state);
CREATE UNIQUE INDEX exports_active_source_idx ON exports (project_id, source_key)
  WHERE state IN ('queued', 'running');

-- The journal. kind: plan | create_intent | create_done | batch_intent | batch_done |
-- case_skipped | close_intent | close_done | reconciled. entry_index = plan entry (suite).
CREATE TABLE export_steps (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  export_id BIGINT NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  entry_index INTEGER,
  remote_id BIGINT,
  case_ids TEXT NOT NULL DEFAULT '[]',  -- JSON array
  fingerprint TEXT,
  detail TEXT NOT NULL DEFAULT '{}',    -- JSON
  created_at BIGINT NOT NULL
);
CREATE INDEX export_steps_export_idx ON export_steps (export_id, id);

CREATE TABLE export_runs (
  export_id BIGINT NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
  project_id BIGINT NOT NULL,
  run_id BIGINT NOT NULL,
  PRIMARY KEY (export_id, run_id)
);
CREATE INDEX export_runs_run_idx ON export_runs (project_id, run_id, export_id);

-- One row per case whose result landed in TestRail.
CREATE TABLE export_cases (
  export_id BIGINT NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
  project_id BIGINT NOT NULL,
  case_id BIGINT NOT NULL,
  status_id INTEGER NOT NULL,
  exported_at BIGINT NOT NULL,
  PRIMARY KEY (export_id, case_id)
);
CREATE INDEX export_cases_case_idx ON export_cases (project_id, case_id, exported_at);
