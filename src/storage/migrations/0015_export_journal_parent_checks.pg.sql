-- 0015 on PostgreSQL (issue 15: a 10,000-result export within 1.1x of SQLite's time). An
-- export writes one export_plan_results row per planned case before its first TestRail call
-- and one export_cases row per case sent, in 500-row statements. A foreign key checks its
-- parent once per row (an index probe and a FOR KEY SHARE lock of the same exports row 10,000
-- times), about 40% of those statements' time. The same guarantees, checked once per
-- statement over the statement's new rows (a transition table):
--  - a row must name an existing export, whose row is locked FOR KEY SHARE until the
--    transaction ends (so it cannot be deleted under it), else foreign_key_violation (23503),
--    as the foreign key did;
--  - deleting exports deletes their rows in both tables (ON DELETE CASCADE), in the same
--    statement's transaction.
-- Nothing updates exports.id or a row's export_id (the foreign keys' NO ACTION on update is not
-- reproduced). The other journal tables keep their foreign keys (a handful of rows each).
ALTER TABLE export_plan_results DROP CONSTRAINT export_plan_results_export_id_fkey;
ALTER TABLE export_cases DROP CONSTRAINT export_cases_export_id_fkey;

CREATE FUNCTION nexus_check_export_parent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing BIGINT;
BEGIN
  PERFORM 1 FROM exports e WHERE e.id IN (SELECT DISTINCT n.export_id FROM new_rows n)
    FOR KEY SHARE OF e;
  SELECT n.export_id INTO missing FROM new_rows n
    WHERE NOT EXISTS (SELECT 1 FROM exports e WHERE e.id = n.export_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "%" violates the export reference: export % does not exist',
      TG_TABLE_NAME, missing USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER export_plan_results_parent AFTER INSERT ON export_plan_results
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nexus_check_export_parent();
CREATE TRIGGER export_cases_parent AFTER INSERT ON export_cases
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nexus_check_export_parent();

CREATE FUNCTION nexus_delete_export_journal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM export_plan_results WHERE export_id IN (SELECT o.id FROM old_rows o);
  DELETE FROM export_cases WHERE export_id IN (SELECT o.id FROM old_rows o);
  RETURN NULL;
END
$$;

CREATE TRIGGER exports_delete_journal AFTER DELETE ON exports
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION nexus_delete_export_journal();
