import { useEffect, useMemo, useState } from 'react';
import { ApiError, del, get, isNoRoute, post, put } from '../api';
import { useProject } from '../App';
import { BUG_LABELS, RUN_RESULTS, type Mapping, type TrStatus } from '../types';
import { Badge, Empty, ErrorBanner, Loading, Notice, Spinner } from '../components/ui';
import { canEditConfigs, cls, fmtTime, humanLabel, statusColor } from '../util';

interface Connection {
  url: string;
  user: string;
  api_key_set: boolean;
  api_key_last4?: string | null;
  connected_at?: string | null;
  connected_by?: unknown;
  verified?: boolean;
}
interface RemoteProject {
  id: number;
  name: string;
  suite_mode?: number;
}
interface Suite {
  id: number;
  name: string;
  description?: string | null;
}

function norm(cfg: any) {
  const conn: Connection | null = cfg?.connection && (cfg.connection.url || cfg.connection.api_key_set) ? cfg.connection : null;
  const projectId: number | null =
    cfg?.project?.id ?? cfg?.project?.testrail_project_id ?? cfg?.testrail_project_id ?? cfg?.project_id ?? null;
  const suiteIds: number[] = cfg?.suite_ids ?? (cfg?.suites || []).map((s: any) => (typeof s === 'number' ? s : s.id));
  return { conn, projectId, suiteIds, mapping: cfg?.mapping as Mapping | undefined, options: cfg?.options, catalog: cfg?.catalog };
}
const listOf = (r: any) => (Array.isArray(r) ? r : r?.items || r?.projects || r?.suites || r?.statuses || []);

export function TestRailConfigPage() {
  const { project } = useProject();
  const base = `/projects/${project.id}/testrail`;
  const [cfg, setCfg] = useState<ReturnType<typeof norm> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [unavailable, setUnavailable] = useState<string | null>(null);

  const load = async () => {
    try {
      setCfg(norm(await get(base)));
      setError(null);
    } catch (e) {
      if (isNoRoute(e)) setUnavailable('This server does not provide the TestRail configuration API yet.');
      else if (e instanceof ApiError && e.status === 404) setUnavailable('The TestRail integration is not enabled for this project.');
      else setError(e);
    }
  };
  useEffect(() => {
    load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [project.id]);

  if (!project.features?.testrail || !canEditConfigs(project))
    return (
      <Empty title="TestRail configuration is not available">
        <span data-testid="testrail-denied">
          {!project.features?.testrail
            ? 'The TestRail integration is a beta feature that is not enabled for this project.'
            : 'You need the project:edit-configs permission (or project admin / org admin) to configure TestRail.'}
        </span>
      </Empty>
    );
  if (unavailable) return <Empty title="TestRail configuration is not available">{unavailable}</Empty>;
  if (error) return <ErrorBanner error={error} />;
  if (!cfg) return <Loading what="TestRail configuration" />;

  return (
    <div className="tr-config" data-testid="testrail-config">
      <div className="page-head">
        <h1>
          <span className="tr-logo">TR</span> TestRail
        </h1>
        <Badge tone="blue">beta</Badge>
      </div>
      <ConnectionSection base={base} conn={cfg.conn} onChange={load} />
      {cfg.conn && (
        <>
          <ProjectSuitesSection base={base} projectId={cfg.projectId} suiteIds={cfg.suiteIds} onChange={load} />
          {cfg.projectId && <CatalogSection base={base} initial={cfg.catalog} />}
          <MappingSection base={base} initial={cfg.mapping} />
          <OptionsSection base={base} initial={cfg.options} />
        </>
      )}
    </div>
  );
}

function ConnectionSection({ base, conn, onChange }: { base: string; conn: Connection | null; onChange: () => void }) {
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
      const body: any = { url, user };
      if (replaceKey || key) body.api_key = key;
      await put(`${base}/connection`, body);
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
      await del(`${base}/connection`);
      setEditing(true);
      setReplaceKey(true);
      onChange();
    } catch (e2) {
      setErr(e2);
    }
  };
  const cb: any = conn?.connected_by;
  const by = cb == null ? null : typeof cb === 'object' ? cb.name || cb.email : typeof cb === 'number' ? `user #${cb}` : String(cb);

  return (
    <section className="panel" data-testid="tr-connection">
      <div className="section-head">
        <h2>Connection</h2>
        {conn && !editing && (
          <Badge tone={conn.verified === false ? 'amber' : 'green'}>{conn.verified === false ? 'not verified' : 'connected'}</Badge>
        )}
      </div>
      {ok && !editing && <Notice tone="success">Connected to TestRail.</Notice>}
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
            <dd>{conn.api_key_set ? `set (…${conn.api_key_last4 || '????'})` : 'not set'}</dd>
            <dt>Connected</dt>
            <dd>
              {fmtTime(conn.connected_at ?? null)}
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
          <ErrorBanner error={err} />
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

function ProjectSuitesSection({
  base,
  projectId,
  suiteIds,
  onChange,
}: {
  base: string;
  projectId: number | null;
  suiteIds: number[];
  onChange: () => void;
}) {
  const [projects, setProjects] = useState<RemoteProject[] | null>(null);
  const [suites, setSuites] = useState<Suite[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [q, setQ] = useState('');
  const [sel, setSel] = useState<Set<number>>(new Set(suiteIds));
  const [savedMsg, setSavedMsg] = useState(false);

  useEffect(() => {
    get(`${base}/remote/projects`).then((r) => setProjects(listOf(r)), setErr);
  }, [base]);
  useEffect(() => {
    setSel(new Set(suiteIds));
  }, [suiteIds.join(',')]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (!projectId) return;
    setSuites(null);
    get(`${base}/remote/suites`).then((r) => setSuites(listOf(r)), setErr);
  }, [base, projectId]);

  const chooseProject = async (id: number) => {
    setBusy(true);
    setErr(null);
    try {
      await put(`${base}/project`, { testrail_project_id: id });
      onChange();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  const saveSuites = async () => {
    setBusy(true);
    setErr(null);
    setSavedMsg(false);
    try {
      await put(`${base}/suites`, { suite_ids: [...sel] });
      setSavedMsg(true);
      onChange();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  const shown = (suites || []).filter((s) => s.name.toLowerCase().includes(q.toLowerCase()));
  const dirty = [...sel].sort().join(',') !== [...suiteIds].sort().join(',');

  return (
    <section className="panel" data-testid="tr-project-suites">
      <h2>Project and suites</h2>
      <ErrorBanner error={err} onClose={() => setErr(null)} />
      <label className="field">
        <span className="field-label">TestRail project</span>
        {projects === null ? (
          <Spinner small />
        ) : (
          <select
            value={projectId ?? ''}
            onChange={(e) => e.target.value && chooseProject(Number(e.target.value))}
            disabled={busy}
            data-testid="tr-project"
          >
            <option value="">— choose a project —</option>
            {projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        )}
        <span className="field-hint">Cases can be linked from this one TestRail project only.</span>
      </label>
      {projectId && (
        <div className="field">
          <span className="field-label">Suites</span>
          <div className="suite-tools">
            <input className="search grow" placeholder="Search suites by name" value={q} onChange={(e) => setQ(e.target.value)} data-testid="tr-suite-search" aria-label="Search suites" />
            <button
              className="btn btn-sm"
              onClick={() => setSel((s) => new Set([...s, ...shown.map((x) => x.id)]))}
              data-testid="tr-select-all"
            >
              Select All
            </button>
            <button className="btn btn-sm" onClick={() => setSel(new Set())} data-testid="tr-clear">
              Clear
            </button>
            <span className="muted" data-testid="tr-selected-count">
              {sel.size} selected
            </span>
          </div>
          {suites === null ? (
            <Loading what="suites" />
          ) : (
            <div className="suite-list" data-testid="tr-suites">
              {shown.length === 0 && <div className="muted pad">No suites match.</div>}
              {shown.map((s) => (
                <label key={s.id} className={cls('suite-row', sel.has(s.id) && 'checked')} data-testid="tr-suite">
                  <input
                    type="checkbox"
                    checked={sel.has(s.id)}
                    onChange={() =>
                      setSel((x) => {
                        const n = new Set(x);
                        if (n.has(s.id)) n.delete(s.id);
                        else n.add(s.id);
                        return n;
                      })
                    }
                  />
                  <span>{s.name}</span>
                  <span className="muted small">S{s.id}</span>
                </label>
              ))}
            </div>
          )}
          <div className="row-gap">
            <button className="btn btn-primary" onClick={saveSuites} disabled={busy || !dirty} data-testid="tr-save-suites">
              {busy && <Spinner small />} Save suite selection
            </button>
            {savedMsg && !dirty && <span className="ok-text">Saved.</span>}
            {dirty && <span className="muted">Unsaved changes</span>}
          </div>
          <span className="field-hint">Only cases from the selected suites can be linked and exported.</span>
        </div>
      )}
    </section>
  );
}

function CatalogSection({ base, initial }: { base: string; initial: any }) {
  const [cat, setCat] = useState<any>(initial ?? null);
  const [err, setErr] = useState<unknown>(null);
  const [na, setNa] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = () =>
    get(`${base}/catalog`).then(setCat, (e) => {
      if (isNoRoute(e)) setNa(true);
      else setErr(e);
    });
  useEffect(() => {
    load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [base]);
  const refresh = async () => {
    setBusy(true);
    setErr(null);
    try {
      await post(`${base}/catalog/sync`);
      for (let i = 0; i < 60; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const c = await get(`${base}/catalog`);
        setCat(c);
        if (!/running|queued|syncing/.test(String(c?.state || ''))) break;
      }
    } catch (e) {
      if (isNoRoute(e)) setNa(true);
      else setErr(e);
    } finally {
      setBusy(false);
    }
  };
  const counts = cat?.counts || {};
  return (
    <section className="panel" data-testid="tr-catalog">
      <div className="section-head">
        <h2>Case catalog</h2>
        <button className="btn btn-sm" onClick={refresh} disabled={busy || na} data-testid="tr-catalog-refresh">
          {busy && <Spinner small />} Refresh
        </button>
      </div>
      {na ? (
        <p className="muted">The local catalog of suites, sections and cases is not available on this server yet.</p>
      ) : (
        <>
          <ErrorBanner error={err} />
          {cat && (
            <dl className="kv">
              <dt>State</dt>
              <dd>{cat.state || '—'}</dd>
              <dt>Contents</dt>
              <dd>
                {['suites', 'sections', 'cases'].map((k) => (counts[k] !== undefined ? `${counts[k]} ${k}` : null)).filter(Boolean).join(' · ') || '—'}
              </dd>
              <dt>Last sync</dt>
              <dd>{fmtTime(cat.last_sync_at || cat.last_synced_at || cat.last_sync || null)}</dd>
              {cat.error && (
                <>
                  <dt>Error</dt>
                  <dd className="error-text">{typeof cat.error === 'string' ? cat.error : cat.error.message}</dd>
                </>
              )}
            </dl>
          )}
        </>
      )}
    </section>
  );
}

const DEFAULT_BASIC: Record<string, number | null> = { NoBug: 1, LikelyNoBug: 1, Undecided: 4, LikelyBug: 5, DefinitelyBug: 5 };

function StatusSelect({
  value,
  statuses,
  onChange,
  testId,
  invalid,
}: {
  value: number | null;
  statuses: TrStatus[];
  onChange: (v: number | null) => void;
  testId: string;
  invalid?: boolean;
}) {
  const st = statuses.find((s) => s.id === value);
  const unknown = value !== null && !st;
  return (
    <span className={cls('status-select', (invalid || unknown) && 'field-error')}>
      <span className="swatch" style={{ background: value === null ? 'transparent' : statusColor(st) }} aria-hidden />
      <select value={value === null ? '' : String(value)} onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))} data-testid={testId}>
        <option value="">Not reported</option>
        {statuses.map((s) => (
          <option key={s.id} value={s.id} style={{ color: statusColor(s) }}>
            ● {s.label || s.name}
          </option>
        ))}
        {unknown && <option value={String(value)}>Unknown status {value}</option>}
      </select>
    </span>
  );
}

function MappingSection({ base, initial }: { base: string; initial?: Mapping }) {
  const [m, setM] = useState<Mapping | null>(initial ?? null);
  const [saved, setSaved] = useState<string>(JSON.stringify(initial ?? null));
  const [statuses, setStatuses] = useState<TrStatus[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState('');

  useEffect(() => {
    get(`${base}/statuses`).then((r) => setStatuses(listOf(r).filter((s: TrStatus) => s.id !== 3 && !s.is_untested)), setErr);
    if (!initial)
      get<Mapping>(`${base}/mapping`).then((x) => {
        setM(x);
        setSaved(JSON.stringify(x));
      }, setErr);
  }, [base]); // eslint-disable-line react-hooks/exhaustive-deps

  const field = err instanceof ApiError ? err.field : undefined;
  const dirty = useMemo(() => JSON.stringify(m) !== saved, [m, saved]);
  if (!m) return <section className="panel"><h2>Status mapping</h2><ErrorBanner error={err} />{!err && <Loading />}</section>;

  const setBasic = (label: string, v: number | null) => setM({ ...m, basic: { ...m.basic, [label]: v } });
  const setAdv = (res: string, label: string, v: number | null) =>
    setM({ ...m, advanced: { ...m.advanced, [res]: { ...(m.advanced?.[res] || {}), [label]: v } } });

  const save = async () => {
    setBusy(true);
    setErr(null);
    setMsg('');
    try {
      const r = await put<Mapping>(`${base}/mapping`, { mode: m.mode, basic: m.basic, advanced: m.advanced });
      const x = r && (r as any).mode ? r : m;
      setM(x);
      setSaved(JSON.stringify(x));
      setMsg('Mapping saved.');
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  const reset = async () => {
    setBusy(true);
    setErr(null);
    setMsg('');
    try {
      let r: any = await post(`${base}/mapping/reset`);
      if (!r || !r.mode) r = await get(`${base}/mapping`);
      setM(r);
      setSaved(JSON.stringify(r));
      setMsg('Mapping reset to the defaults.');
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" data-testid="tr-mapping">
      <div className="section-head">
        <h2>Status mapping</h2>
        <div className="segmented" role="radiogroup" aria-label="Mapping mode">
          {(['basic', 'advanced'] as const).map((mode) => (
            <button
              key={mode}
              role="radio"
              aria-checked={m.mode === mode}
              className={cls('seg', m.mode === mode && 'on')}
              onClick={() => setM({ ...m, mode })}
              data-testid={`tr-mode-${mode}`}
            >
              {mode === 'basic' ? 'Basic' : 'Advanced'}
            </button>
          ))}
        </div>
      </div>
      <p className="muted">
        {m.mode === 'basic'
          ? 'One TestRail status per bug label, used for the run results Success, Stopped and MaxSteps. Error runs are not reported.'
          : 'A separate status per run result and bug label.'}
      </p>
      <ErrorBanner error={err} onClose={() => setErr(null)} />
      {m.mode === 'basic' ? (
        <table className="table mapping">
          <thead>
            <tr>
              <th>Bug label</th>
              <th>TestRail status</th>
            </tr>
          </thead>
          <tbody>
            {BUG_LABELS.map((l) => (
              <tr key={l}>
                <td>{humanLabel(l)}</td>
                <td>
                  <StatusSelect
                    value={m.basic?.[l] ?? null}
                    statuses={statuses}
                    onChange={(v) => setBasic(l, v)}
                    testId={`map-basic-${l}`}
                    invalid={field === `basic.${l}`}
                  />
                </td>
              </tr>
            ))}
            <tr className="muted">
              <td>Error (run result)</td>
              <td>Not reported</td>
            </tr>
          </tbody>
        </table>
      ) : (
        <div className="scroll-x">
          <table className="table mapping">
            <thead>
              <tr>
                <th>Bug label</th>
                {RUN_RESULTS.map((r) => (
                  <th key={r}>{r}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {BUG_LABELS.map((l) => (
                <tr key={l}>
                  <td>{humanLabel(l)}</td>
                  {RUN_RESULTS.map((r) => (
                    <td key={r}>
                      <StatusSelect
                        value={m.advanced?.[r]?.[l] ?? null}
                        statuses={statuses}
                        onChange={(v) => setAdv(r, l, v)}
                        testId={`map-adv-${r}-${l}`}
                        invalid={field === `advanced.${r}.${l}`}
                      />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="row-gap">
        <button className="btn btn-primary" onClick={save} disabled={busy || !dirty} data-testid="tr-save-mapping">
          {busy && <Spinner small />} Save mapping
        </button>
        <button className="btn" onClick={reset} disabled={busy} data-testid="tr-reset-mapping">
          Reset to Defaults
        </button>
        {msg && !dirty && <span className="ok-text" data-testid="tr-mapping-msg">{msg}</span>}
        {dirty && <span className="muted">Unsaved changes</span>}
      </div>
      <details className="muted small">
        <summary>Defaults</summary>
        {Object.entries(DEFAULT_BASIC)
          .map(([k, v]) => `${humanLabel(k)} → ${statuses.find((s) => s.id === v)?.label || v}`)
          .join(' · ')}{' '}
        · Error → Not reported
      </details>
    </section>
  );
}

function OptionsSection({ base, initial }: { base: string; initial: any }) {
  const [o, setO] = useState({
    close_run_on_completion: initial?.close_run_on_completion ?? true,
    auto_export: initial?.auto_export ?? false,
    run_name_template: initial?.run_name_template ?? '',
    milestone_id: initial?.milestone_id ?? null,
  });
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [ok, setOk] = useState(false);
  const field = err instanceof ApiError ? err.field : undefined;
  const save = async () => {
    setBusy(true);
    setErr(null);
    setOk(false);
    try {
      await put(`${base}/options`, { ...o, run_name_template: o.run_name_template || null });
      setOk(true);
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" data-testid="tr-options">
      <h2>Export options</h2>
      <ErrorBanner error={err} />
      <label className="check">
        <input type="checkbox" checked={o.close_run_on_completion} onChange={(e) => setO({ ...o, close_run_on_completion: e.target.checked })} /> Close the
        TestRail run or plan when all results are added
      </label>
      <label className="check">
        <input type="checkbox" checked={o.auto_export} onChange={(e) => setO({ ...o, auto_export: e.target.checked })} /> Export automatically when a
        test-plan execution completes
      </label>
      <div className="form-grid">
        <label className={cls('field', field === 'run_name_template' && 'field-error')}>
          <span className="field-label">Run name template</span>
          <input
            value={o.run_name_template}
            onChange={(e) => setO({ ...o, run_name_template: e.target.value })}
            placeholder="Nexus: {project} – {source} – {date}"
          />
        </label>
        <label className={cls('field', field === 'milestone_id' && 'field-error')}>
          <span className="field-label">Milestone ID (optional)</span>
          <input
            value={o.milestone_id ?? ''}
            inputMode="numeric"
            onChange={(e) => setO({ ...o, milestone_id: e.target.value === '' ? null : Number(e.target.value) || (e.target.value as any) })}
          />
        </label>
      </div>
      <div className="row-gap">
        <button className="btn btn-primary" onClick={save} disabled={busy}>
          {busy && <Spinner small />} Save options
        </button>
        {ok && <span className="ok-text">Saved.</span>}
      </div>
    </section>
  );
}
