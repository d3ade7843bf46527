// Configs → TestRail, "Connection": Save & Connect (verify, then save), edit, disconnect.
import { useState } from 'react';
import { ApiError } from '../../api/client';
import { testrailApi } from '../../api/testrail';
import type { Connection, ConnectionRequest } from '../../api/types';
import { Badge, ErrorBanner, Notice, Spinner } from '../../components/ui';
import { cls, fmtTime } from '../../util';

export function ConnectionSection({ projectId, conn, onChange }: { projectId: number; conn: Connection | null; onChange: () => void }) {
  const [editing, setEditing] = useState(!conn);
  const [url, setUrl] = useState(conn?.url || '');
  const [user, setUser] = useState(conn?.user || '');
  const [key, setKey] = useState('');
  const [replaceKey, setReplaceKey] = useState(!conn?.api_key_set);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [ok, setOk] = useState(false);
  const field = err instanceof ApiError ? err.field : undefined;

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    setOk(false);
    try {
      const body: ConnectionRequest = { url, user };
      if (replaceKey || key) body.api_key = key;
      await testrailApi.connect(projectId, body);
      setEditing(false);
      setOk(true);
      setKey('');
      setReplaceKey(false);
      onChange();
    } catch (e2) {
      setErr(e2);
    } finally {
      setBusy(false);
    }
  };
  const disconnect = async () => {
    if (!confirm('Disconnect from TestRail? Links and export history are kept.')) return;
    setErr(null);
    try {
      await testrailApi.disconnect(projectId);
      setEditing(true);
      setReplaceKey(true);
      onChange();
    } catch (e2) {
      setErr(e2);
    }
  };
  const cb = conn?.connected_by ?? null;
  const by = cb === null ? null : `user #${cb}`;

  return (
    <section className="panel" data-testid="tr-connection">
      <div className="section-head">
        <h2>Connection</h2>
        {conn && !editing && (
          <Badge tone={!conn.verified ? 'amber' : 'green'}>{!conn.verified ? 'not verified' : 'connected'}</Badge>
        )}
      </div>
      {ok && !editing && <Notice tone="success">Connected to TestRail.</Notice>}
      {conn && !editing && !conn.api_key_readable && (
        <div className="alert alert-error" role="alert" data-testid="tr-key-unreadable">
          <span className="alert-text">
            The stored API key cannot be decrypted with this server&apos;s master key (it changed since the key
            was saved). Edit the connection and enter the API key again.
          </span>
        </div>
      )}
      {conn && !editing ? (
        <div className="conn-state" data-testid="tr-connected">
          <dl className="kv">
            <dt>TestRail URL</dt>
            <dd>
              <a href={conn.url} target="_blank" rel="noreferrer">
                {conn.url}
              </a>
            </dd>
            <dt>User</dt>
            <dd>{conn.user}</dd>
            <dt>API key</dt>
            <dd>
              {conn.api_key_set ? `set (…${conn.api_key_last4 || '????'})` : 'not set'}
              {conn.api_key_set && !conn.api_key_readable ? ' — unreadable' : ''}
            </dd>
            <dt>Connected</dt>
            <dd>
              {fmtTime(conn.connected_at)}
              {by ? ` by ${by}` : ''}
            </dd>
          </dl>
          <div className="row-gap">
            <button className="btn" onClick={() => setEditing(true)} data-testid="tr-edit-connection">
              Edit connection
            </button>
            <button className="btn btn-danger-ghost" onClick={disconnect} data-testid="tr-disconnect">
              Disconnect
            </button>
          </div>
          <ErrorBanner error={err} />
        </div>
      ) : (
        <form onSubmit={save} className="form-grid" data-testid="tr-connection-form">
          <label className={cls('field', field === 'url' && 'field-error')}>
            <span className="field-label">TestRail URL</span>
            <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="company.testrail.io" required data-testid="tr-url" />
          </label>
          <label className={cls('field', field === 'user' && 'field-error')}>
            <span className="field-label">User</span>
            <input value={user} onChange={(e) => setUser(e.target.value)} placeholder="you@company.com" required data-testid="tr-user" />
          </label>
          <div className={cls('field', field === 'api_key' && 'field-error')}>
            <span className="field-label">API Key</span>
            {conn?.api_key_set && !replaceKey ? (
              <div className="row-gap">
                <span className="key-mask" data-testid="tr-key-set">
                  •••• •••• {conn.api_key_last4 || ''}
                </span>
                <button type="button" className="btn btn-sm" onClick={() => setReplaceKey(true)} data-testid="tr-replace-key">
                  Replace
                </button>
              </div>
            ) : (
              <input
                type="password"
                value={key}
                onChange={(e) => setKey(e.target.value)}
                autoComplete="off"
                required
                aria-label="API Key"
                data-testid="tr-key"
              />
            )}
            <span className="field-hint">TestRail → My Settings → API Keys. Stored encrypted; never shown again.</span>
          </div>
          {err instanceof ApiError && err.code === 'tls_failure' ? (
            // Issue 12: a TLS failure in words, with the way out; OpenSSL's text under Details.
            <div className="alert alert-error" role="alert" data-testid="error">
              <span className="alert-text">
                The server at this address did not complete a secure (HTTPS) connection.
                {!/^http:\/\//i.test(url.trim()) && (
                  <>
                    {' '}If it serves plain HTTP (e.g. a local TestRail), use{' '}
                    <button type="button" className="btn btn-sm" data-testid="tr-use-http" onClick={() => setUrl('http://' + url.trim().replace(/^https?:\/\//i, ''))}>
                      http://{url.trim().replace(/^https?:\/\//i, '')}
                    </button>
                  </>
                )}
                <details className="alert-field">
                  <summary>Details</summary>
                  {err.message}
                </details>
              </span>
            </div>
          ) : (
            <ErrorBanner error={err} />
          )}
          <div className="row-gap">
            <button className="btn btn-primary" type="submit" disabled={busy} data-testid="tr-save-connect">
              {busy && <Spinner small />} {busy ? 'Connecting…' : 'Save & Connect'}
            </button>
            {conn && (
              <button type="button" className="btn btn-ghost" onClick={() => (setEditing(false), setErr(null))}>
                Cancel
              </button>
            )}
          </div>
        </form>
      )}
    </section>
  );
}
