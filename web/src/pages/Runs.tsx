// The runs of a project with their TestRail sync state; selecting runs exports them.
import { useEffect, useState } from 'react';
import { runsApi } from '../api/runs';
import { testsApi } from '../api/tests';
import { exportsApi } from '../api/exports';
import { href, navigate } from '../router';
import type { Run, RunSync } from '../api/types';
import { Badge, Empty, ErrorBanner, Loading, useAsync } from '../components/ui';
import { ExportDialog } from '../components/ExportDialog';
import { useProject } from '../contexts';
import { fmtDuration, fmtTime, humanLabel, resultTone, can } from '../util';

export type SyncStatus = RunSync;

/** The TestRail run/plan URL of the last export of a run, if any. */
export function syncUrl(s: SyncStatus | null | undefined): string | null {
  return s?.last_export?.testrail_url ?? null;
}

export function syncBadge(s: SyncStatus | null | undefined, available: boolean) {
  if (!available) return <span className="muted">—</span>;
  if (s === undefined) return <span className="muted">…</span>;
  const st = s === null ? 'unknown' : s.sync_state;
  const badge = (tone: string, text: string, title = s?.message ?? '') => (
    <span data-testid="sync-state" data-state={st}>
      <Badge tone={tone} title={title}>
        {text}
      </Badge>
    </span>
  );
  if (s === null) return badge('grey', 'unknown', 'The export state could not be loaded');
  if (st === 'changed_since_export') return badge('amber', 'changed since export');
  if (st === 'failed') return badge('red', 'export failed');
  if (st === 'in_progress') return badge('blue', 'exporting');
  if (st === 'nothing_to_export') return badge('grey', 'nothing to export');
  if (st === 'exported' && s.last_export?.state === 'partially_succeeded')
    return badge('amber', `partly exported (${s.last_export.skipped_cases.length} not sent)`);
  if (st === 'exported') return badge('green', 'exported');
  return badge('grey', 'not exported');
}

/** A run's attributes (platform: PS5, …) as small tags; a dash when it has none. */
export function RunAttributes({ attributes }: { attributes: Record<string, string> | undefined }) {
  const entries = Object.entries(attributes ?? {});
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <span data-testid="run-attributes">
      {entries.map(([k, v]) => (
        <span key={k} className="tag" data-testid="run-attribute" data-key={k} data-value={v}>
          {k}: {v}
        </span>
      ))}
    </span>
  );
}

export function RunResultText({ run }: { run: Pick<Run, 'result' | 'bug_label'> }) {
  return (
    <span className={`result result-${resultTone(run.result, run.bug_label)}`} data-testid="run-result">
      <span className="dot" />
      {run.result} ({humanLabel(run.bug_label)})
    </span>
  );
}

export function RunsPage() {
  const { project } = useProject();
  const tr = !!project.features.testrail;
  const { data, error, loading } = useAsync(async () => {
    const [runs, tests] = await Promise.all([
      runsApi.list(project.id),
      testsApi.list(project.id),
    ]);
    runs.sort((a, b) => b.id - a.id);
    return { runs, tests: new Map(tests.map((t) => [t.id, t])) };
  }, [project.id]);
  const [sync, setSync] = useState<Record<number, SyncStatus | null>>({});
  const syncAvailable = tr;
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [exporting, setExporting] = useState(false);
  const [filter, setFilter] = useState('');
  const [attrFilter, setAttrFilter] = useState('');
  const reloadSync = async (ids: number[]) => {
    for (let i = 0; i < ids.length; i += 100) {
      try {
        const { items } = await exportsApi.runSyncMany(project.id, ids.slice(i, i + 100));
        setSync((m) => ({ ...m, ...Object.fromEntries(items.map((s) => [s.run_id, s])) }));
      } catch {
        /* keep the old badges */
      }
    }
  };

  useEffect(() => {
    if (!tr || !data) return;
    let live = true;
    const ids = data.runs.slice(0, 100).map((r) => r.id);
    if (ids.length === 0) return;
    // The badges of the first 100 runs in one request (not one per row).
    exportsApi
      .runSyncMany(project.id, ids)
      .then(({ items }) => {
        if (!live) return;
        const next: Record<number, SyncStatus | null> = Object.fromEntries(
          ids.map((id) => [id, null]),
        );
        for (const s of items) next[s.run_id] = s;
        setSync((m) => ({ ...m, ...next }));
      })
      .catch(() => {
        if (live) setSync((m) => ({ ...m, ...Object.fromEntries(ids.map((id) => [id, null])) }));
      });
    return () => {
      live = false;
    };
  }, [data, tr, project.id]);

  if (loading && !data) return <Loading what="runs" />;
  // The attribute values present in the loaded runs, as "key: value" filter choices.
  const attrChoices = [
    ...new Set((data?.runs || []).flatMap((r) => Object.entries(r.attributes ?? {}).map(([k, v]) => `${k}: ${v}`))),
  ].sort();
  const runs = (data?.runs || []).filter(
    (r) =>
      (!filter || r.result === filter) &&
      (!attrFilter ||
        Object.entries(r.attributes ?? {}).some(([k, v]) => `${k}: ${v}` === attrFilter)),
  );
  const canExport = tr && can(project, 'project:read-runs');
  const toggle = (id: number) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  return (
    <>
      <div className="page-head">
        <h1>Runs</h1>
        <div className="page-actions">
          <select value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter by result">
            <option value="">All results</option>
            {['Success', 'Stopped', 'MaxSteps', 'Error'].map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          {attrChoices.length > 0 && (
            <select
              value={attrFilter}
              onChange={(e) => setAttrFilter(e.target.value)}
              aria-label="Filter by attribute"
              data-testid="attribute-filter"
            >
              <option value="">All attributes</option>
              {attrChoices.map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
          )}
          {canExport && (
            <button
              className="btn btn-primary"
              disabled={selected.size === 0 || selected.size > 100}
              title={selected.size === 0 ? 'Select finished runs to export them together' : ''}
              onClick={() => setExporting(true)}
              data-testid="export-selected"
            >
              Export {selected.size || ''} selected to TestRail
            </button>
          )}
        </div>
      </div>
      <ErrorBanner error={error} />
      {runs.length === 0 ? (
        <Empty title="No runs yet">Runs appear here when tests are executed and reported through the API.</Empty>
      ) : (
        <table className="table" data-testid="runs-table">
          <thead>
            <tr>
              {canExport && <th className="check-col" />}
              <th>Result</th>
              <th>Test</th>
              <th>Started</th>
              <th>Duration</th>
              <th>Build</th>
              <th>Attributes</th>
              {tr && <th>TestRail</th>}
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} className="row-link" onClick={() => navigate(`/projects/${project.id}/runs/${r.id}`)} data-testid="run-row" data-run-id={r.id}>
                {canExport && (
                  <td className="check-col" onClick={(e) => e.stopPropagation()}>
                    <input
                      type="checkbox"
                      checked={selected.has(r.id)}
                      disabled={!r.finished}
                      title={r.finished ? 'Select for export' : 'Only finished runs can be exported'}
                      onChange={() => toggle(r.id)}
                      aria-label={`Select run ${r.id}`}
                      data-testid="run-select"
                    />
                  </td>
                )}
                <td>
                  <RunResultText run={r} />
                </td>
                <td>
                  <a href={href(`/projects/${project.id}/runs/${r.id}`)} className="strong">
                    {data?.tests.get(r.test_id)?.name || `Test ${r.test_id}`}
                  </a>
                </td>
                <td className="muted">{fmtTime(r.started_at)}</td>
                <td>{r.finished ? fmtDuration(r.started_at, r.finished_at) : <Badge tone="blue">running</Badge>}</td>
                <td className="muted">{r.build || '—'}</td>
                <td>
                  <RunAttributes attributes={r.attributes} />
                </td>
                {tr && <td data-testid="sync-badge">{syncBadge(sync[r.id], syncAvailable)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {exporting && (
        <ExportDialog
          projectId={project.id}
          source={{ run_ids: [...selected] }}
          what={`${selected.size} run(s) together into one TestRail entry`}
          onClose={() => setExporting(false)}
          onDone={(r) => {
            reloadSync([...selected]);
            if (r.success) setSelected(new Set());
          }}
        />
      )}
    </>
  );
}
