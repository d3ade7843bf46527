// Typed client: the local TestRail case catalog (sync, sections, case search) and the links of
// tests and steps to cases.
import { http, query, type Page } from './client';
import type { Catalog, CaseLink, Section, SyncJob, TrCase } from './types';

const tr = (p: number) => `/projects/${p}/testrail`;
const links = (p: number, t: number, stepId?: string) =>
  `/projects/${p}/tests/${t}${stepId ? `/steps/${encodeURIComponent(stepId)}` : ''}/testrail-links`;

export interface CaseSearch {
  q?: string;
  suite_id?: number;
  section_id?: number;
  limit?: number;
  cursor?: string;
}

export const catalogApi = {
  status: (p: number) => http.get<Catalog>(`${tr(p)}/catalog`),
  sync: (p: number) => http.post<SyncJob>(`${tr(p)}/catalog/sync`),
  sections: (p: number, suiteId?: number) => http.get<Page<Section>>(`${tr(p)}/sections${query({ suite_id: suiteId })}`),
  cases: (p: number, s: CaseSearch) => http.get<Page<TrCase>>(`${tr(p)}/cases${query({ ...s })}`),
};

export const linksApi = {
  get: (p: number, t: number, stepId?: string) => http.get<{ items: CaseLink[] }>(links(p, t, stepId)),
  set: (p: number, t: number, caseIds: number[], stepId?: string) => http.put<{ items: CaseLink[] }>(links(p, t, stepId), { case_ids: caseIds }),
  acknowledge: (p: number, t: number, caseIds: number[]) =>
    http.post<{ items: CaseLink[] }>(`${links(p, t)}/acknowledge`, { case_ids: caseIds }),
};
