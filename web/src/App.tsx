// The shell: session bootstrap, top bar, project sidebar and hash routing to the pages.
import { useEffect, useState } from 'react';
import { setCsrfToken, setUnauthorizedHandler, ApiError } from './api/client';
import { authApi } from './api/auth';
import { projectsApi } from './api/projects';
import { match, navigate, useRoute, href } from './router';
import type { User } from './api/types';
import { ProjectCtx, SessionCtx } from './contexts';
import { Loading, ErrorBanner, useAsync } from './components/ui';
import { LoginPage } from './pages/Login';
import { ProjectsPage } from './pages/Projects';
import { TestsPage } from './pages/Tests';
import { TestEditorPage } from './pages/TestEditor';
import { RunsPage } from './pages/Runs';
import { RunDetailPage } from './pages/RunDetail';
import { PlansPage } from './pages/Plans';
import { ConfigsPage } from './pages/Configs';
import { TestRailConfigPage } from './pages/TestRailConfig';
import { ExportsPage, ExportDetailPage } from './pages/Exports';
import { canEditConfigs, cls } from './util';

/** Set after a sign-in in this browser; without it GET /me is not tried (it would be a 401). */
const SIGNED_IN = 'nexus.signedIn';

export function App() {
  const path = useRoute();
  const [user, setUser] = useState<User | null | undefined>(undefined);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      localStorage.removeItem(SIGNED_IN);
      setUser(null);
    });
    // A browser that never signed in (or signed out) goes straight to the login form, so a
    // fresh load logs no 401 for GET /me (issue 12).
    if (!localStorage.getItem(SIGNED_IN)) {
      setUser(null);
      return;
    }
    authApi.me().then(
      (me) => {
        if (me.csrf_token) setCsrfToken(me.csrf_token);
        setUser(me);
      },
      () => {
        localStorage.removeItem(SIGNED_IN);
        setUser(null);
      },
    );
  }, []);

  if (user === undefined) return <Loading />;

  if (!user) {
    return (
      <LoginPage
        onLogin={(u, csrf) => {
          localStorage.setItem(SIGNED_IN, '1');
          setCsrfToken(csrf);
          setUser(u);
          if (currentIsLogin()) navigate('/projects');
        }}
      />
    );
  }

  const logout = async () => {
    try {
      await authApi.logout();
    } catch {
      /* ignore */
    }
    setCsrfToken('');
    localStorage.removeItem(SIGNED_IN);
    setUser(null);
    navigate('/login');
  };

  let body: JSX.Element;
  const pm = match('/projects/:p', path) || matchPrefix(path);
  if (path === '/' || path === '/login' || path === '/projects') body = <ProjectsPage />;
  else if (pm) body = <ProjectShell projectId={Number(pm.p)} path={path} />;
  else body = <NotFound />;

  return (
    <SessionCtx.Provider value={{ user, logout }}>
      <div className="app">
        <header className="topbar">
          <a className="brand" href={href('/projects')}>
            <span className="brand-mark">N</span> Nexus
          </a>
          <div className="topbar-right">
            <span className="who" data-testid="current-user">
              {user.name || user.email}
              {user.org_admin && <span className="who-role">org admin</span>}
            </span>
            <button className="btn btn-ghost" onClick={logout}>
              Sign out
            </button>
          </div>
        </header>
        {body}
      </div>
    </SessionCtx.Provider>
  );
}

function currentIsLogin() {
  const h = window.location.hash;
  return h === '' || h === '#/' || h === '#/login';
}

function matchPrefix(path: string) {
  const m = /^\/projects\/(\d+)(\/.*)?$/.exec(path.split('?')[0]);
  return m ? { p: m[1] } : null;
}

function NotFound() {
  return (
    <main className="page">
      <h1>Page not found</h1>
      <p>
        <a href={href('/projects')}>Back to projects</a>
      </p>
    </main>
  );
}

function ProjectShell({ projectId, path }: { projectId: number; path: string }) {
  const { data: project, error, loading, reload } = useAsync(() => projectsApi.get(projectId), [projectId]);
  if (loading && !project) return <Loading what="project" />;
  if (error || !project)
    return (
      <main className="page">
        <ErrorBanner error={error instanceof ApiError && error.status === 404 ? new Error('This project does not exist or you cannot see it.') : error} />
        <a href={href('/projects')}>Back to projects</a>
      </main>
    );
  const base = `/projects/${project.id}`;
  const rest = path.split('?')[0].slice(base.length) || '/';
  const trVisible = !!project.features.testrail && canEditConfigs(project);

  let page: JSX.Element;
  let m: Record<string, string> | null;
  if (rest === '/' || rest === '/tests') page = <TestsPage />;
  else if (rest === '/tests/new') page = <TestEditorPage testId={null} />;
  else if ((m = match('/tests/:t', rest))) page = <TestEditorPage testId={Number(m.t)} />;
  else if (rest === '/plans') page = <PlansPage />;
  else if (rest === '/runs') page = <RunsPage />;
  else if ((m = match('/runs/:r', rest))) page = <RunDetailPage runId={Number(m.r)} />;
  else if (rest === '/configs') page = <ConfigsPage />;
  else if (rest === '/configs/testrail') page = <TestRailConfigPage />;
  else if (rest === '/exports') page = <ExportsPage />;
  else if ((m = match('/exports/:e', rest))) page = <ExportDetailPage exportId={Number(m.e)} />;
  else page = <NotFound />;

  const item = (to: string, label: string, testId: string, active?: boolean) => (
    <a
      href={href(base + to)}
      className={cls('nav-item', (active ?? rest.startsWith(to)) && 'active')}
      data-testid={testId}
    >
      {label}
    </a>
  );

  return (
    <ProjectCtx.Provider value={{ project, reload }}>
      <div className="shell">
        <nav className="sidebar" aria-label="Project">
          <div className="sidebar-project">
            <a href={href('/projects')} className="sidebar-back">
              ← All projects
            </a>
            <div className="sidebar-name" data-testid="project-name">
              {project.name}
            </div>
          </div>
          {item('/tests', 'Tests', 'nav-tests', rest === '/' || rest.startsWith('/tests'))}
          {item('/plans', 'Test plans & executions', 'nav-plans')}
          {item('/runs', 'Runs', 'nav-runs')}
          {item('/configs', 'Configs', 'nav-configs', rest === '/configs')}
          {trVisible && (
            <a
              href={href(base + '/configs/testrail')}
              className={cls('nav-item nav-sub', rest.startsWith('/configs/testrail') && 'active')}
              data-testid="nav-configs-testrail"
            >
              TestRail
            </a>
          )}
          {project.features.testrail && item('/exports', 'TestRail exports', 'nav-exports')}
        </nav>
        <main className="page">{page}</main>
      </div>
    </ProjectCtx.Provider>
  );
}
