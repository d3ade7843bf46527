// Create or edit a test: name, tags, ordered steps, and (with TestRail) its case links.
import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import { testsApi } from '../api/tests';
import { linksApi } from '../api/catalog';
import { href, navigate } from '../router';
import type { CaseLink, StepInput, Test } from '../api/types';
import { ErrorBanner, GuardedButton, Loading, Notice, Spinner } from '../components/ui';
import { useProject } from '../contexts';
import { canEditTests, cls } from '../util';
import { LinkLabels } from '../components/LinkLabels';
import { testrailApi } from '../api/testrail';
import { CasePicker } from '../components/CasePicker';

/** A step being edited: `id` is absent for a step not saved yet. */
interface DraftStep extends StepInput {
  expected_results: string[];
  key: string;
  open: boolean;
}

let keySeq = 0;
const newKey = () => `k${++keySeq}`;

function toDraft(t: Test | null): { name: string; tags: string; steps: DraftStep[]; version: number } {
  if (!t) return { name: '', tags: '', steps: [{ key: newKey(), goal: '', expected_results: [''], open: true }], version: 0 };
  return {
    name: t.name,
    tags: t.tags.join(', '),
    version: t.version,
    steps: t.steps.map((s) => ({ ...s, key: s.id || newKey(), open: false, expected_results: [...s.expected_results] })),
  };
}

export function TestEditorPage({ testId }: { testId: number | null }) {
  const { project } = useProject();
  const editable = canEditTests(project);
  const tr = project.features.testrail;
  // TestRail status names for the labels' hover cards (readable by every reader).
  const [statusNames, setStatusNames] = useState<Record<number, string>>({});
  useEffect(() => {
    if (!tr) return;
    testrailApi.statuses(project.id).then(
      (r) => setStatusNames(Object.fromEntries(r.items.map((x) => [x.id, x.label || x.name]))),
      () => {},
    );
  }, [project.id, tr]);
  const [test, setTest] = useState<Test | null>(null);
  const [loading, setLoading] = useState(testId !== null);
  const [loadErr, setLoadErr] = useState<unknown>(null);
  const [draft, setDraft] = useState(toDraft(null));
  const [dirty, setDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveErr, setSaveErr] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [links, setLinks] = useState<CaseLink[] | null>(null); // null = not available
  const [stepLinks, setStepLinks] = useState<Record<string, CaseLink[]>>({});
  const [linksErr, setLinksErr] = useState<unknown>(null);
  const [picker, setPicker] = useState<null | { stepId: string | null }>(null);
  const dragFrom = useRef<number | null>(null);

  const base = `/projects/${project.id}/tests`;

  const load = async () => {
    if (testId === null) return;
    setLoading(true);
    setLoadErr(null);
    setSaveErr(null); // "Reload latest" after a 409 discards the conflict with the draft
    setSaved(false);
    try {
      const t = await testsApi.get(project.id, testId);
      setTest(t);
      setDraft(toDraft(t));
      setDirty(false);
      loadLinks(t);
    } catch (e) {
      setLoadErr(e);
    } finally {
      setLoading(false);
    }
  };

  const loadLinks = async (t: Test) => {
    if (!tr) return;
    try {
      const r = await linksApi.get(project.id, t.id);
      setLinks(r.items);
      const sl: Record<string, CaseLink[]> = {};
      await Promise.all(
        t.steps.map(async (s) => {
          try {
            sl[s.id] = (await linksApi.get(project.id, t.id, s.id)).items;
          } catch {
            /* the step's links stay empty */
          }
        }),
      );
      setStepLinks(sl);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setLinks(null);
      else setLinksErr(e);
    }
  };

  useEffect(() => {
    load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [testId, project.id]);

  const update = (fn: (d: typeof draft) => typeof draft) => {
    setDraft((d) => fn(d));
    setDirty(true);
    setSaved(false);
  };
  const updateStep = (i: number, patch: Partial<DraftStep>) =>
    update((d) => ({ ...d, steps: d.steps.map((s, j) => (j === i ? { ...s, ...patch } : s)) }));
  // Expanding/collapsing a step is view state: it does not make the test dirty.
  const toggleStep = (i: number) =>
    setDraft((d) => ({ ...d, steps: d.steps.map((s, j) => (j === i ? { ...s, open: !s.open } : s)) }));
  const move = (from: number, to: number) =>
    update((d) => {
      if (to < 0 || to >= d.steps.length) return d;
      const steps = [...d.steps];
      const [x] = steps.splice(from, 1);
      steps.splice(to, 0, x);
      return { ...d, steps };
    });

  const save = async () => {
    setSaving(true);
    setSaveErr(null);
    const body = {
      name: draft.name,
      tags: draft.tags
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
      steps: draft.steps.map((s) => {
        const o: StepInput = { goal: s.goal, expected_results: s.expected_results.filter((x) => x.trim() !== '') };
        if (s.id) o.id = s.id;
        return o;
      }),
    };
    try {
      let t: Test;
      if (test) {
        t = await testsApi.update(project.id, test.id, { ...body, version: draft.version });
      } else {
        t = await testsApi.create(project.id, body);
      }
      setTest(t);
      const opened = new Set(draft.steps.filter((s) => s.open).map((_, i) => i));
      const nd = toDraft(t);
      nd.steps.forEach((s, i) => (s.open = opened.has(i)));
      setDraft(nd);
      setDirty(false);
      setSaved(true);
      if (!test) navigate(`${base}/${t.id}`);
    } catch (e) {
      setSaveErr(e);
    } finally {
      setSaving(false);
    }
  };

  const remove = async () => {
    if (!test || !confirm(`Delete test "${test.name}"?`)) return;
    try {
      await testsApi.remove(project.id, test.id);
      navigate(base);
    } catch (e) {
      setSaveErr(e);
    }
  };

  const saveLinks = async (stepId: string | null, caseIds: number[]) => {
    if (!test) return;
    setLinksErr(null);
    try {
      const r = await linksApi.set(project.id, test.id, caseIds, stepId ?? undefined);
      if (stepId) setStepLinks((m) => ({ ...m, [stepId]: r.items }));
      else setLinks(r.items);
      setPicker(null);
      loadLinks(test);
    } catch (e) {
      setLinksErr(e);
      setPicker(null);
    }
  };

  /** Removes one link (test level when stepId is null); works for red (missing) links too. */
  const unlink = (stepId: string | null, caseId: number) => {
    const current = stepId ? stepLinks[stepId] || [] : links || [];
    saveLinks(
      stepId,
      current.map((l) => l.case_id).filter((id) => id !== caseId),
    );
  };

  const acknowledge = async (caseId: number) => {
    if (!test) return;
    try {
      await linksApi.acknowledge(project.id, test.id, [caseId]);
      loadLinks(test);
    } catch (e) {
      setLinksErr(e);
    }
  };

  if (loading) return <Loading what="test" />;
  if (loadErr) return <ErrorBanner error={loadErr} />;

  const conflict = saveErr instanceof ApiError && saveErr.status === 409;
  const field = saveErr instanceof ApiError ? saveErr.field : undefined;
  const allLinked = new Set<number>([...(links || []).map((l) => l.case_id), ...Object.values(stepLinks).flat().map((l) => l.case_id)]);
  const linkReason = !editable ? 'You need the project:edit-tests permission to link cases' : '';

  return (
    <div className="editor" data-testid="test-editor">
      <div className="crumbs">
        <a href={href(base)}>Tests</a> / <span>{test ? test.name : 'New test'}</span>
      </div>
      <div className="page-head">
        <h1>{test ? 'Edit test' : 'New test'}</h1>
        <div className="page-actions">
          {tr && test && links !== null && (
            <GuardedButton
              className="btn btn-tr"
              allowed={editable}
              reason={linkReason}
              onClick={() => setPicker({ stepId: null })}
              data-testid="testrail-button"
              title="Link TestRail cases to this test"
            >
              <span className="tr-logo">TR</span> TestRail <span className="count">{allLinked.size}</span>
            </GuardedButton>
          )}
          {test && (
            <GuardedButton className="btn btn-danger-ghost" allowed={editable} reason="You need the project:edit-tests permission" onClick={remove}>
              Delete
            </GuardedButton>
          )}
          <GuardedButton
            className="btn btn-primary"
            allowed={editable}
            reason="You need the project:edit-tests permission to edit tests"
            onClick={save}
            disabled={saving || (!dirty && !!test)}
            data-testid="save-test"
          >
            {saving && <Spinner small />} {test ? 'Save' : 'Create'}
          </GuardedButton>
        </div>
      </div>
      {!editable && <Notice>You can view this test but not change it (requires project:edit-tests).</Notice>}
      {conflict ? (
        <div className="alert alert-warn" role="alert" data-testid="conflict">
          <span className="alert-text">
            <strong>Someone else saved this test meanwhile.</strong> {(saveErr as Error).message}
          </span>
          <button className="btn btn-sm" onClick={load}>
            Reload latest (discard my changes)
          </button>
        </div>
      ) : (
        <ErrorBanner error={saveErr} onClose={() => setSaveErr(null)} />
      )}
      {saved && !dirty && <Notice tone="success">Saved (version {draft.version}).</Notice>}
      <ErrorBanner error={linksErr} onClose={() => setLinksErr(null)} />

      <div className="panel">
        <label className={cls('field', field === 'name' && 'field-error')}>
          <span className="field-label">Name</span>
          <input
            value={draft.name}
            onChange={(e) => update((d) => ({ ...d, name: e.target.value }))}
            disabled={!editable}
            data-testid="test-name"
            placeholder="e.g. Checkout with a saved card"
          />
        </label>
        <label className={cls('field', field?.startsWith('tags') && 'field-error')}>
          <span className="field-label">Tags</span>
          <input
            value={draft.tags}
            onChange={(e) => update((d) => ({ ...d, tags: e.target.value }))}
            disabled={!editable}
            data-testid="test-tags"
            placeholder="comma-separated, e.g. smoke, checkout"
          />
        </label>
        {tr && links && links.length > 0 && (
          <div className="field">
            <span className="field-label">Linked TestRail cases (test level)</span>
            <LinkLabels
              links={links}
              onAcknowledge={editable ? acknowledge : undefined}
              onUnlink={editable ? (id) => unlink(null, id) : undefined}
              statusNames={statusNames}
            />
          </div>
        )}
      </div>

      <div className="steps-head">
        <h2>Steps</h2>
        <span className="muted">{draft.steps.length} step(s) · drag or use ↑ ↓ to re-order</span>
      </div>
      <ol className="steps" data-testid="steps">
        {draft.steps.map((s, i) => {
          const sl = (s.id && stepLinks[s.id]) || [];
          const fErr = field?.startsWith(`steps[${i}]`) || field?.startsWith(`steps.${i}`);
          return (
            <li
              key={s.key}
              className={cls('step', s.open && 'open', fErr && 'step-error')}
              data-testid="step"
              draggable={editable}
              onDragStart={() => (dragFrom.current = i)}
              onDragOver={(e) => e.preventDefault()}
              onDrop={() => {
                if (dragFrom.current !== null && dragFrom.current !== i) move(dragFrom.current, i);
                dragFrom.current = null;
              }}
            >
              <div className="step-head">
                <button
                  className="step-toggle"
                  onClick={() => toggleStep(i)}
                  aria-expanded={s.open}
                  aria-label={s.open ? 'Collapse step' : 'Expand step'}
                >
                  {s.open ? '▾' : '▸'}
                </button>
                <span className="step-num">{i + 1}</span>
                <span className="step-goal-preview" onClick={() => toggleStep(i)}>
                  {s.goal || <em className="muted">No goal yet</em>}
                </span>
                {tr && test && links !== null ? (
                  <GuardedButton
                    className="btn btn-sm btn-tr step-tr-head"
                    allowed={editable && !!s.id}
                    reason={!s.id ? 'Save the test first to link cases to this new step' : linkReason}
                    onClick={() => s.id && setPicker({ stepId: s.id })}
                    data-testid="step-testrail-head"
                    title={`TestRail cases linked to step ${i + 1}`}
                  >
                    <span className="tr-logo">TR</span> <span className="count">{sl.length}</span>
                  </GuardedButton>
                ) : (
                  sl.length > 0 && <span className="step-link-count" title="Linked TestRail cases">{sl.length} TR</span>
                )}
                {editable && (
                  <span className="step-tools">
                    <button className="icon-btn" onClick={() => move(i, i - 1)} disabled={i === 0} aria-label="Move step up" data-testid="step-up">
                      ↑
                    </button>
                    <button className="icon-btn" onClick={() => move(i, i + 1)} disabled={i === draft.steps.length - 1} aria-label="Move step down" data-testid="step-down">
                      ↓
                    </button>
                    <button
                      className="icon-btn danger"
                      onClick={() => update((d) => ({ ...d, steps: d.steps.filter((_, j) => j !== i) }))}
                      aria-label="Remove step"
                      data-testid="step-remove"
                    >
                      ✕
                    </button>
                  </span>
                )}
              </div>
              {s.open && (
                <div className="step-body">
                  <label className="field">
                    <span className="field-label">Goal</span>
                    <textarea
                      rows={2}
                      value={s.goal}
                      onChange={(e) => updateStep(i, { goal: e.target.value })}
                      disabled={!editable}
                      data-testid="step-goal"
                      placeholder="What the agent should do"
                    />
                  </label>
                  <div className="field">
                    <span className="field-label">Expected results</span>
                    {s.expected_results.map((er, k) => (
                      <div className="er-row" key={k}>
                        <input
                          value={er}
                          onChange={(e) =>
                            updateStep(i, { expected_results: s.expected_results.map((x, j) => (j === k ? e.target.value : x)) })
                          }
                          disabled={!editable}
                          data-testid="step-expected"
                          placeholder="What should be observed"
                        />
                        {editable && (
                          <button
                            className="icon-btn"
                            aria-label="Remove expected result"
                            onClick={() => updateStep(i, { expected_results: s.expected_results.filter((_, j) => j !== k) })}
                          >
                            ✕
                          </button>
                        )}
                      </div>
                    ))}
                    {editable && (
                      <button className="btn btn-sm btn-ghost" onClick={() => updateStep(i, { expected_results: [...s.expected_results, ''] })}>
                        + Expected result
                      </button>
                    )}
                  </div>
                  {tr && test && links !== null && (
                    <div className="step-tr">
                      <GuardedButton
                        className="btn btn-sm btn-tr"
                        allowed={editable && !!s.id}
                        reason={!s.id ? 'Save the test first to link cases to this new step' : linkReason}
                        onClick={() => s.id && setPicker({ stepId: s.id })}
                        data-testid="step-testrail-button"
                      >
                        <span className="tr-logo">TR</span> TestRail <span className="count">{sl.length}</span>
                      </GuardedButton>
                      <LinkLabels
                        links={sl}
                        onAcknowledge={editable ? acknowledge : undefined}
                        onUnlink={editable && s.id ? (id) => s.id && unlink(s.id, id) : undefined}
                        statusNames={statusNames}
                      />
                    </div>
                  )}
                </div>
              )}
            </li>
          );
        })}
      </ol>
      {editable && (
        <button
          className="btn btn-ghost"
          data-testid="add-step"
          onClick={() => update((d) => ({ ...d, steps: [...d.steps, { key: newKey(), goal: '', expected_results: [''], open: true }] }))}
        >
          + Add step
        </button>
      )}
      {picker && test && (
        <CasePicker
          projectId={project.id}
          title={picker.stepId ? `Link TestRail cases to step ${draft.steps.findIndex((s) => s.id === picker.stepId) + 1}` : `Link TestRail cases to “${test.name}”`}
          initial={(picker.stepId ? stepLinks[picker.stepId] || [] : links || []).map((l) => l.case_id)}
          onCancel={() => setPicker(null)}
          onConfirm={(ids) => saveLinks(picker.stepId, ids)}
        />
      )}
    </div>
  );
}
