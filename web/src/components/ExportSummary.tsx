// The outcome of one export (GET/POST …/testrail/exports): state, TestRail link, counts, skips, warnings.
import { useContext } from 'react';
import type { ExportResult } from '../api/types';
import { SessionCtx } from '../contexts';
import { Badge } from './ui';
import { fmtMs, fmtTime } from '../util';

type ExportOutcome = Pick<ExportResult, 'state' | 'error_code' | 'skipped_cases' | 'total_test_cases'>;

/** An Error run's export (every result "Not reported"): nothing was sent, nothing failed. */
export const nothingToExport = (r: Pick<ExportResult, 'error_code'>) => r.error_code === 'nothing_to_send';

/** Badge colour of an export: partial is amber (never green), "nothing to export" grey. */
export function exportTone(r: ExportOutcome): string {
  if (nothingToExport(r)) return 'grey';
  if (r.state === 'partially_succeeded') return 'amber';
  if (r.state === 'succeeded') return 'green';
  if (r.state === 'failed') return 'red';
  return 'blue';
}

/** The export's outcome in words, with the count of skipped cases when only part was sent. */
export function exportStateText(r: ExportOutcome): string {
  if (nothingToExport(r)) return 'Nothing to export';
  switch (r.state) {
    case 'succeeded':
      return 'Exported';
    case 'partially_succeeded':
      return `Partly exported — ${r.skipped_cases.length} of ${r.total_test_cases} case(s) not sent`;
    case 'failed':
      return 'Export failed';
    case 'queued':
      return 'Queued';
    case 'running':
      return 'Exporting…';
    case 'dry_run':
      return 'Preview (nothing sent)';
  }
  return r.state;
}

/** Skip reasons (ExportSkip.reason) in words. */
export const SKIP_TEXT: Record<string, string> = {
  not_reported: 'its result maps to “Not reported”',
  not_in_catalog: 'the case is not in the synced TestRail catalog',
  case_deleted: 'the case was deleted in TestRail',
  suite_not_selected: 'its suite is not selected',
  rejected_by_testrail: 'TestRail refused it (deleted or not in the run)',
  run_not_finished: 'the run has not finished',
};

export function ExportSummary({ r, projectId }: { r: ExportResult; projectId?: number }) {
  const session = useContext(SessionCtx);
  return (
    <div className="export-summary" data-testid="export-result">
      <div className="row-gap">
        <Badge tone={exportTone(r)} data-testid="export-state" data-state={nothingToExport(r) ? 'nothing_to_export' : r.state}>
          {exportStateText(r)}
        </Badge>
        {r.export_strategy && <span className="muted">{r.export_strategy === 'multi_suite_plan' ? 'TestRail plan (several suites)' : 'TestRail run'}</span>}
        {r.already_exported && <Badge tone="grey">already exported</Badge>}
      </div>
      {r.testrail_url && (
        <p>
          <a href={r.testrail_url} target="_blank" rel="noreferrer" data-testid="testrail-link" className="strong">
            Open “{r.testrail_name || 'TestRail entry'}” in TestRail ↗
          </a>
        </p>
      )}
      {r.error && <div className="alert alert-error">{r.error}</div>}
      <dl className="kv">
        {r.id !== null && r.id !== undefined && (
          <>
            <dt>Triggered by</dt>
            <dd>
              {r.export_trigger === 'auto'
                ? 'Automatic export when the execution completed'
                : r.created_by !== null && r.created_by === session?.user?.id
                  ? `You (${session.user.name})`
                  : r.created_by_name
                    ? r.created_by_name
                    : 'A member who has since been removed'}
            </dd>
            <dt>Covers</dt>
            <dd>
              {r.source.execution_id ? (
                <a href={`#/projects/${projectId ?? ''}/plans`}>Execution #{r.source.execution_id}</a>
              ) : (
                (r.source.run_ids ?? []).map((id, i) => (
                  <span key={id}>
                    {i > 0 && ', '}
                    <a href={`#/projects/${projectId ?? ''}/runs/${id}`}>Run #{id}</a>
                  </span>
                ))
              )}
            </dd>
            <dt>Timings</dt>
            <dd>
              requested {fmtTime(r.created_at)}
              {r.started_at ? ` · started ${fmtTime(r.started_at)}` : ''}
              {r.finished_at ? ` · finished ${fmtTime(r.finished_at)}` : ''}
              {r.attempts > 1 ? ` · ${r.attempts} attempts` : ''}
            </dd>
          </>
        )}
        <dt>Runs processed</dt>
        <dd>{r.runs_processed}</dd>
        <dt>Cases</dt>
        <dd>{r.total_test_cases}</dd>
        {r.attachments && r.attachments.total > 0 && (
          <>
            <dt>Attachments</dt>
            <dd data-testid="export-attachments-count">
              {r.attachments.sent} of {r.attachments.total} sent ({Math.round(r.attachments.bytes_sent / 1024)} of{' '}
              {Math.round(r.attachments.bytes_total / 1024)} KiB)
              {r.attachments.refused > 0 ? ` · ${r.attachments.refused} refused by TestRail` : ''}
            </dd>
          </>
        )}
        {r.preview?.attachments && r.preview.attachments.length > 0 && (
          <>
            <dt>Would attach</dt>
            <dd data-testid="export-preview-attachments">
              {r.preview.attachments.map((a, i) => (
                <span key={i}>
                  {i > 0 && ', '}
                  {a.name} → C{a.case_id}
                </span>
              ))}
            </dd>
          </>
        )}
        {r.export_duration_ms !== null && (
          <>
            <dt>Duration</dt>
            <dd>{fmtMs(r.export_duration_ms)}</dd>
          </>
        )}
      </dl>
      {r.skipped_cases.length > 0 && (
        <details>
          <summary>{r.skipped_cases.length} skipped case(s)</summary>
          <ul className="plain">
            {r.skipped_cases.map((s, i) => (
              <li key={i}>
                C{s.case_id}: {SKIP_TEXT[s.reason] ?? s.message}
              </li>
            ))}
          </ul>
        </details>
      )}
      {r.warnings.length > 0 && (
        <ul className="plain warn-list">
          {r.warnings.map((w, i) => (
            <li key={i}>⚠ {w.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
