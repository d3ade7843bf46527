// The "Export to TestRail" dialog: name and close option, then the export's summary.
import { useEffect, useState } from 'react';
import { exportsApi } from '../api/exports';
import { testrailApi } from '../api/testrail';
import type { ExportRequest, ExportResult, RemoteMilestone } from '../api/types';
import { Dialog, ErrorBanner, Spinner } from './ui';
import { ExportSummary } from './ExportSummary';

export type ExportSource = { run_id: number } | { run_ids: number[] } | { execution_id: number };

export function ExportDialog({
  projectId,
  source,
  what,
  onClose,
  onDone,
}: {
  projectId: number;
  source: ExportSource;
  what: string;
  onClose: () => void;
  onDone?: (r: ExportResult) => void;
}) {
  const [name, setName] = useState('');
  // Follows the project's "Close the run on completion" option until the user changes it.
  const [close, setClose] = useState(true);
  const [closeTouched, setCloseTouched] = useState(false);
  const [defaultsLoaded, setDefaultsLoaded] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<ExportResult | null>(null);
  // Per-export milestone (issue 14): '' = the project's default.
  const [milestones, setMilestones] = useState<RemoteMilestone[]>([]);
  const [milestone, setMilestone] = useState('');
  // Attachments (issue 17): '' = the project's option, else this export's mode.
  const [attach, setAttach] = useState<'' | 'none' | 'failed' | 'all'>('');
  const [projectAttach, setProjectAttach] = useState<string>('none');

  useEffect(() => {
    let live = true;
    testrailApi
      .summary(projectId)
      .then((sum) => {
        if (!live) return;
        setClose((c) => (closeTouched ? c : sum.close_run_on_completion));
        setProjectAttach(sum.attachments.mode);
        setDefaultsLoaded(true);
      })
      .catch(() => live && setDefaultsLoaded(true));
    testrailApi
      .milestones(projectId)
      .then((m) => live && setMilestones(m.items))
      .catch(() => undefined); // no picker: the project's default applies
    return () => {
      live = false;
    };
  }, [projectId]);

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const body: ExportRequest = { ...source, close_run_on_completion: close };
      if (name.trim()) body.custom_run_name = name.trim();
      if (milestone !== '') body.milestone_id = Number(milestone);
      if (attach !== '') body.attachments = { mode: attach };
      const r = await exportsApi.start(projectId, body);
      setResult(r);
      onDone?.(r);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title="Export to TestRail"
      onClose={onClose}
      testId="export-dialog"
      footer={
        result ? (
          <button className="btn btn-primary" onClick={onClose}>
            Done
          </button>
        ) : (
          <>
            <button className="btn" onClick={onClose} disabled={busy}>
              Cancel
            </button>
            <button className="btn btn-primary" onClick={run} disabled={busy} data-testid="export-confirm">
              {busy && <Spinner small />} Export
            </button>
          </>
        )
      }
    >
      {!result && (
        <>
          <p className="muted">Exporting {what}.</p>
          <label className="field">
            <span className="field-label">Run / plan name</span>
            <input
              value={name}
              maxLength={250}
              onChange={(e) => setName(e.target.value)}
              placeholder="Leave empty for the generated name"
              data-testid="export-name"
            />
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={close}
              data-testid="export-close"
              data-defaults-loaded={defaultsLoaded ? 'true' : 'false'}
              onChange={(e) => {
                setCloseTouched(true);
                setClose(e.target.checked);
              }}
            />{' '}
            Close the TestRail run when the results are added <span className="muted">(project default: Configs → TestRail → Export options)</span>
          </label>
          <label className="field">
            <span className="field-label">Attach run artifacts</span>
            <select value={attach} onChange={(e) => setAttach(e.target.value as typeof attach)} data-testid="export-attachments">
              <option value="">Project default ({projectAttach})</option>
              <option value="none">None</option>
              <option value="failed">Failed results only</option>
              <option value="all">All results</option>
            </select>
          </label>
          {milestones.length > 0 && (
            <label className="field">
              <span className="field-label">Milestone</span>
              <select value={milestone} onChange={(e) => setMilestone(e.target.value)} data-testid="export-milestone">
                <option value="">Project default</option>
                {milestones.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.parent_id ? '\u00a0\u00a0↳ ' : ''}
                    {m.name}
                  </option>
                ))}
              </select>
            </label>
          )}
        </>
      )}
      <ErrorBanner error={error} />
      {result && <ExportSummary r={result} />}
    </Dialog>
  );
}
