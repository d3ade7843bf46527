-- 0006: an export's planned results as rows (R-EXP-5 memory, R-SYNC-2). Until now the whole
-- plan, every result with its comment, was one JSON text in exports.plan_json: a 50,000-result
-- export held the plan, that text and SQLite's copy of it in memory at once. From now on
-- plan_json keeps the plan's head only (name, description, skipped cases, warnings, one
-- {"suite_id"} per entry) and each result is a row here, written with the export and read
-- back when an interrupted export resumes. Run sync status reads a run's cases from here
-- instead of parsing a snapshot.

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

-- Snapshots written before this migration: their results become rows, their entries lose
-- the "results" member.
INSERT INTO export_plan_results (export_id, entry_index, seq, case_id, status_id, comment,
                                 elapsed, version, run_ids)
SELECT x.id, CAST(en.key AS INTEGER), CAST(r.key AS INTEGER),
       json_extract(r.value, '$.case_id'), json_extract(r.value, '$.status_id'),
       COALESCE(json_extract(r.value, '$.comment'), ''),
       COALESCE(json_extract(r.value, '$.elapsed'), ''),
       COALESCE(json_extract(r.value, '$.version'), ''),
       COALESCE((SELECT group_concat(ids.value, ',') FROM json_each(r.value, '$.run_ids') AS ids),
                '')
FROM exports AS x, json_each(x.plan_json, '$.entries') AS en,
     json_each(en.value, '$.results') AS r
WHERE x.plan_json IS NOT NULL AND json_valid(x.plan_json);

UPDATE exports
SET plan_json = json_set(plan_json, '$.entries',
                         (SELECT json_group_array(json_object('suite_id',
                                                              json_extract(en.value, '$.suite_id')))
                          FROM json_each(exports.plan_json, '$.entries') AS en))
WHERE plan_json IS NOT NULL AND json_valid(plan_json);
