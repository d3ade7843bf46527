// Configs → TestRail, "Case catalog": the local catalog's state and a Refresh (sync) button. The
// panel follows a running sync job (state, progress, counts) — one started by Refresh, by saving
// the suite selection (`watch` changes) or by anyone else — until it finishes.
import { useCallback, useEffect, useRef, useState } from 'react';
import { catalogApi } from '../../api/catalog';
import type { Catalog } from '../../api/types';
import { ErrorBanner, Spinner } from '../../components/ui';
import { fmtTime } from '../../util';

const STATE_TEXT: Record<Catalog['state'], string> = {
  never: 'Never synced',
  queued: 'Sync queued…',
  syncing: 'Syncing…',
  ok: 'Up to date',
  failed: 'The last sync failed',
};

const running = (c: Catalog | null) => !!c && (c.state === 'queued' || c.state === 'syncing');

function progressText(p: unknown): string {
  if (!p || typeof p !== 'object') return '';
  const o = p as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof o.suites_done === 'number' && typeof o.suites_total === 'number') parts.push(`${o.suites_done} of ${o.suites_total} suite(s)`);
  if (typeof o.cases_fetched === 'number') parts.push(`${o.cases_fetched} case(s) fetched`);
  return parts.join(' · ');
}

export function CatalogSection({ projectId, watch = '' }: { projectId: number; watch?: string }) {
  const [cat, setCat] = useState<Catalog | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const following = useRef(0); // generation: a newer follow() stops the older one
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  /** Polls the catalog state until no sync is queued or running (at most 10 minutes). */
  const follow = useCallback(async () => {
    const gen = ++following.current;
    for (let i = 0; i < 600; i++) {
      const c = await catalogApi.status(projectId);
      if (!alive.current || gen !== following.current) return;
      setCat(c);
      if (!running(c)) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }, [projectId]);

  useEffect(() => {
    follow().catch(setErr);
  }, [follow, watch]);

  const refresh = async () => {
    setBusy(true);
    setErr(null);
    try {
      await catalogApi.sync(projectId);
      await follow();
    } catch (e) {
      setErr(e);
    } finally {
      if (alive.current) setBusy(false);
    }
  };
  const syncing = busy || running(cat);
  return (
    <section className="panel" data-testid="tr-catalog" data-state={cat?.state ?? 'loading'}>
      <div className="section-head">
        <h2>Case catalog</h2>
        <button className="btn btn-sm" onClick={refresh} disabled={syncing} data-testid="tr-catalog-refresh">
          {syncing && <Spinner small />} Refresh
        </button>
      </div>
      <p className="muted">
        Refresh fetches what changed in TestRail and checks every linked case, so a case deleted in TestRail turns its links red.
      </p>
      <ErrorBanner error={err} />
      {cat && (
        <dl className="kv" aria-live="polite">
          <dt>State</dt>
          <dd data-testid="tr-catalog-state">
            {STATE_TEXT[cat.state]}
            {running(cat) && progressText(cat.progress) ? ` — ${progressText(cat.progress)}` : ''}
          </dd>
          <dt>Contents</dt>
          <dd data-testid="tr-catalog-counts">
            {`${cat.counts.sections} sections · ${cat.counts.cases} cases`}
            {cat.counts.deleted_cases > 0 ? ` · ${cat.counts.deleted_cases} deleted in TestRail` : ''}
          </dd>
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
