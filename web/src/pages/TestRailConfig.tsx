// Configs → TestRail: loads the project's TestRail configuration and lays out one component per
// section (pages/testrail/*.tsx).
import { useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import { testrailApi } from '../api/testrail';
import type { TestRailConfig } from '../api/types';
import { useProject } from '../contexts';
import { Badge, Empty, ErrorBanner, Loading } from '../components/ui';
import { canEditConfigs } from '../util';
import { ConnectionSection } from './testrail/ConnectionSection';
import { ProjectSuitesSection } from './testrail/ProjectSuitesSection';
import { CatalogSection } from './testrail/CatalogSection';
import { MappingSection } from './testrail/MappingSection';
import { OptionsSection } from './testrail/OptionsSection';
import { FieldsSection } from './testrail/FieldsSection';
import { ConfigurationsSection } from './testrail/ConfigurationsSection';

export function TestRailConfigPage() {
  const { project } = useProject();
  const [cfg, setCfg] = useState<TestRailConfig | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [unavailable, setUnavailable] = useState<string | null>(null);

  const load = async () => {
    try {
      setCfg(await testrailApi.config(project.id));
      setError(null);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setUnavailable('The TestRail integration is not enabled for this project.');
      else setError(e);
    }
  };
  useEffect(() => {
    load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [project.id]);

  if (!project.features.testrail || !canEditConfigs(project))
    return (
      <Empty title="TestRail configuration is not available">
        <span data-testid="testrail-denied">
          {!project.features.testrail
            ? 'The TestRail integration is a beta feature that is not enabled for this project.'
            : 'You need the project:edit-configs permission (or project admin / org admin) to configure TestRail.'}
        </span>
      </Empty>
    );
  if (unavailable) return <Empty title="TestRail configuration is not available">{unavailable}</Empty>;
  if (error) return <ErrorBanner error={error} />;
  if (!cfg) return <Loading what="TestRail configuration" />;
  const trProjectId = cfg.project?.id ?? null;
  const suiteIds = cfg.suites.map((s) => s.id);

  return (
    <div className="tr-config" data-testid="testrail-config">
      <div className="page-head">
        <h1>
          <span className="tr-logo">TR</span> TestRail
        </h1>
        <Badge tone="blue">beta</Badge>
      </div>
      <ConnectionSection projectId={project.id} conn={cfg.connection} onChange={load} />
      {cfg.connection && (
        <>
          <ProjectSuitesSection nexusProjectId={project.id} projectId={trProjectId} suiteIds={suiteIds} onChange={load} />
          {trProjectId && <CatalogSection projectId={project.id} watch={`${trProjectId}:${suiteIds.join(",")}`} />}
          <MappingSection projectId={project.id} initial={cfg.mapping} />
          <OptionsSection projectId={project.id} initial={cfg.options} />
          {trProjectId && <FieldsSection key={trProjectId} projectId={project.id} />}
          {trProjectId && <ConfigurationsSection key={`cfg-${trProjectId}`} projectId={project.id} />}
        </>
      )}
    </div>
  );
}
