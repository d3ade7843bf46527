-- 0002: indexes behind the run filters of ListRuns (by test, by execution, by result) and
-- behind DeleteExpiredSessions. Each keeps `id` last so keyset pagination (id > after_id
-- ORDER BY id) walks the index in order.
CREATE INDEX runs_project_test_idx ON runs (project_id, test_id, id);
CREATE INDEX runs_project_execution_idx ON runs (project_id, execution_id, id);
CREATE INDEX runs_project_result_idx ON runs (project_id, result, id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
