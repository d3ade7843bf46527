// Configs → TestRail, "Status mapping": run result × bug label → TestRail status (basic or advanced).
import { useEffect, useMemo, useState } from 'react';
import { ApiError } from '../../api/client';
import { testrailApi } from '../../api/testrail';
import { BUG_LABELS, RUN_RESULTS, type BugLabel, type LabelTable, type Mapping, type MappingView, type RunResult, type TrStatus } from '../../api/types';
import { ErrorBanner, Spinner } from '../../components/ui';
import { cls, humanLabel, statusColor } from '../../util';

/** The mapping of a MappingView (without invalid_cells), as PUT …/mapping takes it. */
const plain = (v: MappingView): Mapping => ({ mode: v.mode, basic: v.basic, advanced: v.advanced });

const DEFAULT_BASIC: LabelTable = { NoBug: 1, LikelyNoBug: 1, Undecided: 4, LikelyBug: 5, DefinitelyBug: 5 };

/**
 * The advanced table that reports exactly what `basic` reports (issue 12): Success, Stopped and
 * MaxSteps use the basic row, Error is not reported — so switching Basic → Advanced starts from
 * the mapping in force instead of the defaults.
 */
function advancedFromBasic(basic: LabelTable): Mapping['advanced'] {
  const out = {} as Mapping['advanced'];
  for (const res of RUN_RESULTS) {
    const row = {} as LabelTable;
    for (const label of BUG_LABELS) row[label] = res === 'Error' ? null : basic[label];
    out[res] = row;
  }
  return out;
}

function StatusSelect({
  value,
  statuses,
  onChange,
  testId,
  invalid,
  label,
}: {
  value: number | null;
  statuses: TrStatus[];
  onChange: (v: number | null) => void;
  testId: string;
  invalid?: boolean;
  /** Accessible name: which cell this is ("Success, No Bug"). */
  label: string;
}) {
  const st = statuses.find((s) => s.id === value);
  const unknown = value !== null && !st;
  return (
    <span className={cls('status-select', (invalid || unknown) && 'field-error')}>
      <span className="swatch" style={{ background: value === null ? 'transparent' : statusColor(st) }} aria-hidden />
      <select
        value={value === null ? '' : String(value)}
        onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}
        data-testid={testId}
        aria-label={`TestRail status for ${label}`}
      >
        <option value="">Not reported</option>
        {statuses.map((s) => (
          <option key={s.id} value={s.id}>
            ● {s.label || s.name}
          </option>
        ))}
        {unknown && <option value={String(value)}>Unknown status {value}</option>}
      </select>
    </span>
  );
}

export function MappingSection({ projectId, initial }: { projectId: number; initial: Mapping }) {
  const [m, setM] = useState<Mapping>(initial);
  const [saved, setSaved] = useState<string>(JSON.stringify(initial));
  const [statuses, setStatuses] = useState<TrStatus[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState('');

  useEffect(() => {
    testrailApi.statuses(projectId).then((r) => setStatuses(r.items.filter((s) => s.id !== 3 && !s.is_untested)), setErr);
  }, [projectId]);

  const field = err instanceof ApiError ? err.field : undefined;
  const dirty = useMemo(() => JSON.stringify(m) !== saved, [m, saved]);
  const setBasic = (label: BugLabel, v: number | null) => setM({ ...m, basic: { ...m.basic, [label]: v } });
  const setAdv = (res: RunResult, label: BugLabel, v: number | null) =>
    setM({ ...m, advanced: { ...m.advanced, [res]: { ...m.advanced[res], [label]: v } } });

  const save = async () => {
    setBusy(true);
    setErr(null);
    setMsg('');
    try {
      const r = await testrailApi.saveMapping(projectId, { mode: m.mode, basic: m.basic, advanced: m.advanced });
      const x = plain(r);
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
      const r = plain(await testrailApi.resetMapping(projectId));
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
              onClick={() => setM(m.mode === 'basic' && mode === 'advanced' ? { ...m, mode, advanced: advancedFromBasic(m.basic) } : { ...m, mode })}
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
                    value={m.basic[l]}
                    statuses={statuses}
                    onChange={(v) => setBasic(l, v)}
                    testId={`map-basic-${l}`}
                    label={humanLabel(l)}
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
                        value={m.advanced[r][l]}
                        statuses={statuses}
                        onChange={(v) => setAdv(r, l, v)}
                        testId={`map-adv-${r}-${l}`}
                        label={`${r}, ${humanLabel(l)}`}
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
