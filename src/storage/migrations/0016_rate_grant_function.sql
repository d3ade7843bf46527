-- 0016: nothing on SQLite (one process: the rate budget is in memory). On PostgreSQL
-- (0016_rate_grant_function.pg.sql) a grant of the shared TestRail rate budget becomes one
-- server-side function call (issue 15, export speed on PostgreSQL).
SELECT 1;
