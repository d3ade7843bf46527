// TestRail export history of a project and the detail page of one export.
import { ApiError } from '../api/client';
import { exportsApi } from '../api/exports';
import { href, navigate } from '../router';
import type { ExportResult } from '../api/types';
import { Badge, Empty, ErrorBanner, Loading, useAsync } from '../components/ui';
import { ExportSummary, exportStateText, exportTone } from '../components/ExportSummary';
import { useProject } from '../contexts';
import { fmtMs, fmtTime } from '../util';

const TYPE: Record<ExportResult['export_type'], string> = { single_run: 'One run', multiple_runs: 'Several runs', test_plan: 'Plan execution' };

export function ExportsPage() {
  const { project } = useProject();
  const { data, error, loading } = useAsync(async () => (await exportsApi.list(project.id)).items, [project.id]);
  if (loading && !data) return <Loading what="exports" />;
  const unavailable = error instanceof ApiError && error.code === 'feature_disabled';
  return (
    <>
      <div className="page-head">
        <h1>TestRail exports</h1>
      </div>
      {unavailable ? (
        <Empty title="Export history is not available">The TestRail integration is off for this project.</Empty>
      ) : (
        <ErrorBanner error={error} />
      )}
      {data && data.length === 0 && <Empty title="No exports yet">Export a run from the Runs page.</Empty>}
      {data && data.length > 0 && (
        <div className="table-scroll">
        <table className="table" data-testid="exports-table">
          <thead>
            <tr>
              <th>#</th>
              <th>State</th>
              <th>Source</th>
              <th>Trigger</th>
              <th className="num">Cases</th>
              <th>TestRail</th>
              <th>Duration</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {data.map((x) => (
              <tr key={x.id ?? 0} className="row-link" onClick={() => navigate(`/projects/${project.id}/exports/${x.id ?? ''}`)}>
                <td>
                  <a href={href(`/projects/${project.id}/exports/${x.id ?? ''}`)} onClick={(e) => e.stopPropagation()} data-testid="export-open">
                    #{x.id}
                  </a>
                </td>
                <td>
                  <Badge tone={exportTone(x)}>{exportStateText(x)}</Badge>
                </td>
                <td>{TYPE[x.export_type]}</td>
                <td className="muted">{x.export_trigger === 'auto' ? 'automatic' : 'by a user'}</td>
                <td className="num">{x.total_test_cases}</td>
                <td onClick={(e) => e.stopPropagation()}>
                  {x.testrail_url ? (
                    <a href={x.testrail_url} target="_blank" rel="noreferrer">
                      {x.testrail_name || (x.testrail_plan_id ? `Plan ${x.testrail_plan_id}` : `Run ${x.testrail_run_id}`)} ↗
                    </a>
                  ) : (
                    <span className="muted">{x.error || '—'}</span>
                  )}
                </td>
                <td className="muted">{x.export_duration_ms !== null ? fmtMs(x.export_duration_ms) : '—'}</td>
                <td className="muted">{fmtTime(x.created_at ?? x.started_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </>
  );
}

export function ExportDetailPage({ exportId }: { exportId: number }) {
  const { project } = useProject();
  const { data, error, loading } = useAsync(() => exportsApi.get(project.id, exportId), [exportId]);
  return (
    <>
      <div className="crumbs">
        <a href={href(`/projects/${project.id}/exports`)}>TestRail exports</a> / <span>Export #{exportId}</span>
      </div>
      <h1>Export #{exportId}</h1>
      <ErrorBanner error={error} />
      {loading && <Loading />}
      {data && (
        <div className="panel">
          <ExportSummary r={data} projectId={project.id} />
        </div>
      )}
    </>
  );
}
