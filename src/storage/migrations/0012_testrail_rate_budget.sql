-- 0012: the TestRail rate budget shared by every Nexus instance on one database (issue 15,
-- R-Q-RATE; storage/pg_rate_ledger.h, docs/storage.md "Several instances"). Used on PostgreSQL
-- only (several instances); on SQLite (one process) the tables stay empty.
--
-- One row per TestRail instance, keyed by its normalised base URL (never credentials): the end
-- of a pause set after a 429/409 by any instance and a stricter per-minute limit learned from
-- a 429 body (with the configured limit it was learned under). Times are microseconds since
-- the UNIX epoch on the database server's clock, so instances on hosts with skewed clocks agree.
CREATE TABLE testrail_rate_budgets (
  instance_key TEXT PRIMARY KEY,
  paused_until_us BIGINT NOT NULL DEFAULT 0,
  learned_limit INTEGER,
  learned_under_rpm BIGINT NOT NULL DEFAULT 0
);

-- The calls granted by any instance in the last window (older rows are pruned by the grants).
CREATE TABLE testrail_rate_grants (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_key TEXT NOT NULL REFERENCES testrail_rate_budgets (instance_key),
  granted_at_us BIGINT NOT NULL
);
CREATE INDEX testrail_rate_grants_by_time ON testrail_rate_grants (instance_key, granted_at_us);
