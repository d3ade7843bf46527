// Configs → TestRail, "Result fields" (issue 14): the TestRail project's custom result fields
// with type and required flag, the value Nexus sends for each (a fixed value of the field's
// type — dropdowns offer the field's options — or a value taken from the Nexus run), fields
// whose setting no longer fits TestRail flagged, the assignee of failed results and the step
// results switch. Exports refuse before any TestRail write while a required field has no value.
import { useEffect, useState } from 'react';
import { ApiError } from '../../api/client';
import { testrailApi } from '../../api/testrail';
import type { ExportField, ExportFields, FieldSetting, RemoteUser } from '../../api/types';
import { Badge, ErrorBanner, Loading, Notice, Spinner } from '../../components/ui';
import { cls } from '../../util';

type Source = FieldSetting['source'] | '';

interface Draft {
  source: Source;
  value: unknown;
  attribute: string;
}

const SOURCE_LABELS: Record<Exclude<Source, ''>, string> = {
  fixed: 'Fixed value',
  build: 'Run build',
  run_url: 'Run link in Nexus',
  test_name: 'Test name',
  attribute: 'Run attribute',
};

const TYPE_LABELS: Record<string, string> = {
  string: 'String',
  integer: 'Integer',
  text: 'Text',
  url: 'URL',
  checkbox: 'Checkbox',
  dropdown: 'Dropdown',
  user: 'User',
  date: 'Date',
  milestone: 'Milestone',
  steps: 'Steps',
  step_results: 'Step results',
  multi_select: 'Multi-select',
  unknown: 'Unknown type',
};

// Types a value from the run can fill (text, numbers, checkbox, options by label).
const RUN_VALUE_TYPES = new Set(['string', 'text', 'url', 'date', 'integer', 'checkbox', 'dropdown', 'multi_select']);
const SETTABLE = (f: ExportField) => f.type !== 'steps' && f.type !== 'step_results';

function draftOf(f: ExportField): Draft {
  if (!f.setting) return { source: '', value: null, attribute: '' };
  return {
    source: f.setting.source as Source,
    value: f.setting.value ?? null,
    attribute: f.setting.attribute ?? '',
  };
}

function FixedEditor({ f, value, onChange }: { f: ExportField; value: unknown; onChange: (v: unknown) => void }) {
  const id = `field-value-${f.system_name}`;
  if (f.type === 'dropdown')
    return (
      <select data-testid={id} aria-label={`${f.label} value`} value={typeof value === 'number' ? String(value) : ''} onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}>
        <option value="">— choose —</option>
        {f.options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.label}
          </option>
        ))}
      </select>
    );
  if (f.type === 'multi_select') {
    const sel = Array.isArray(value) ? (value as number[]) : [];
    return (
      <span data-testid={id} className="row-gap">
        {f.options.map((o) => (
          <label key={o.id} className="check">
            <input
              type="checkbox"
              checked={sel.includes(o.id)}
              onChange={(e) => onChange(e.target.checked ? [...sel, o.id] : sel.filter((x) => x !== o.id))}
            />{' '}
            {o.label}
          </label>
        ))}
      </span>
    );
  }
  if (f.type === 'checkbox')
    return (
      <label className="check">
        <input data-testid={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} /> checked
      </label>
    );
  const numeric = f.type === 'integer' || f.type === 'user' || f.type === 'milestone';
  return (
    <input
      data-testid={id}
      aria-label={`${f.label} value`}
      inputMode={numeric ? 'numeric' : undefined}
      value={value === null || value === undefined ? '' : String(value)}
      onChange={(e) => {
        const t = e.target.value;
        if (!numeric) return onChange(t);
        onChange(t.trim() === '' ? null : Number.isInteger(Number(t)) ? Number(t) : t);
      }}
    />
  );
}

export function FieldsSection({ projectId }: { projectId: number }) {
  const [view, setView] = useState<ExportFields | null>(null);
  const [users, setUsers] = useState<RemoteUser[]>([]);
  const [drafts, setDrafts] = useState<Record<string, Draft>>({});
  const [assignee, setAssignee] = useState<string>('');
  const [steps, setSteps] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [ok, setOk] = useState(false);

  const adopt = (v: ExportFields) => {
    setView(v);
    setDrafts(Object.fromEntries(v.fields.map((f) => [f.system_name, draftOf(f)])));
    setAssignee(v.failed_assignee_id === null ? '' : String(v.failed_assignee_id));
    setSteps(v.step_results);
  };

  useEffect(() => {
    let live = true;
    testrailApi
      .exportFields(projectId)
      .then((v) => live && adopt(v))
      .catch((e) => live && setErr(e));
    testrailApi
      .users(projectId)
      .then((u) => live && setUsers(u.items))
      .catch(() => undefined); // the picker falls back to the stored id
    return () => {
      live = false;
    };
  }, [projectId]);

  const save = async () => {
    if (!view) return;
    setBusy(true);
    setErr(null);
    setOk(false);
    try {
      const fields: Record<string, FieldSetting> = {};
      for (const f of view.fields) {
        const d = drafts[f.system_name];
        if (!d || d.source === '' || !f.present) continue;
        if (d.source === 'fixed') fields[f.system_name] = { source: 'fixed', value: d.value };
        else if (d.source === 'attribute') fields[f.system_name] = { source: 'attribute', attribute: d.attribute };
        else fields[f.system_name] = { source: d.source };
      }
      adopt(
        await testrailApi.saveExportFields(projectId, {
          fields,
          failed_assignee_id: assignee === '' ? null : Number(assignee),
          step_results: steps,
        }),
      );
      setOk(true);
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };

  const errField = err instanceof ApiError ? err.field : undefined;
  if (!view && !err) return <Loading what="result fields" />;
  const missing = view?.fields.filter((f) => f.required && SETTABLE(f) && !f.setting) ?? [];
  const stale = view?.fields.filter((f) => f.problem) ?? [];
  return (
    <section className="panel" data-testid="tr-fields">
      <h2>Result fields</h2>
      <p className="muted">
        Custom result fields of the TestRail project. Required fields must have a value: an export is refused before anything is written to TestRail
        while one is missing.
      </p>
      <ErrorBanner error={err} />
      {missing.length > 0 && (
        <Notice tone="warn">
          <span data-testid="tr-fields-missing">Exports are refused until these required fields have a value: {missing.map((f) => f.label).join(', ')}.</span>
        </Notice>
      )}
      {stale.length > 0 && (
        <Notice tone="warn">
          <span data-testid="tr-fields-stale">
            Changed in TestRail since they were set: {stale.map((f) => `${f.label} (${f.problem === 'disappeared' ? 'removed' : 'type or options changed'})`).join(', ')}. Set them again.
          </span>
        </Notice>
      )}
      {view && view.fields.length === 0 && <p className="muted">This TestRail project has no custom result fields.</p>}
      {view && view.fields.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Type</th>
                <th scope="col">Value sent with each result</th>
              </tr>
            </thead>
            <tbody>
              {view.fields.map((f) => {
                const d = drafts[f.system_name] ?? { source: '', value: null, attribute: '' };
                const setD = (patch: Partial<Draft>) => setDrafts({ ...drafts, [f.system_name]: { ...d, ...patch } });
                return (
                  <tr key={f.system_name} data-testid={`field-row-${f.system_name}`} className={cls(errField?.startsWith(`fields.${f.system_name}`) && 'field-error')}>
                    <td>
                      <div>{f.label}</div>
                      <div className="muted mono">{f.system_name}</div>
                      {f.required && <Badge tone="red">required</Badge>}{' '}
                      {f.problem && (
                        <Badge tone="amber" data-testid={`field-problem-${f.system_name}`}>
                          {f.problem === 'disappeared' ? 'removed in TestRail' : 'changed in TestRail'}
                        </Badge>
                      )}
                    </td>
                    <td>{TYPE_LABELS[f.type] ?? f.type}</td>
                    <td>
                      {!SETTABLE(f) ? (
                        <span className="muted">{f.type === 'step_results' ? 'Filled from step outcomes when step results are on' : 'Not set by Nexus'}</span>
                      ) : !f.present ? (
                        <span className="muted">No longer in TestRail; removed from the settings on save.</span>
                      ) : (
                        <div className="row-gap">
                          <select
                            data-testid={`field-source-${f.system_name}`}
                            aria-label={`${f.label}: where the value comes from`}
                            value={d.source}
                            onChange={(e) => setD({ source: e.target.value as Source })}
                          >
                            <option value="">Not sent</option>
                            {(Object.keys(SOURCE_LABELS) as Exclude<Source, ''>[])
                              .filter((s) => s === 'fixed' || RUN_VALUE_TYPES.has(f.type))
                              .map((s) => (
                                <option key={s} value={s}>
                                  {SOURCE_LABELS[s]}
                                </option>
                              ))}
                          </select>
                          {d.source === 'fixed' && <FixedEditor f={f} value={d.value} onChange={(v) => setD({ value: v })} />}
                          {d.source === 'attribute' && (
                            <input
                              data-testid={`field-attribute-${f.system_name}`}
                              aria-label={`${f.label}: run attribute`}
                              placeholder="platform"
                              value={d.attribute}
                              onChange={(e) => setD({ attribute: e.target.value })}
                            />
                          )}
                        </div>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <div className="form-grid">
        <label className={cls('field', errField === 'failed_assignee_id' && 'field-error')}>
          <span className="field-label">Assign failed results to</span>
          <select data-testid="tr-assignee" value={assignee} onChange={(e) => setAssignee(e.target.value)}>
            <option value="">Nobody</option>
            {assignee !== '' && !users.some((u) => String(u.id) === assignee) && <option value={assignee}>TestRail user #{assignee}</option>}
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({u.email}){u.is_active ? '' : ' — inactive'}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label className={cls('check', errField === 'step_results' && 'field-error')}>
        <input data-testid="tr-step-results" type="checkbox" checked={steps} disabled={!view?.step_results_field && !steps} onChange={(e) => setSteps(e.target.checked)} /> Send step
        results ({view?.step_results_field ?? 'no step results field in this project'}) built from each run's step outcomes
      </label>
      <div className="row-gap">
        <button className="btn btn-primary" data-testid="tr-fields-save" onClick={save} disabled={busy || !view}>
          {busy && <Spinner small />} Save result fields
        </button>
        {ok && <span className="ok-text">Saved.</span>}
      </div>
    </section>
  );
}
