// Typed client: runs of a project.
import { getAll, http, query } from './client';
import type { Run, RunCreate, RunPatch, RunResult } from './types';

const base = (p: number) => `/projects/${p}/runs`;

export interface RunFilter {
  test_id?: number;
  execution_id?: number;
  result?: RunResult;
  /** key:value, e.g. platform:PS5 */
  attribute?: string;
}

export const runsApi = {
  list: (p: number, f: RunFilter = {}) => getAll<Run>(base(p) + query({ ...f })),
  get: (p: number, r: number) => http.get<Run>(`${base(p)}/${r}`),
  create: (p: number, body: RunCreate) => http.post<Run>(base(p), body),
  patch: (p: number, r: number, body: RunPatch) => http.patch<Run>(`${base(p)}/${r}`, body),
};
