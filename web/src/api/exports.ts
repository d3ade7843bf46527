// Typed client: TestRail exports and the sync status of a run.
import { http, type Page } from './client';
import type { ExportRequest, ExportResult, RunSync } from './types';

const base = (p: number) => `/projects/${p}/testrail/exports`;

export const exportsApi = {
  start: (p: number, body: ExportRequest) => http.post<ExportResult>(base(p), body),
  list: (p: number) => http.get<Page<ExportResult>>(`${base(p)}?limit=200`),
  get: (p: number, id: number) => http.get<ExportResult>(`${base(p)}/${id}`),
  runSync: (p: number, r: number) => http.get<RunSync>(`/projects/${p}/runs/${r}/testrail`),
  // One request for a page of runs (at most 100 ids).
  runSyncMany: (p: number, runs: number[]) =>
    http.get<{ items: RunSync[] }>(`/projects/${p}/testrail/run-sync?run_ids=${runs.join(',')}`),
};
