// Picks TestRail cases from the local catalog: suite → section tree → searchable case list.
import { useEffect, useMemo, useRef, useState } from 'react';
import { testrailApi } from '../api/testrail';
import { catalogApi } from '../api/catalog';
import type { Section, TrCase as Case } from '../api/types';
import { Dialog, ErrorBanner, Spinner, VirtualList } from './ui';
import { cls } from '../util';

interface Suite {
  id: number;
  name: string;
}

/** Orders the flat section list of GET …/sections as a tree (parents before children, depth-annotated). */
function treeOrder(list: Section[]): Section[] {
  const byParent = new Map<number | null, Section[]>();
  for (const s of list) {
    const p = s.parent_id;
    if (!byParent.has(p)) byParent.set(p, []);
    byParent.get(p)!.push(s);
  }
  const out: Section[] = [];
  const walk = (p: number | null, depth: number) => {
    for (const s of byParent.get(p) || []) {
      out.push({ ...s, depth });
      walk(s.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

const ROW = 34;

export function CasePicker({
  projectId,
  title,
  initial,
  onConfirm,
  onCancel,
}: {
  projectId: number;
  title: string;
  initial: number[];
  onConfirm: (ids: number[]) => void;
  onCancel: () => void;
}) {
  const [suites, setSuites] = useState<Suite[]>([]);
  const [suiteId, setSuiteId] = useState<number | null>(null);
  const [sections, setSections] = useState<Section[]>([]);
  const [collapsed, setCollapsed] = useState<Set<number>>(new Set());
  const [sectionId, setSectionId] = useState<number | null>(null);
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const [cases, setCases] = useState<Case[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingCases, setLoadingCases] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<Set<number>>(new Set(initial));
  const [active, setActive] = useState(0);
  const [askDiscard, setAskDiscard] = useState(false);
  const [showSelected, setShowSelected] = useState(false);
  const reqSeq = useRef(0);

  // Selected suites of the project (only those can be linked, R-SUITE-2).
  useEffect(() => {
    testrailApi
      .summary(projectId)
      .then((cfg) => {
        const s: Suite[] = cfg.suites;
        setSuites(s);
        if (s.length) setSuiteId(s[0].id);
      })
      .catch(setError);
  }, [projectId]);

  useEffect(() => {
    if (suiteId === null) return;
    setSections([]);
    setSectionId(null);
    catalogApi.sections(projectId, suiteId).then((r) => setSections(treeOrder(r.items)), setError);
  }, [projectId, suiteId]);

  const loadCases = async (more: boolean) => {
    if (suiteId === null) return;
    const seq = ++reqSeq.current;
    setLoadingCases(true);
    try {
      const r = await catalogApi.cases(projectId, {
        q: query || undefined,
        // A search (C751, title words) covers every selected suite; each row says where it is.
        suite_id: query ? undefined : suiteId,
        section_id: sectionId !== null && !query ? sectionId : undefined,
        limit: 200,
        cursor: more && cursor ? cursor : undefined,
      });
      if (seq !== reqSeq.current) return;
      const items: Case[] = r.items;
      setCases((c) => (more ? [...c, ...items] : items));
      setCursor(r.next_cursor);
      if (!more) setActive(0);
    } catch (e) {
      if (seq === reqSeq.current) setError(e);
    } finally {
      if (seq === reqSeq.current) setLoadingCases(false);
    }
  };

  useEffect(() => {
    loadCases(false);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [suiteId, sectionId, query]);

  // Debounced server-side search.
  useEffect(() => {
    const t = setTimeout(() => setQuery(q.trim()), 250);
    return () => clearTimeout(t);
  }, [q]);

  const visibleSections = useMemo(() => {
    const out: Section[] = [];
    const hiddenUnder: number[] = [];
    const hiddenDepth: number[] = [];
    for (const s of sections) {
      while (hiddenDepth.length && s.depth <= hiddenDepth[hiddenDepth.length - 1]) {
        hiddenDepth.pop();
        hiddenUnder.pop();
      }
      if (hiddenDepth.length) continue;
      out.push(s);
      if (collapsed.has(s.id)) {
        hiddenUnder.push(s.id);
        hiddenDepth.push(s.depth);
      }
    }
    return out;
  }, [sections, collapsed]);
  const hasChildren = useMemo(() => {
    const s = new Set<number>();
    for (const x of sections) if (x.parent_id !== null) s.add(x.parent_id);
    return s;
  }, [sections]);

  const toggle = (id: number) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  const onListKey = (e: React.KeyboardEvent) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => Math.min(cases.length - 1, a + 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(0, a - 1));
    } else if (e.key === ' ' || e.key === 'Enter') {
      e.preventDefault();
      if (cases[active]) toggle(cases[active].id);
    }
  };

  // Closing (Esc, ×, a click outside, Cancel) never silently drops a changed selection.
  const initialKey = [...new Set(initial)].sort((a, b) => a - b).join(',');
  const changed = [...selected].sort((a, b) => a - b).join(',') !== initialKey;
  const close = () => (changed ? setAskDiscard(true) : onCancel());
  const titles = new Map(cases.map((c) => [c.id, c.title]));

  return (
    <Dialog
      title={title}
      onClose={close}
      wide
      testId="case-picker"
      footer={
        <>
          <button
            type="button"
            className="btn btn-ghost"
            aria-expanded={showSelected}
            onClick={() => setShowSelected((v) => !v)}
            data-testid="picker-selected-count"
          >
            {selected.size} selected {showSelected ? '▾' : '▸'}
          </button>
          <span className="spacer" />
          {askDiscard && (
            <span role="alert" className="discard-ask" data-testid="picker-discard">
              Discard your changes to the selection?{' '}
              <button type="button" className="btn btn-sm btn-danger-ghost" onClick={onCancel}>
                Discard
              </button>{' '}
              <button type="button" className="btn btn-sm" onClick={() => setAskDiscard(false)}>
                Keep editing
              </button>
            </span>
          )}
          <button className="btn" onClick={close}>
            Cancel
          </button>
          <button className="btn btn-primary" onClick={() => onConfirm([...selected])} data-testid="confirm-selection">
            Confirm Selection
          </button>
        </>
      }
    >
      <ErrorBanner error={error} onClose={() => setError(null)} />
      {showSelected && (
        <div className="picker-selected" data-testid="picker-selected">
          {selected.size === 0 ? (
            <span className="muted">Nothing selected.</span>
          ) : (
            [...selected].map((id) => (
              <span key={id} className="picker-chip">
                C{id}
                {titles.get(id) ? ` ${titles.get(id)}` : ''}
                <button type="button" className="link-unlink" aria-label={`Remove C${id} from the selection`} onClick={() => toggle(id)}>
                  ×
                </button>
              </span>
            ))
          )}
        </div>
      )}
      <div className="picker-top">
        <input
          className="search grow"
          placeholder="Search by case ID (C123) or title"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') {
              e.preventDefault();
              (document.querySelector('[data-testid=picker-cases]') as HTMLElement | null)?.focus();
            }
          }}
          aria-label="Search cases"
          data-testid="picker-search"
        />
        {suites.length > 1 && (
          <select value={suiteId ?? ''} onChange={(e) => setSuiteId(Number(e.target.value))} aria-label="Suite">
            {suites.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        )}
      </div>
      {suites.length === 0 && !error ? (
        <div className="muted pad">No suites are selected for this project. Choose suites in Configs → TestRail.</div>
      ) : (
        <div className="picker">
          <div className="picker-tree" role="tree" aria-label="Sections" data-testid="picker-tree">
            <div
              className={cls('tree-row', sectionId === null && 'active')}
              role="treeitem"
              tabIndex={0}
              onClick={() => setSectionId(null)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') setSectionId(null);
                if (e.key === 'ArrowDown') {
                  e.preventDefault();
                  document.querySelectorAll<HTMLElement>('[data-testid=picker-tree] [role=treeitem]')[1]?.focus();
                }
              }}
            >
              All sections
            </div>
            {visibleSections.map((s) => (
              <div
                key={s.id}
                className={cls('tree-row', sectionId === s.id && 'active')}
                style={{ paddingLeft: 8 + s.depth * 16 }}
                role="treeitem"
                aria-expanded={hasChildren.has(s.id) ? !collapsed.has(s.id) : undefined}
                tabIndex={0}
                onClick={() => setSectionId(s.id)}
                onKeyDown={(e) => {
                  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                    e.preventDefault();
                    const rows = [...document.querySelectorAll<HTMLElement>('[data-testid=picker-tree] [role=treeitem]')];
                    const i = rows.indexOf(e.currentTarget);
                    rows[Math.max(0, Math.min(rows.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))]?.focus();
                  }
                  if (e.key === 'Enter') setSectionId(s.id);
                  if (e.key === 'ArrowLeft' || e.key === 'ArrowRight')
                    setCollapsed((c) => {
                      const n = new Set(c);
                      if (e.key === 'ArrowLeft') n.add(s.id);
                      else n.delete(s.id);
                      return n;
                    });
                }}
                data-testid="tree-section"
              >
                {hasChildren.has(s.id) ? (
                  <button
                    className="tree-caret"
                    tabIndex={-1}
                    aria-label={collapsed.has(s.id) ? 'Expand' : 'Collapse'}
                    onClick={(e) => {
                      e.stopPropagation();
                      setCollapsed((c) => {
                        const n = new Set(c);
                        if (n.has(s.id)) n.delete(s.id);
                        else n.add(s.id);
                        return n;
                      });
                    }}
                  >
                    {collapsed.has(s.id) ? '▸' : '▾'}
                  </button>
                ) : (
                  <span className="tree-caret-space" />
                )}
                {s.name}
              </div>
            ))}
          </div>
          <div className="picker-list" tabIndex={0} onKeyDown={onListKey} data-testid="picker-cases" aria-label="Cases">
            {loadingCases && cases.length === 0 ? (
              <div className="pad">
                <Spinner /> Loading cases…
              </div>
            ) : cases.length === 0 ? (
              <div className="muted pad">No cases {query ? `match “${query}”` : 'in this section'}.</div>
            ) : (
              <VirtualList
                items={cases}
                rowHeight={ROW}
                height={380}
                scrollToIndex={active}
                onEndReached={() => cursor && !loadingCases && loadCases(true)}
                render={(c, i) => (
                  <label className={cls('case-row', i === active && 'active', selected.has(c.id) && 'checked')} data-testid="case-row">
                    <input type="checkbox" checked={selected.has(c.id)} onChange={() => toggle(c.id)} tabIndex={-1} />
                    <span className="case-id">C{c.id}</span>
                    <span className="case-title" title={`${c.suite} › ${c.section_path}`}>
                      {c.title}
                    </span>
                    {query && (
                      <span className="case-where" data-testid="case-where">
                        {c.suite} › {c.section_path}
                      </span>
                    )}
                  </label>
                )}
              />
            )}
          </div>
        </div>
      )}
    </Dialog>
  );
}
