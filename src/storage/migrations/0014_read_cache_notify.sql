-- 0014: nothing on SQLite. On PostgreSQL (0014_read_cache_notify.pg.sql) the tables a
-- `nexus serve` keeps in its read cache notify every listening instance of each change
-- (storage/read_cache.h). A SQLite database has one server process and no read cache.
SELECT 1;
