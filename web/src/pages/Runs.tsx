import { useEffect, useState } from 'react';
import { get, getAll, isNoRoute } from '../api';
import { href, navigate } from '../router';
import type { Run, Test } from '../types';
import { Badge, Empty, ErrorBanner, Loading, useAsync } from '../components/ui';
import { ExportDialog } from '../components/ExportDialog';
import { useProject } from '../App';
import { fmtDuration, fmtTime, humanLabel, resultTone, can } from '../util';

export interface SyncStatus {
  state?: string;
  status?: string;
  testrail_url?: string | null;
  error?: string | null;
  reason?: string | null;
}

export function syncBadge(s: SyncStatus | null | undefined, available: boolean) {
  if (!available) return <span className="muted">—</span>;
  if (s === undefined) return <span className="muted">…</span>;
  if (s === null) return <Badge tone="grey">not exported</Badge>;
  const st = (s.state || s.status || 'not_exported').toLowerCase();
  if (st.includes('changed')) return <Badge tone="amber" title="Re-labelled after export">changed since export</Badge>;
  if (st.includes('fail')) return <Badge tone="red" title={s.error || s.reason || ''}>export failed</Badge>;
  if (st === 'not_exported' || st === 'never') return <Badge tone="grey">not exported</Badge>;
  if (st.includes('running') || st.includes('queued')) return <Badge tone="blue">exporting</Badge>;
  return (
    <Badge tone="green" title={s.testrail_url || ''}>
      exported
    </Badge>
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
  const tr = !!project.features?.testrail;
  const { data, error, loading } = useAsync(async () => {
    const [runs, tests] = await Promise.all([
      getAll<Run>(`/projects/${project.id}/runs`),
      getAll<Test>(`/projects/${project.id}/tests`),
    ]);
    runs.sort((a, b) => b.id - a.id);
    return { runs, tests: new Map(tests.map((t) => [t.id, t])) };
  }, [project.id]);
  const [sync, setSync] = useState<Record<number, SyncStatus | null>>({});
  const [syncAvailable, setSyncAvailable] = useState(tr);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [exporting, setExporting] = useState(false);
  const [filter, setFilter] = useState('');

  useEffect(() => {
    if (!tr || !data) return;
    let live = true;
    (async () => {
      for (const r of data.runs.slice(0, 100)) {
        try {
          const s = await get<SyncStatus>(`/projects/${project.id}/runs/${r.id}/testrail`);
          if (live) setSync((m) => ({ ...m, [r.id]: s }));
        } catch (e) {
          if (isNoRoute(e)) {
            if (live) setSyncAvailable(false);
            return;
          }
          if (live) setSync((m) => ({ ...m, [r.id]: null }));
        }
      }
    })();
    return () => {
      live = false;
    };
  }, [data, tr, project.id]);

  if (loading && !data) return <Loading what="runs" />;
  const runs = (data?.runs || []).filter((r) => !filter || r.result === filter);
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
              {tr && <th>TestRail</th>}
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} className="row-link" onClick={() => navigate(`/projects/${project.id}/runs/${r.id}`)} data-testid="run-row">
                {canExport && (
                  <td className="check-col" onClick={(e) => e.stopPropagation()}>
                    <input
                      type="checkbox"
                      checked={selected.has(r.id)}
                      disabled={!r.finished}
                      title={r.finished ? 'Select for export' : 'Only finished runs can be exported'}
                      onChange={() => toggle(r.id)}
                      aria-label={`Select run ${r.id}`}
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
        />
      )}
    </>
  );
}
