import { useState } from 'react';
import { testsApi } from '../api/tests';
import { href, navigate } from '../router';
import { Badge, Empty, ErrorBanner, GuardedButton, Loading, useAsync } from '../components/ui';
import { useProject } from '../contexts';
import { canEditTests, fmtTime } from '../util';

export function TestsPage() {
  const { project } = useProject();
  const { data, error, loading } = useAsync(() => testsApi.list(project.id), [project.id]);
  const [q, setQ] = useState('');
  const tr = !!project.features.testrail;
  const items = (data || []).filter(
    (t) => t.name.toLowerCase().includes(q.toLowerCase()) || t.tags.some((x) => x.toLowerCase().includes(q.toLowerCase())),
  );
  return (
    <>
      <div className="page-head">
        <h1>Tests</h1>
        <div className="page-actions">
          <input className="search" placeholder="Search by name or tag" value={q} onChange={(e) => setQ(e.target.value)} aria-label="Search tests" />
          <GuardedButton
            className="btn btn-primary"
            allowed={canEditTests(project)}
            reason="You need the project:edit-tests permission to create tests"
            onClick={() => navigate(`/projects/${project.id}/tests/new`)}
            data-testid="new-test"
          >
            New test
          </GuardedButton>
        </div>
      </div>
      <ErrorBanner error={error} />
      {loading && !data ? (
        <Loading what="tests" />
      ) : items.length === 0 ? (
        <Empty title={q ? 'No tests match' : 'No tests yet'}>{!q && 'Create a test to describe what the agent should check.'}</Empty>
      ) : (
        <table className="table" data-testid="tests-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Tags</th>
              <th className="num">Steps</th>
              {tr && <th className="num">TestRail cases</th>}
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {items.map((t) => (
              <tr key={t.id} className="row-link" onClick={() => navigate(`/projects/${project.id}/tests/${t.id}`)}>
                <td>
                  <a href={href(`/projects/${project.id}/tests/${t.id}`)} className="strong">
                    {t.name}
                  </a>
                </td>
                <td>
                  {t.tags.map((x) => (
                    <span key={x} className="tag">
                      {x}
                    </span>
                  ))}
                </td>
                <td className="num">{t.steps.length}</td>
                {tr && (
                  <td className="num" data-testid="linked-count">
                    {t.testrail_case_count ? <Badge tone="blue">{t.testrail_case_count}</Badge> : <span className="muted">0</span>}
                  </td>
                )}
                <td className="muted">{fmtTime(t.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
