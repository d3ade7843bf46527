-- 0011: reserved for another wave-2 branch (issue 15/17/18), which brings its own 0011 at merge
-- time; this placeholder only keeps the numbering without gaps on the wt-configs branch (the
-- build refuses gaps). It changes nothing. The lead drops it when merging.
SELECT 1;
