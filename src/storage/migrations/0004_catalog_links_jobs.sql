-- 0004: durable jobs (src/jobs), the local TestRail catalog of the selected suites (sections
-- and cases, for the case picker and the link states) and the test- and step-level links of
-- Nexus tests to TestRail cases (docs/catalog.md).
--
-- Timestamps ending in _at are BIGINT milliseconds since the UNIX epoch (UTC); TestRail's
-- created_on / updated_on are kept as TestRail gives them (UNIX seconds). JSON columns are
-- text. Portable to PostgreSQL except for the AUTOINCREMENT id (see 0001).

-- ---- Jobs: one row per unit of durable background work.
-- state: queued | running | succeeded | failed. A running job holds a lease (worker_id,
-- lease_until); a running job whose lease expired is claimable again (resume after a crash).
-- At most one queued/running job per non-NULL dedupe_key (partial unique index).
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  project_id BIGINT NOT NULL DEFAULT 0,
  dedupe_key TEXT,
  state TEXT NOT NULL,
  payload TEXT NOT NULL,
  progress TEXT,
  result TEXT,
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  worker_id TEXT,
  lease_until BIGINT,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_claim_idx ON jobs (state, id);
CREATE INDEX jobs_project_idx ON jobs (project_id, kind, id);
CREATE UNIQUE INDEX jobs_active_dedupe_idx ON jobs (dedupe_key)
  WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running');

-- ---- TestRail catalog (per Nexus project; ids are TestRail ids).
-- Suites ever synced, with their own sync bookkeeping: the high-water updated_on (max case
-- updated_on seen) drives the incremental sync; a suite without a full sync gets one first.
CREATE TABLE testrail_catalog_suites (
  project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  suite_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  high_water_updated_on BIGINT NOT NULL DEFAULT 0,
  last_full_sync_at BIGINT,
  last_incremental_at BIGINT,
  PRIMARY KEY (project_id, suite_id)
);

CREATE TABLE testrail_catalog_sections (
  project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  section_id BIGINT NOT NULL,
  suite_id BIGINT NOT NULL,
  parent_id BIGINT,
  name TEXT NOT NULL,
  depth INTEGER NOT NULL DEFAULT 0,
  display_order BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, section_id)
);
CREATE INDEX testrail_catalog_sections_suite_idx
  ON testrail_catalog_sections (project_id, suite_id, display_order);

-- Cases are never removed by a sync: a case no longer listed by a full sync gets
-- is_deleted = TRUE (a tombstone), so links to it can say "missing".
CREATE TABLE testrail_catalog_cases (
  project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  case_id BIGINT NOT NULL,
  suite_id BIGINT NOT NULL,
  section_id BIGINT NOT NULL,
  title TEXT NOT NULL,
  refs TEXT NOT NULL DEFAULT '',
  created_on BIGINT NOT NULL DEFAULT 0,
  updated_on BIGINT NOT NULL DEFAULT 0,
  display_order BIGINT NOT NULL DEFAULT 0,
  is_deleted BOOLEAN NOT NULL DEFAULT FALSE,
  deleted_at BIGINT,
  PRIMARY KEY (project_id, case_id)
);
CREATE INDEX testrail_catalog_cases_suite_idx
  ON testrail_catalog_cases (project_id, suite_id, case_id);

-- One row per project: the state of the last catalog sync.
CREATE TABLE testrail_catalog_state (
  project_id BIGINT NOT NULL PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
  state TEXT NOT NULL,
  last_full_sync_at BIGINT,
  last_incremental_at BIGINT,
  last_attempt_at BIGINT,
  last_error TEXT,
  updated_at BIGINT NOT NULL
);

-- ---- Links of Nexus tests (step_id '' = test level) to TestRail cases.
-- baseline_updated_on: the case's updated_on when linked or last acknowledged; the link is
-- outdated when the catalog's updated_on is later (TestRail's own clock on both sides).
CREATE TABLE testrail_links (
  project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  test_id BIGINT NOT NULL REFERENCES tests (id) ON DELETE CASCADE,
  step_id TEXT NOT NULL DEFAULT '',
  case_id BIGINT NOT NULL,
  linked_at BIGINT NOT NULL,
  acknowledged_at BIGINT,
  baseline_updated_on BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (test_id, step_id, case_id)
);
CREATE INDEX testrail_links_case_idx ON testrail_links (project_id, case_id);
