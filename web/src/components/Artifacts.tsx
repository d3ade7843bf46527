// The artifacts of a run (issue 17): image thumbnails that open full size, a video player, a
// log viewer, per step where they belong.
import { useEffect, useState } from 'react';
import { artifactsApi } from '../api/artifacts';
import type { Artifact } from '../api/types';

function fmtBytes(n: number) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function LogViewer({ src }: { src: string }) {
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    // The first 64 KiB is enough to read on screen; the link downloads the rest.
    fetch(src, { headers: { Range: 'bytes=0-65535' }, credentials: 'same-origin' })
      .then((r) => r.text())
      .then(setText, () => setText('(the log could not be loaded)'));
  }, [src]);
  return (
    <pre className="log-viewer" data-testid="artifact-log" tabIndex={0}>
      {text ?? 'Loading…'}
    </pre>
  );
}

function ArtifactView({ a, src }: { a: Artifact; src: string }) {
  if (a.media_type.startsWith('image/'))
    return (
      <a href={src} target="_blank" rel="noreferrer" title={`Open ${a.name} full size`}>
        <img className="artifact-thumb" src={src} alt={a.name} loading="lazy" data-testid="artifact-image" />
      </a>
    );
  if (a.media_type.startsWith('video/'))
    return <video className="artifact-video" src={src} controls preload="metadata" data-testid="artifact-video" aria-label={a.name} />;
  if (a.media_type === 'text/plain') return <LogViewer src={src} />;
  return null;
}

export function RunArtifacts({
  projectId,
  runId,
  stepName,
}: {
  projectId: number;
  runId: number;
  /** The step's position and goal, for artifacts that belong to a step. */
  stepName: (stepId: string) => string | undefined;
}) {
  const [items, setItems] = useState<Artifact[] | null>(null);
  useEffect(() => {
    artifactsApi.list(projectId, runId).then(
      (r) => setItems(r.items),
      () => setItems([]),
    );
  }, [projectId, runId]);
  if (!items || items.length === 0) return null;
  return (
    <>
      <h2>Artifacts</h2>
      <ul className="artifacts" data-testid="run-artifacts">
        {items.map((a) => {
          const src = artifactsApi.url(projectId, runId, a.id);
          return (
            <li key={a.id} className="artifact" data-testid="artifact" data-name={a.name}>
              <ArtifactView a={a} src={src} />
              <div>
                <a href={src} download={a.name} className="strong">
                  {a.name}
                </a>{' '}
                <span className="muted">
                  {fmtBytes(a.size)}
                  {a.step_id ? ` · ${stepName(a.step_id) ?? `step ${a.step_id}`}` : ' · the whole run'}
                </span>
              </div>
            </li>
          );
        })}
      </ul>
    </>
  );
}
