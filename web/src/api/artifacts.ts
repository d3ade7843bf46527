// Typed client: the artifacts of a run (screenshots, videos, logs; docs/artifacts.md).
import { BASE, http } from './client';
import type { Artifact } from './types';

const base = (p: number, r: number) => `/projects/${p}/runs/${r}/artifacts`;

export const artifactsApi = {
  list: (p: number, r: number) => http.get<{ items: Artifact[] }>(base(p, r)),
  /** Where the browser fetches the bytes (the session cookie authenticates it). */
  url: (p: number, r: number, a: number) => `${BASE}${base(p, r)}/${a}`,
};
