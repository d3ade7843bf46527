-- 0003: the TestRail configuration of a project (Configs → TestRail): the connection with its
-- encrypted API key, the selected TestRail project and suites, the cached statuses of the
-- instance, the status mapping and the export options. One row per Nexus project in
-- testrail_configs; the selected suites in a child table.
--
-- The API key is stored only sealed (libsodium crypto_secretbox: nonce + ciphertext, both
-- hex text so the schema stays portable to PostgreSQL); api_key_last4 is the only plain part
-- shown to users. A project whose connection was removed (R-CONN-4) keeps its row with the
-- connection columns NULL, so the project/suite selection, mapping and options survive a
-- reconnect. Timestamps are BIGINT milliseconds since the UNIX epoch (UTC).

CREATE TABLE testrail_configs (
  project_id BIGINT NOT NULL PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
  -- Connection (all NULL when not connected).
  url TEXT,
  username TEXT,
  api_key_nonce TEXT,
  api_key_ciphertext TEXT,
  api_key_last4 TEXT,
  connected_at BIGINT,
  connected_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
  verified BOOLEAN NOT NULL DEFAULT FALSE,
  -- Selected TestRail project.
  tr_project_id BIGINT,
  tr_project_name TEXT,
  tr_suite_mode INTEGER,
  -- Cached get_statuses answer (JSON array) and when it was fetched.
  statuses_json TEXT,
  statuses_fetched_at BIGINT,
  -- Status mapping (JSON, see docs/testrail-config.md); NULL = defaults (R-MAP-4).
  mapping_json TEXT,
  -- Export options.
  close_run_on_completion BOOLEAN NOT NULL DEFAULT TRUE,
  auto_export BOOLEAN NOT NULL DEFAULT FALSE,
  run_name_template TEXT,
  milestone_id BIGINT,
  updated_at BIGINT NOT NULL
);

CREATE TABLE testrail_selected_suites (
  project_id BIGINT NOT NULL REFERENCES testrail_configs (project_id) ON DELETE CASCADE,
  suite_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (project_id, suite_id)
);
