// Configs → TestRail, "Case catalog": the local catalog's state and a Refresh (sync) button.
import { useEffect, useState } from 'react';
import { catalogApi } from '../../api/catalog';
import type { Catalog } from '../../api/types';
import { ErrorBanner, Spinner } from '../../components/ui';
import { fmtTime } from '../../util';

export function CatalogSection({ projectId }: { projectId: number }) {
  const [cat, setCat] = useState<Catalog | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    catalogApi.status(projectId).then(setCat, setErr);
  }, [projectId]);
  const refresh = async () => {
    setBusy(true);
    setErr(null);
    try {
      await catalogApi.sync(projectId);
      for (let i = 0; i < 60; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const c = await catalogApi.status(projectId);
        setCat(c);
        if (c.state !== 'queued' && c.state !== 'syncing') break;
      }
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" data-testid="tr-catalog">
      <div className="section-head">
        <h2>Case catalog</h2>
        <button className="btn btn-sm" onClick={refresh} disabled={busy} data-testid="tr-catalog-refresh">
          {busy && <Spinner small />} Refresh
        </button>
      </div>
      <ErrorBanner error={err} />
      {cat && (
        <dl className="kv">
          <dt>State</dt>
          <dd>{cat.state}</dd>
          <dt>Contents</dt>
          <dd>{`${cat.counts.sections} sections · ${cat.counts.cases} cases`}</dd>
          <dt>Last sync</dt>
          <dd>{fmtTime(cat.last_sync_at)}</dd>
          {cat.last_error && (
            <>
              <dt>Error</dt>
              <dd className="error-text">{cat.last_error}</dd>
            </>
          )}
        </dl>
      )}
    </section>
  );
}
