import { useState } from 'react';
import { projectsApi } from '../api/projects';
import { href, navigate } from '../router';
import type { Project } from '../api/types';
import { Badge, Empty, ErrorBanner, Loading, useAsync } from '../components/ui';
import { useSession } from '../contexts';

const ROLE_OF = (p: Project) => {
  const perms = p.permissions ?? [];
  if (perms.includes('project:admin')) return 'admin';
  if (perms.includes('project:edit-configs')) return 'config manager';
  if (perms.includes('project:edit-tests')) return 'editor';
  if (perms.includes('project:operate-runs')) return 'operator';
  if (perms.includes('project:read-runs')) return 'viewer';
  return perms.includes('org:admin') ? 'org admin' : '—';
};

export function ProjectsPage() {
  const { user } = useSession();
  const { data, error, loading, reload } = useAsync(() => projectsApi.list(), []);
  const [name, setName] = useState('');
  const [createErr, setCreateErr] = useState<unknown>(null);
  const [filter, setFilter] = useState('');

  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    setCreateErr(null);
    try {
      const p = await projectsApi.create(name);
      setName('');
      reload();
      navigate(`/projects/${p.id}/tests`);
    } catch (err) {
      setCreateErr(err);
    }
  };

  const items = (data?.items || []).filter((p) => p.name.toLowerCase().includes(filter.toLowerCase()));

  return (
    <main className="page page-narrow">
      <div className="page-head">
        <h1>Projects</h1>
        <input
          className="search"
          placeholder="Filter projects"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          aria-label="Filter projects"
        />
      </div>
      <ErrorBanner error={error} />
      {loading && !data ? (
        <Loading what="projects" />
      ) : items.length === 0 ? (
        <Empty title="No projects yet">
          {user.org_admin ? 'Create the first one below.' : 'Ask an administrator to add you to a project.'}
        </Empty>
      ) : (
        <div className="cards" data-testid="project-list">
          {items.map((p) => (
            <a key={p.id} className="card card-link" href={href(`/projects/${p.id}/tests`)} data-testid="project-card">
              <div className="card-title">{p.name}</div>
              <div className="card-meta">
                <span>Your role: {ROLE_OF(p)}</span>
                {p.features?.testrail && <Badge tone="blue">TestRail beta</Badge>}
              </div>
            </a>
          ))}
        </div>
      )}
      {user.org_admin && (
        <form className="inline-form" onSubmit={create}>
          <input placeholder="New project name" value={name} onChange={(e) => setName(e.target.value)} required aria-label="New project name" />
          <button className="btn" type="submit">
            Create project
          </button>
        </form>
      )}
      <ErrorBanner error={createErr} />
    </main>
  );
}
