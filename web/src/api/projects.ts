// Typed client: projects, features and members.
import { http, type Page } from './client';
import type { Member, Project, Role } from './types';

export const projectsApi = {
  list: () => http.get<Page<Project>>('/projects?limit=200'),
  get: (p: number) => http.get<Project>(`/projects/${p}`),
  create: (name: string) => http.post<Project>('/projects', { name }),
  setFeatures: (p: number, features: { testrail?: boolean }) => http.put<Project>(`/projects/${p}/features`, features),
  members: (p: number) => http.get<Page<Member>>(`/projects/${p}/members`),
  setMember: (p: number, userId: number, role: Role) => http.put<Member>(`/projects/${p}/members/${userId}`, { role }),
  removeMember: (p: number, userId: number) => http.del(`/projects/${p}/members/${userId}`),
};
