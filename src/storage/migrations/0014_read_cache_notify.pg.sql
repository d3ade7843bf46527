-- 0014 on PostgreSQL (issue 15, REST reads; storage/read_cache.h, docs/storage.md "Read
-- cache"): every statement that changes a table whose rows a `nexus serve` keeps in its read
-- cache — who a token or session is, users, projects, their features and memberships — sends
-- a notification on the channel `nexus_cache` when its transaction commits, whoever runs it
-- (another instance, the CLI, an operator's psql; TRUNCATE included). Each instance's listener
-- empties its cache when one arrives. PostgreSQL folds identical notifications of one
-- transaction into one and sends nothing for a transaction that rolls back.
CREATE FUNCTION nexus_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('nexus_cache', TG_TABLE_NAME);
  RETURN NULL;
END
$$;

CREATE TRIGGER users_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION nexus_cache_notify();
CREATE TRIGGER api_tokens_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION nexus_cache_notify();
CREATE TRIGGER sessions_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sessions
  FOR EACH STATEMENT EXECUTE FUNCTION nexus_cache_notify();
CREATE TRIGGER projects_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON projects
  FOR EACH STATEMENT EXECUTE FUNCTION nexus_cache_notify();
CREATE TRIGGER project_features_cache_notify
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON project_features
  FOR EACH STATEMENT EXECUTE FUNCTION nexus_cache_notify();
CREATE TRIGGER memberships_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON memberships
  FOR EACH STATEMENT EXECUTE FUNCTION nexus_cache_notify();
