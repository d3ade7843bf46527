-- 0011: reserved for another wave-2 branch (issue 15/17/18), which brings its own 0011 at merge
-- time; this placeholder only keeps the numbering without gaps on the wt-configs branch (the
-- build refuses gaps). Net effect: none (a table created and dropped again, portable to
-- SQLite and PostgreSQL). The lead drops this file when merging.
CREATE TABLE reserved_0011 (id INTEGER PRIMARY KEY);
DROP TABLE reserved_0011;
