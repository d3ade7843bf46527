// Typed client: tests of a project.
import { getAll, http } from './client';
import type { Test, TestCreate, TestUpdate } from './types';

const base = (p: number) => `/projects/${p}/tests`;

export const testsApi = {
  list: (p: number) => getAll<Test>(base(p)),
  get: (p: number, t: number) => http.get<Test>(`${base(p)}/${t}`),
  create: (p: number, body: TestCreate) => http.post<Test>(base(p), body),
  update: (p: number, t: number, body: TestUpdate) => http.put<Test>(`${base(p)}/${t}`, body),
  remove: (p: number, t: number) => http.del(`${base(p)}/${t}`),
};
