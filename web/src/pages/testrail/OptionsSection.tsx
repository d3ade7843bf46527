// Configs → TestRail, "Export options": close on completion, automatic export, run name, milestone,
// and which run artifacts are attached to the TestRail results (issue 17).
import { useEffect, useState } from 'react';
import { ApiError } from '../../api/client';
import { testrailApi } from '../../api/testrail';
import type { Options, RemoteMilestone } from '../../api/types';
import { ErrorBanner, Spinner } from '../../components/ui';
import { cls } from '../../util';

export function OptionsSection({ projectId, initial }: { projectId: number; initial: Options }) {
  const [o, setO] = useState<{ close_run_on_completion: boolean; auto_export: boolean; run_name_template: string; milestone_id: string }>({
    close_run_on_completion: initial.close_run_on_completion,
    auto_export: initial.auto_export,
    run_name_template: initial.run_name_template ?? '',
    milestone_id: initial.milestone_id === null ? '' : String(initial.milestone_id),
  });
  // Attachments (issue 17): mode, allowed media types (comma separated; empty = all), size cap.
  const [att, setAtt] = useState({
    mode: initial.attachments.mode,
    media_types: initial.attachments.media_types.join(', '),
    max_mb: String(Math.round((initial.attachments.max_bytes / 1048576) * 100) / 100),
  });
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [ok, setOk] = useState(false);
  const field = err instanceof ApiError ? err.field : undefined;
  // Milestone picker (issue 14): the project's milestones with sub-milestones under their
  // parent; completed ones only on request. Without TestRail's list the id can be typed.
  const [milestones, setMilestones] = useState<RemoteMilestone[] | null>(null);
  const [showCompleted, setShowCompleted] = useState(false);
  useEffect(() => {
    let live = true;
    testrailApi
      .milestones(projectId, showCompleted)
      .then((m) => live && setMilestones(m.items))
      .catch(() => live && setMilestones(null));
    return () => {
      live = false;
    };
  }, [projectId, showCompleted]);
  const save = async () => {
    setBusy(true);
    setErr(null);
    setOk(false);
    try {
      const milestone = o.milestone_id.trim() === '' ? null : Number(o.milestone_id);
      if (milestone !== null && !Number.isInteger(milestone))
        throw new ApiError(400, 'invalid_type', 'milestone_id must be an integer', 'milestone_id');
      const maxMb = Number(att.max_mb);
      if (!(maxMb > 0))
        throw new ApiError(400, 'invalid_value', 'the size cap must be a positive number of MB', 'attachments.max_bytes');
      await testrailApi.saveOptions(projectId, {
        ...o,
        run_name_template: o.run_name_template || null,
        milestone_id: milestone,
        attachments: {
          mode: att.mode,
          media_types: att.media_types
            .split(',')
            .map((t) => t.trim())
            .filter((t) => t !== ''),
          max_bytes: Math.round(maxMb * 1048576),
        },
      });
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
          <span className="field-label">Milestone (optional)</span>
          {milestones ? (
            <select data-testid="tr-milestone" value={o.milestone_id} onChange={(e) => setO({ ...o, milestone_id: e.target.value })}>
              <option value="">No milestone</option>
              {o.milestone_id !== '' && !milestones.some((m) => String(m.id) === o.milestone_id) && (
                <option value={o.milestone_id}>Milestone #{o.milestone_id}</option>
              )}
              {milestones.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.parent_id ? '\u00a0\u00a0↳ ' : ''}
                  {m.name}
                  {m.is_completed ? ' (completed)' : ''}
                </option>
              ))}
            </select>
          ) : (
            <input value={o.milestone_id} inputMode="numeric" onChange={(e) => setO({ ...o, milestone_id: e.target.value })} />
          )}
        </label>
        <label className={cls('field', field === 'attachments.mode' && 'field-error')}>
          <span className="field-label">Attach run artifacts to results</span>
          <select
            data-testid="tr-attach-mode"
            value={att.mode}
            onChange={(e) => setAtt({ ...att, mode: e.target.value as typeof att.mode })}
          >
            <option value="none">None</option>
            <option value="failed">Failed results only</option>
            <option value="all">All results</option>
          </select>
        </label>
        <label className={cls('field', field?.startsWith('attachments.media_types') && 'field-error')}>
          <span className="field-label">Media types (empty = all)</span>
          <input
            data-testid="tr-attach-types"
            value={att.media_types}
            onChange={(e) => setAtt({ ...att, media_types: e.target.value })}
            placeholder="image/*, text/plain"
          />
        </label>
        <label className={cls('field', field === 'attachments.max_bytes' && 'field-error')}>
          <span className="field-label">Size cap per attachment (MB)</span>
          <input data-testid="tr-attach-max" value={att.max_mb} inputMode="decimal" onChange={(e) => setAtt({ ...att, max_mb: e.target.value })} />
        </label>
        <label className="check">
          <input type="checkbox" data-testid="tr-milestone-completed" checked={showCompleted} onChange={(e) => setShowCompleted(e.target.checked)} /> Show
          completed milestones
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
