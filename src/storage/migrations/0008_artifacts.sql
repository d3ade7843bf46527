-- 0008: run artifacts (issue 17, R-ART): screenshots, videos and logs of a run. The bytes
-- are blobs addressed by their SHA-256 (storage/blob_store.h); a blob referenced by several
-- artifacts is stored once, so the blob index answers "is it still referenced?".
CREATE TABLE artifacts (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  step_id TEXT NOT NULL DEFAULT '',
  created_by INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX artifacts_run_idx ON artifacts (project_id, run_id, id);
CREATE INDEX artifacts_blob_idx ON artifacts (sha256);
