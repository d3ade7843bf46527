-- 0015: nothing on SQLite. On PostgreSQL (0015_export_journal_parent_checks.pg.sql) the two
-- journal tables an export writes a row per case into check their export once per statement
-- instead of once per row (issue 15, export speed on PostgreSQL). SQLite's foreign keys stay.
SELECT 1;
