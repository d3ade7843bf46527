// Test plans and their executions: create a plan, launch it, export a completed execution.
import { useState } from 'react';
import { plansApi, executionsApi } from '../api/plans';
import { testsApi } from '../api/tests';
import { exportsApi } from '../api/exports';
import type { ExportResult } from '../api/types';
import { Badge, Empty, ErrorBanner, GuardedButton, Loading, useAsync } from '../components/ui';
import { ExportDialog } from '../components/ExportDialog';
import { exportStateText, exportTone } from '../components/ExportSummary';
import { useProject } from '../contexts';
import { can, fmtTime } from '../util';

export function PlansPage() {
  const { project } = useProject();
  const tr = !!project.features.testrail;
  const { data, error, loading, reload } = useAsync(async () => {
    const [plans, executions, tests] = await Promise.all([
      plansApi.list(project.id),
      executionsApi.list(project.id),
      testsApi.list(project.id),
    ]);
    let exports: ExportResult[] | null = null;
    if (tr) exports = (await exportsApi.list(project.id).catch(() => ({ items: [] }))).items;
    executions.sort((a, b) => b.id - a.id);
    return { plans, executions, tests, exports };
  }, [project.id]);
  const [name, setName] = useState('');
  const [picked, setPicked] = useState<Set<number>>(new Set());
  const [actionErr, setActionErr] = useState<unknown>(null);
  const [exportExec, setExportExec] = useState<number | null>(null);
  const canOperate = can(project, 'project:operate-runs');
  const canEdit = can(project, 'project:edit-tests') || canOperate;

  if (loading && !data) return <Loading what="plans" />;
  const planName = new Map((data?.plans || []).map((p) => [p.id, p.name]));

  const createPlan = async (e: React.FormEvent) => {
    e.preventDefault();
    setActionErr(null);
    try {
      await plansApi.create(project.id, { name, test_ids: [...picked] });
      setName('');
      setPicked(new Set());
      reload();
    } catch (err) {
      setActionErr(err);
    }
  };
  const start = async (planId: number) => {
    setActionErr(null);
    try {
      await executionsApi.launch(project.id, planId);
      reload();
    } catch (err) {
      setActionErr(err);
    }
  };
  const exportOf = (execId: number) => (data?.exports || []).filter((x) => x.source.execution_id === execId).sort((a, b) => (b.id ?? 0) - (a.id ?? 0))[0];

  return (
    <>
      <div className="page-head">
        <h1>Test plans &amp; executions</h1>
      </div>
      <ErrorBanner error={error} />
      <ErrorBanner error={actionErr} onClose={() => setActionErr(null)} />
      <div className="two-col">
        <section>
          <h2>Plans</h2>
          {(data?.plans || []).length === 0 ? (
            <Empty title="No test plans yet">A plan is a named set of tests that runs together as one execution.</Empty>
          ) : (
            <table className="table" data-testid="plans-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th className="num">Tests</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {data!.plans.map((p) => (
                  <tr key={p.id}>
                    <td className="strong">{p.name}</td>
                    <td className="num">{p.test_ids.length}</td>
                    <td className="right">
                      <GuardedButton className="btn btn-sm" allowed={canOperate} reason="You need the project:operate-runs permission" onClick={() => start(p.id)}>
                        Start execution
                      </GuardedButton>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {canEdit && (data?.tests.length || 0) > 0 && (
            <form className="panel" onSubmit={createPlan}>
              <div className="strong">New plan</div>
              <input placeholder="Plan name" value={name} onChange={(e) => setName(e.target.value)} required aria-label="Plan name" />
              <div className="checklist">
                {data!.tests.map((t) => (
                  <label key={t.id} className="check">
                    <input
                      type="checkbox"
                      checked={picked.has(t.id)}
                      onChange={() =>
                        setPicked((s) => {
                          const n = new Set(s);
                          if (n.has(t.id)) n.delete(t.id);
                          else n.add(t.id);
                          return n;
                        })
                      }
                    />{' '}
                    {t.name}
                  </label>
                ))}
              </div>
              <button className="btn" disabled={!picked.size}>
                Create plan
              </button>
            </form>
          )}
        </section>
        <section>
          <h2>Executions</h2>
          {(data?.executions || []).length === 0 ? (
            <Empty title="No executions yet" />
          ) : (
            <table className="table" data-testid="executions-table">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Plan</th>
                  <th>State</th>
                  <th>Started</th>
                  {tr && <th>TestRail export</th>}
                  {tr && <th />}
                </tr>
              </thead>
              <tbody>
                {data!.executions.map((x) => {
                  const ex = exportOf(x.id);
                  return (
                    <tr key={x.id}>
                      <td className="muted">{x.id}</td>
                      <td>{planName.get(x.plan_id) || `Plan ${x.plan_id}`}</td>
                      <td>
                        <Badge tone={x.state === 'completed' ? 'green' : x.state === 'in_progress' ? 'blue' : 'grey'}>{x.state.replace('_', ' ')}</Badge>
                      </td>
                      <td className="muted">{fmtTime(x.created_at)}</td>
                      {tr && (
                        <td>
                          {data!.exports === null ? (
                            <span className="muted">—</span>
                          ) : ex ? (
                            ex.testrail_url ? (
                              <a href={ex.testrail_url} target="_blank" rel="noreferrer">
                                <Badge tone={exportTone(ex)}>{exportStateText(ex)}</Badge>
                              </a>
                            ) : (
                              <Badge tone={exportTone(ex)}>{exportStateText(ex)}</Badge>
                            )
                          ) : (
                            <Badge tone="grey">not exported</Badge>
                          )}
                        </td>
                      )}
                      {tr && (
                        <td className="right">
                          <button className="btn btn-sm" onClick={() => setExportExec(x.id)}>
                            Export
                          </button>
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </section>
      </div>
      {exportExec !== null && (
        <ExportDialog
          projectId={project.id}
          source={{ execution_id: exportExec }}
          what={`the finished runs of execution #${exportExec}`}
          onClose={() => setExportExec(null)}
          onDone={reload}
        />
      )}
    </>
  );
}
