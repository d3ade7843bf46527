-- 0016 on PostgreSQL (issue 15: a 10,000-result export within 1.1x of SQLite's time). An export
-- sends its batches at once, each after a grant of the shared TestRail rate budget
-- (pg_rate_ledger.h). A grant was a transaction of three round trips holding the budget row's
-- lock across two of them and the client's work in between: ten batches' grants queued behind
-- each other for up to 12 ms each on a busy 2-core host. nexus_rate_grant does the same in one
-- statement, sent alone (its own transaction), so the row lock is held only while the server
-- runs it:
--  1. lock the instance's budget row (created when missing);
--  2. when the row's learned limit is not the one the caller computed its limit from
--     (p_learned_limit, p_learned_under_rpm), grant nothing: the caller computes again from the
--     returned state and calls again;
--  3. read the clock (now, not at the transaction's start); when paused, grant nothing;
--  4. when the p_limit-th newest grant (0-based; < 0: no limit) is still in the window
--     [now - p_span_us, now], the window is full: grant nothing, return that grant's time;
--  5. else insert the grant, prune grants older than p_keep_us, return granted = 1.
-- Each statement of a VOLATILE function takes a new snapshot, so 4 sees the grant the previous
-- holder of the lock committed. The grant's commit does not wait for the WAL flush (as before:
-- a database crash can forget the last fraction of a second of grants).
CREATE FUNCTION nexus_rate_grant(p_key TEXT, p_span_us BIGINT, p_limit BIGINT, p_keep_us BIGINT,
                                 p_learned_limit BIGINT, p_learned_under_rpm BIGINT)
RETURNS TABLE (now_us BIGINT, full_at_us BIGINT, paused_until BIGINT, limit_learned BIGINT,
               limit_under_rpm BIGINT, granted BIGINT)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  b testrail_rate_budgets%ROWTYPE;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', 1 = 1);  -- is_local (the migration translator
  -- turns the word TRUE into 1)
  SELECT * INTO b FROM testrail_rate_budgets r WHERE r.instance_key = p_key FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO testrail_rate_budgets (instance_key) VALUES (p_key)
      ON CONFLICT (instance_key) DO NOTHING;
    SELECT * INTO b FROM testrail_rate_budgets r WHERE r.instance_key = p_key FOR UPDATE;
  END IF;
  now_us := CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT);
  paused_until := b.paused_until_us;
  limit_learned := b.learned_limit;
  limit_under_rpm := b.learned_under_rpm;
  granted := 0;
  IF b.learned_limit IS DISTINCT FROM p_learned_limit
     OR b.learned_under_rpm IS DISTINCT FROM p_learned_under_rpm
     OR b.paused_until_us > now_us THEN
    RETURN NEXT;
    RETURN;
  END IF;
  IF p_limit >= 0 THEN
    SELECT g.granted_at_us INTO full_at_us FROM testrail_rate_grants g
      WHERE g.instance_key = p_key AND g.granted_at_us > now_us - p_span_us
      ORDER BY g.granted_at_us DESC LIMIT 1 OFFSET p_limit;
    IF FOUND THEN
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;
  INSERT INTO testrail_rate_grants (instance_key, granted_at_us) VALUES (p_key, now_us);
  DELETE FROM testrail_rate_grants g WHERE g.instance_key = p_key
    AND g.granted_at_us < now_us - p_keep_us;
  granted := 1;
  RETURN NEXT;
END
$$;
