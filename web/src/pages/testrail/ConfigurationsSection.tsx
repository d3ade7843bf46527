// Configs → TestRail, "Configurations" (issue 14, R-CONFIGS): one or more run attributes
// (platform, device, …) mapped to TestRail configuration groups of the project (get_configs),
// each attribute value to a config of its group, with suggestions by name for the values seen
// on the project's runs. A plan export then creates one plan run per configuration combination;
// runs whose value is not mapped are skipped with a reason. Groups or configs deleted in
// TestRail are flagged.
import { useEffect, useState } from 'react';
import { ApiError } from '../../api/client';
import { testrailApi } from '../../api/testrail';
import type { Configurations } from '../../api/types';
import { Badge, ErrorBanner, Loading, Notice, Spinner } from '../../components/ui';
import { cls } from '../../util';

interface Row {
  attribute: string;
  groupId: string; // '' = not chosen
  values: { value: string; configId: string }[];
}

function rowsOf(v: Configurations): Row[] {
  return v.attributes.map((a) => ({
    attribute: a.attribute,
    groupId: String(a.group_id),
    values: a.values.map((x) => ({ value: x.value, configId: String(x.config_id) })),
  }));
}

export function ConfigurationsSection({ projectId }: { projectId: number }) {
  const [view, setView] = useState<Configurations | null>(null);
  const [rows, setRows] = useState<Row[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [ok, setOk] = useState(false);

  const adopt = (v: Configurations) => {
    setView(v);
    setRows(rowsOf(v));
  };

  useEffect(() => {
    let live = true;
    testrailApi
      .configurations(projectId)
      .then((v) => live && adopt(v))
      .catch((e) => live && setErr(e));
    return () => {
      live = false;
    };
  }, [projectId]);

  const setRow = (i: number, patch: Partial<Row>) => setRows(rows.map((r, k) => (k === i ? { ...r, ...patch } : r)));

  const save = async () => {
    setBusy(true);
    setErr(null);
    setOk(false);
    try {
      adopt(
        await testrailApi.saveConfigurations(projectId, {
          attributes: rows.map((r) => ({
            attribute: r.attribute.trim(),
            group_id: Number(r.groupId),
            values: Object.fromEntries(r.values.filter((x) => x.value.trim() !== '' && x.configId !== '').map((x) => [x.value.trim(), Number(x.configId)])),
          })),
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
  if (!view && !err) return <Loading what="configurations" />;
  const groups = view?.groups ?? [];
  return (
    <section className="panel" data-testid="tr-configs">
      <h2>Configurations</h2>
      <p className="muted">
        Map run attributes to TestRail configuration groups. An export then creates a test plan with one run per configuration (e.g. one for PC, one for
        PS5), and each result goes to the run of its configuration. Runs whose value is not mapped are skipped, with the reason in the export.
      </p>
      <ErrorBanner error={err} />
      {view && view.problems.length > 0 && (
        <Notice tone="warn">
          <span data-testid="tr-configs-problems">Changed in TestRail: {view.problems.map((p) => p.message).join('; ')}. Fix the mapping.</span>
        </Notice>
      )}
      {view && groups.length === 0 && <p className="muted">This TestRail project has no configuration groups.</p>}
      {rows.map((r, i) => {
        const group = groups.find((g) => String(g.id) === r.groupId);
        const stored = view?.attributes.find((a) => a.attribute === r.attribute);
        const suggestions = (stored?.suggestions ?? []).filter((s) => !r.values.some((x) => x.value === s.value));
        return (
          <div key={i} className={cls('panel', errField?.startsWith(`attributes[${i}]`) && 'field-error')} data-testid={`config-attr-${i}`}>
            <div className="form-grid">
              <label className="field">
                <span className="field-label">Run attribute</span>
                <input data-testid={`config-attr-name-${i}`} placeholder="platform" value={r.attribute} onChange={(e) => setRow(i, { attribute: e.target.value })} />
              </label>
              <label className="field">
                <span className="field-label">TestRail configuration group</span>
                <select data-testid={`config-attr-group-${i}`} value={r.groupId} onChange={(e) => setRow(i, { groupId: e.target.value })}>
                  <option value="">— choose —</option>
                  {r.groupId !== '' && !group && <option value={r.groupId}>Group #{r.groupId} (removed in TestRail)</option>}
                  {groups.map((g) => (
                    <option key={g.id} value={g.id}>
                      {g.name}
                    </option>
                  ))}
                </select>
              </label>
            </div>
            <table className="table compact">
              <thead>
                <tr>
                  <th scope="col">Attribute value</th>
                  <th scope="col">TestRail configuration</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {r.values.map((x, k) => {
                  const known = group?.configs.some((c) => String(c.id) === x.configId);
                  return (
                    <tr key={k} data-testid={`config-value-${i}-${k}`}>
                      <td>
                        <input
                          data-testid={`config-value-name-${i}-${k}`}
                          aria-label="attribute value"
                          value={x.value}
                          onChange={(e) => setRow(i, { values: r.values.map((y, j) => (j === k ? { ...y, value: e.target.value } : y)) })}
                        />
                      </td>
                      <td>
                        <select
                          data-testid={`config-value-config-${i}-${k}`}
                          aria-label={`configuration for ${x.value}`}
                          value={x.configId}
                          onChange={(e) => setRow(i, { values: r.values.map((y, j) => (j === k ? { ...y, configId: e.target.value } : y)) })}
                        >
                          <option value="">— choose —</option>
                          {x.configId !== '' && !known && <option value={x.configId}>Config #{x.configId} (removed in TestRail)</option>}
                          {group?.configs.map((c) => (
                            <option key={c.id} value={c.id}>
                              {c.name}
                            </option>
                          ))}
                        </select>{' '}
                        {x.configId !== '' && group && !known && <Badge tone="amber">removed in TestRail</Badge>}
                      </td>
                      <td>
                        <button className="btn btn-sm" onClick={() => setRow(i, { values: r.values.filter((_, j) => j !== k) })}>
                          Remove
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <div className="row-gap">
              <button
                className="btn btn-sm"
                data-testid={`config-value-add-${i}`}
                onClick={() => setRow(i, { values: [...r.values, { value: '', configId: '' }] })}
              >
                Add value
              </button>
              {group && (
                <button
                  className="btn btn-sm"
                  data-testid={`config-suggest-${i}`}
                  title="One value per configuration of the group, named like it"
                  onClick={() =>
                    setRow(i, {
                      values: [
                        ...r.values,
                        ...group.configs.filter((c) => !r.values.some((x) => x.value.toLowerCase() === c.name.toLowerCase())).map((c) => ({ value: c.name, configId: String(c.id) })),
                      ],
                    })
                  }
                >
                  Map by name
                </button>
              )}
              {suggestions.map((s) => (
                <button
                  key={s.value}
                  className="btn btn-sm"
                  data-testid={`config-suggestion-${i}-${s.value}`}
                  onClick={() => setRow(i, { values: [...r.values, { value: s.value, configId: s.config_id === null ? '' : String(s.config_id) }] })}
                >
                  Seen on runs: {s.value}
                  {s.config_name ? ` → ${s.config_name}` : ''}
                </button>
              ))}
              <button className="btn btn-sm" onClick={() => setRows(rows.filter((_, k) => k !== i))}>
                Remove attribute
              </button>
            </div>
          </div>
        );
      })}
      <div className="row-gap">
        <button className="btn" data-testid="tr-configs-add" onClick={() => setRows([...rows, { attribute: '', groupId: '', values: [] }])} disabled={groups.length === 0}>
          Map an attribute
        </button>
        <button className="btn btn-primary" data-testid="tr-configs-save" onClick={save} disabled={busy || !view}>
          {busy && <Spinner small />} Save configurations
        </button>
        {ok && <span className="ok-text">Saved.</span>}
      </div>
    </section>
  );
}
