import { href } from '../router';
import { useProject } from '../contexts';
import { canEditConfigs } from '../util';
import { Empty } from '../components/ui';

export function ConfigsPage() {
  const { project } = useProject();
  const feature = !!project.features?.testrail;
  const allowed = canEditConfigs(project);
  return (
    <>
      <div className="page-head">
        <h1>Configs</h1>
      </div>
      {feature && allowed ? (
        <div className="cards">
          <a className="card card-link" href={href(`/projects/${project.id}/configs/testrail`)} data-testid="configs-testrail-card">
            <div className="card-title">
              <span className="tr-logo">TR</span> TestRail
            </div>
            <div className="card-meta">Connection, project and suites, status mapping, export options</div>
          </a>
        </div>
      ) : (
        <Empty title="No configuration available to you" >
          <span data-testid="configs-reason">
            {!feature
              ? 'Integrations such as TestRail are beta features; an organisation admin has not enabled one for this project.'
              : 'Configuring integrations needs the project:edit-configs permission (or project admin / org admin).'}
          </span>
        </Empty>
      )}
    </>
  );
}
