// One run: result, steps, bugs, TestRail sync state, export preview and export.
import { useEffect, useState } from 'react';
import { runsApi } from '../api/runs';
import { testsApi } from '../api/tests';
import { exportsApi } from '../api/exports';
import { testrailApi } from '../api/testrail';
import { href } from '../router';
import type { ExportResult, Test, TrStatus } from '../api/types';
import { Badge, ErrorBanner, Loading, Spinner, useAsync } from '../components/ui';
import { ExportDialog } from '../components/ExportDialog';
import { useProject } from '../contexts';
import { fmtDuration, fmtTime, humanLabel, pillStyle, statusColor } from '../util';
import { SKIP_TEXT } from '../components/ExportSummary';
import { RunArtifacts } from '../components/Artifacts';
import { RunAttributes, RunResultText, syncBadge, syncUrl, type SyncStatus } from './Runs';

export function RunDetailPage({ runId }: { runId: number }) {
  const { project } = useProject();
  const tr = !!project.features.testrail;
  const base = `/projects/${project.id}`;
  const { data, error, loading } = useAsync(async () => {
    const run = await runsApi.get(project.id, runId);
    let test: Test | null = null;
    try {
      test = await testsApi.get(project.id, run.test_id);
    } catch {
      /* test deleted */
    }
    return { run, test };
  }, [runId, project.id]);
  const [sync, setSync] = useState<SyncStatus | null | undefined>(undefined);
  const syncAvail = tr;
  const [preview, setPreview] = useState<ExportResult | null>(null);
  const [previewErr, setPreviewErr] = useState<unknown>(null);
  const [previewBusy, setPreviewBusy] = useState(false);
  const [statuses, setStatuses] = useState<TrStatus[]>([]);
  const [suiteNames, setSuiteNames] = useState<Record<number, string>>({});
  const [exporting, setExporting] = useState(false);

  const loadSync = () =>
    exportsApi.runSync(project.id, runId).then(setSync, () => setSync(null));

  useEffect(() => {
    if (!tr) return;
    loadSync();
    testrailApi.statuses(project.id).then(
      (r) => setStatuses(r.items),
      () => {},
    );
    testrailApi.summary(project.id).then(
      (r) => setSuiteNames(Object.fromEntries(r.suites.map((x) => [x.id, x.name]))),
      () => {},
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runId, tr]);

  const runPreview = async () => {
    setPreviewBusy(true);
    setPreviewErr(null);
    try {
      setPreview(await exportsApi.start(project.id, { run_id: runId, dry_run: true }));
    } catch (e) {
      setPreviewErr(e);
    } finally {
      setPreviewBusy(false);
    }
  };

  if (loading && !data) return <Loading what="run" />;
  if (error || !data) return <ErrorBanner error={error} />;
  const { run, test } = data;
  const stepText = new Map((test?.steps || []).map((s, i) => [s.id, { n: i + 1, goal: s.goal }]));
  const statusById = new Map(statuses.map((s) => [s.id, s]));

  return (
    <div data-testid="run-detail">
      <div className="crumbs">
        <a href={href(`${base}/runs`)}>Runs</a> / <span>Run #{run.id}</span>
      </div>
      <div className="page-head">
        <h1>
          Run #{run.id} · {test ? <a href={href(`${base}/tests/${test.id}`)}>{test.name}</a> : `Test ${run.test_id}`}
        </h1>
        {tr && (
          <div className="page-actions">
            <button className="btn" onClick={runPreview} disabled={previewBusy || !run.finished} data-testid="preview-export">
              {previewBusy && <Spinner small />} Preview export
            </button>
            <button
              className="btn btn-primary"
              disabled={!run.finished}
              title={run.finished ? '' : 'Only finished runs can be exported'}
              onClick={() => setExporting(true)}
              data-testid="export-run"
            >
              Export to TestRail
            </button>
          </div>
        )}
      </div>
      <div className="panel">
        <dl className="kv kv-wide">
          <dt>Result</dt>
          <dd>
            <RunResultText run={run} />
          </dd>
          <dt>Started</dt>
          <dd>{fmtTime(run.started_at)}</dd>
          <dt>Duration</dt>
          <dd>{run.finished ? fmtDuration(run.started_at, run.finished_at) : 'still running'}</dd>
          <dt>Build</dt>
          <dd>{run.build || '—'}</dd>
          <dt>Attributes</dt>
          <dd>
            <RunAttributes attributes={run.attributes} />
          </dd>
          <dt>Test version</dt>
          <dd>{run.test_version}</dd>
          {run.execution_id && (
            <>
              <dt>Execution</dt>
              <dd>
                <a href={href(`${base}/plans`)}>#{run.execution_id}</a>
              </dd>
            </>
          )}
          {tr && (
            <>
              <dt>TestRail</dt>
              <dd data-testid="run-sync">
                {syncBadge(sync, syncAvail)}{' '}
                {syncUrl(sync) && (
                  <a href={syncUrl(sync)!} target="_blank" rel="noreferrer" data-testid="run-sync-link">
                    open in TestRail ↗
                  </a>
                )}
              </dd>
            </>
          )}
        </dl>
        {run.summary && <p className="summary">{run.summary}</p>}
      </div>

      <h2>Steps</h2>
      {run.steps.length === 0 && (test?.steps.length || 0) === 0 ? (
        <p className="muted">This run reported no per-step outcomes.</p>
      ) : (
        <table className="table" data-testid="run-steps">
          <thead>
            <tr>
              <th>#</th>
              <th>Step</th>
              <th>Outcome</th>
              <th>Duration</th>
              <th>Comment</th>
            </tr>
          </thead>
          <tbody>
            {(test?.steps || []).map((s, i) => {
              const o = run.steps.find((x) => x.step_id === s.id);
              return (
                <tr key={s.id}>
                  <td className="muted">{i + 1}</td>
                  <td>{s.goal}</td>
                  <td>{o ? <RunResultText run={o} /> : <span className="muted">no outcome reported</span>}</td>
                  <td>{o ? fmtDuration(o.started_at, o.finished_at) : '—'}</td>
                  <td>{o?.comment || ''}</td>
                </tr>
              );
            })}
            {run.steps
              .filter((o) => !stepText.has(o.step_id))
              .map((o) => (
                <tr key={o.step_id}>
                  <td className="muted">?</td>
                  <td className="muted">step {o.step_id} (no longer in the test)</td>
                  <td>
                    <RunResultText run={o} />
                  </td>
                  <td>{fmtDuration(o.started_at, o.finished_at)}</td>
                  <td>{o.comment}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}

      <RunArtifacts
        projectId={project.id}
        runId={run.id}
        stepName={(id) => (stepText.has(id) ? `step ${stepText.get(id)!.n}` : undefined)}
      />

      {run.bugs.length > 0 && (
        <>
          <h2>Bugs found</h2>
          <ul className="bugs">
            {run.bugs.map((b, i) => (
              <li key={i}>
                <span className="strong">{b.title}</span> {b.severity && <Badge tone="red">{b.severity}</Badge>}
                {b.step_id && stepText.has(b.step_id) && <span className="muted"> — step {stepText.get(b.step_id)!.n}</span>}
                {b.description && <div className="muted">{b.description}</div>}
              </li>
            ))}
          </ul>
        </>
      )}

      {tr && (
        <>
          <h2>What an export would send</h2>
          <ErrorBanner error={previewErr} />
          {!preview && !previewErr && <p className="muted">Use “Preview export” to see each linked case and the status it would get (nothing is sent).</p>}
          {preview?.preview && (
            <div data-testid="export-preview">
              <dl className="kv">
                <dt>TestRail {preview.export_strategy === 'multi_suite_plan' ? 'plan' : 'run'}</dt>
                <dd className="strong" data-testid="preview-name">{preview.preview.name}</dd>
                <dt>Cases</dt>
                <dd>
                  {preview.preview.entries.reduce((n, e) => n + e.cases.length, 0)} to send
                  {preview.skipped_cases.length > 0 ? `, ${preview.skipped_cases.length} skipped` : ''}
                </dd>
              </dl>
              {preview.warnings.length > 0 && (
                <ul className="plain warn-list">
                  {preview.warnings.map((w, i) => (
                    <li key={i}>⚠ {w.message}</li>
                  ))}
                </ul>
              )}
              {preview.preview.entries.length === 0 && <p className="muted">Nothing would be sent.</p>}
              {preview.preview.entries.map((en) => (
                <div key={`${en.suite_id}:${en.config_ids.join(',')}`} className="panel table-scroll" data-testid="preview-entry">
                  <div className="strong">
                    {suiteNames[en.suite_id] ?? `Suite ${en.suite_id}`}
                    {en.config_label && <span data-testid="preview-config"> — configuration run {en.config_label}</span>}
                  </div>
                  <table className="table compact">
                    <thead>
                      <tr>
                        <th>Case</th>
                        <th>Status</th>
                        <th>Comment, exactly as sent</th>
                        <th>Fields</th>
                      </tr>
                    </thead>
                    <tbody>
                      {en.cases.map((c) => {
                        const st = statusById.get(c.status_id);
                        return (
                          <tr key={c.case_id} data-testid="preview-case">
                            <td className="case-id">C{c.case_id}</td>
                            <td>
                              <span className="status-pill" style={pillStyle(statusColor(st))}>
                                {st?.label || st?.name || `TestRail status ${c.status_id}`}
                              </span>
                            </td>
                            <td>
                              <pre className="comment">{c.comment}</pre>
                            </td>
                            <td data-testid="preview-fields">
                              {[
                                c.version ? `version: ${c.version}` : '',
                                c.elapsed ? `elapsed: ${c.elapsed}` : '',
                                ...Object.entries(c.fields).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`),
                              ]
                                .filter(Boolean)
                                .map((t) => (
                                  <div key={t} className="mono small">
                                    {t}
                                  </div>
                                ))}
                            </td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
              ))}
              {preview.skipped_cases.length > 0 && (
                <div className="panel">
                  <div className="strong">Skipped</div>
                  <ul className="plain">
                    {preview.skipped_cases.map((s) => (
                      <li key={s.case_id}>
                        C{s.case_id}: {SKIP_TEXT[s.reason] ?? s.message}
                      </li>
                    ))}
                  </ul>
                </div>
              )}
            </div>
          )}
        </>
      )}
      {exporting && (
        <ExportDialog
          projectId={project.id}
          source={{ run_id: run.id }}
          what={`run #${run.id} (${run.result}, ${humanLabel(run.bug_label)})`}
          onClose={() => setExporting(false)}
          onDone={() => loadSync()}
        />
      )}
    </div>
  );
}

