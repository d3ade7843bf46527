// The outcome of one export (GET/POST …/testrail/exports): state, TestRail link, counts, skips, warnings.
import type { ExportResult } from '../api/types';
import { Badge } from './ui';
import { fmtMs, humanLabel } from '../util';

export function exportTone(state: ExportResult['state'], success: boolean): string {
  if (state === 'succeeded' || success) return 'green';
  if (state === 'partially_succeeded') return 'amber';
  if (state === 'failed') return 'red';
  return 'blue';
}

export function ExportSummary({ r }: { r: ExportResult }) {
  return (
    <div className="export-summary" data-testid="export-result">
      <div className="row-gap">
        <Badge tone={exportTone(r.state, r.success)}>{humanLabel(r.state).replace(/_/g, ' ')}</Badge>
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
        <dt>Runs processed</dt>
        <dd>{r.runs_processed}</dd>
        <dt>Cases</dt>
        <dd>{r.total_test_cases}</dd>
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
                C{s.case_id}: {s.reason}
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
