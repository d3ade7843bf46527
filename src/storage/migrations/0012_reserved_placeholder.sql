-- 0012: reserved for the rate-budget change developed in parallel (issue 17's branch only
-- needs 0013). A net no-op so the numbering has no gap on this branch; when the branches
-- are merged, the rate-budget 0012 replaces this file.

CREATE TABLE IF NOT EXISTS migration_0012_placeholder (id INTEGER);
DROP TABLE migration_0012_placeholder;
