// Configs → TestRail, "Project and suites": pick the TestRail project, then the suites (search, Select All, Clear).
import { useEffect, useState } from 'react';
import { testrailApi } from '../../api/testrail';
import type { RemoteProject, RemoteSuite } from '../../api/types';
import { ErrorBanner, Loading, Spinner } from '../../components/ui';
import { cls } from '../../util';

export function ProjectSuitesSection({
  nexusProjectId,
  projectId,
  suiteIds,
  onChange,
}: {
  nexusProjectId: number;
  projectId: number | null;
  suiteIds: number[];
  onChange: () => void;
}) {
  const [projects, setProjects] = useState<RemoteProject[] | null>(null);
  const [suites, setSuites] = useState<RemoteSuite[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [q, setQ] = useState('');
  const [sel, setSel] = useState<Set<number>>(new Set(suiteIds));
  const [savedMsg, setSavedMsg] = useState(false);

  useEffect(() => {
    testrailApi.remoteProjects(nexusProjectId).then((r) => setProjects(r.items), setErr);
  }, [nexusProjectId]);
  useEffect(() => {
    setSel(new Set(suiteIds));
  }, [suiteIds.join(',')]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (!projectId) return;
    setSuites(null);
    testrailApi.remoteSuites(nexusProjectId).then((r) => setSuites(r.items), setErr);
  }, [nexusProjectId, projectId]);

  const chooseProject = async (id: number) => {
    setBusy(true);
    setErr(null);
    try {
      await testrailApi.selectProject(nexusProjectId, id);
      onChange();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  const saveSuites = async () => {
    setBusy(true);
    setErr(null);
    setSavedMsg(false);
    try {
      await testrailApi.selectSuites(nexusProjectId, [...sel]);
      setSavedMsg(true);
      onChange();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  const shown = (suites || []).filter((s) => s.name.toLowerCase().includes(q.toLowerCase()));
  const dirty = [...sel].sort().join(',') !== [...suiteIds].sort().join(',');

  return (
    <section className="panel" data-testid="tr-project-suites">
      <h2>Project and suites</h2>
      <ErrorBanner error={err} onClose={() => setErr(null)} />
      <label className="field">
        <span className="field-label">TestRail project</span>
        {projects === null ? (
          <Spinner small />
        ) : (
          <select
            value={projectId ?? ''}
            onChange={(e) => e.target.value && chooseProject(Number(e.target.value))}
            disabled={busy}
            data-testid="tr-project"
          >
            <option value="">— choose a project —</option>
            {projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        )}
        <span className="field-hint">Cases can be linked from this one TestRail project only.</span>
      </label>
      {projectId && (
        <div className="field">
          <span className="field-label">Suites</span>
          <div className="suite-tools">
            <input className="search grow" placeholder="Search suites by name" value={q} onChange={(e) => setQ(e.target.value)} data-testid="tr-suite-search" aria-label="Search suites" />
            <button
              className="btn btn-sm"
              onClick={() => setSel((s) => new Set([...s, ...shown.map((x) => x.id)]))}
              data-testid="tr-select-all"
            >
              Select All
            </button>
            <button className="btn btn-sm" onClick={() => setSel(new Set())} data-testid="tr-clear">
              Clear
            </button>
            <span className="muted" data-testid="tr-selected-count">
              {sel.size} selected
            </span>
          </div>
          {suites === null ? (
            <Loading what="suites" />
          ) : (
            <div className="suite-list" data-testid="tr-suites">
              {shown.length === 0 && <div className="muted pad">No suites match.</div>}
              {shown.map((s) => (
                <label key={s.id} className={cls('suite-row', sel.has(s.id) && 'checked')} data-testid="tr-suite">
                  <input
                    type="checkbox"
                    checked={sel.has(s.id)}
                    onChange={() =>
                      setSel((x) => {
                        const n = new Set(x);
                        if (n.has(s.id)) n.delete(s.id);
                        else n.add(s.id);
                        return n;
                      })
                    }
                  />
                  <span>{s.name}</span>
                  <span className="muted small">S{s.id}</span>
                </label>
              ))}
            </div>
          )}
          <div className="row-gap">
            <button className="btn btn-primary" onClick={saveSuites} disabled={busy || !dirty} data-testid="tr-save-suites">
              {busy && <Spinner small />} Save suite selection
            </button>
            {savedMsg && !dirty && <span className="ok-text">Saved.</span>}
            {dirty && <span className="muted">Unsaved changes</span>}
          </div>
          <span className="field-hint">Only cases from the selected suites can be linked and exported.</span>
        </div>
      )}
    </section>
  );
}
