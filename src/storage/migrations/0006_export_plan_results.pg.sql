-- 0006 on PostgreSQL (issue 15): the table only. The SQLite file also converts plan_json
-- snapshots written before 0006 with SQLite's JSON functions; a PostgreSQL database never holds
-- such snapshots (PostgreSQL support starts after 0006, and `nexus db copy` copies from a
-- SQLite database migrated to the newest version), so there is nothing to convert.

CREATE TABLE export_plan_results (
  export_id BIGINT NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
  entry_index INTEGER NOT NULL,   -- the plan entry (suite), as in export_steps
  seq INTEGER NOT NULL,           -- position in the entry (ascending case id)
  case_id BIGINT NOT NULL,
  status_id INTEGER NOT NULL,
  comment TEXT NOT NULL,
  elapsed TEXT NOT NULL,          -- '' = not sent
  version TEXT NOT NULL,          -- '' = not sent
  run_ids TEXT NOT NULL,          -- the runs that hit the case, ascending: '12,15'
  PRIMARY KEY (export_id, entry_index, seq)
);
