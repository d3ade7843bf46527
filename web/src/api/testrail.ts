// Typed client: a project's TestRail configuration (connection, project and suites, statuses,
// mapping, options).
import { http, query, type Page } from './client';
import type { Configurations, ConfigurationsRequest, ConnectionRequest, ExportFields, ExportFieldsRequest, Mapping, MappingView, Options, OptionsRequest, RemoteMilestone, RemoteProject, RemoteSuite, RemoteUser, Statuses, TestRailConfig, TestRailSummary } from './types';

const base = (p: number) => `/projects/${p}/testrail`;

export const testrailApi = {
  config: (p: number) => http.get<TestRailConfig>(base(p)),
  // What every reader may see (connected, project, suites, export defaults).
  summary: (p: number) => http.get<TestRailSummary>(`${base(p)}/summary`),
  connect: (p: number, body: ConnectionRequest) => http.put<TestRailConfig>(`${base(p)}/connection`, body),
  disconnect: (p: number) => http.del(`${base(p)}/connection`),
  remoteProjects: (p: number) => http.get<Page<RemoteProject>>(`${base(p)}/remote/projects`),
  selectProject: (p: number, testrailProjectId: number) => http.put<TestRailConfig>(`${base(p)}/project`, { testrail_project_id: testrailProjectId }),
  remoteSuites: (p: number, q = '') => http.get<Page<RemoteSuite>>(`${base(p)}/remote/suites${query({ q })}`),
  selectSuites: (p: number, suiteIds: number[]) => http.put<TestRailConfig>(`${base(p)}/suites`, { suite_ids: suiteIds }),
  statuses: (p: number, refresh = false) => http.get<Statuses>(`${base(p)}/statuses${query({ refresh: refresh ? 1 : undefined })}`),
  mapping: (p: number) => http.get<MappingView>(`${base(p)}/mapping`),
  saveMapping: (p: number, m: Mapping) => http.put<MappingView>(`${base(p)}/mapping`, m),
  resetMapping: (p: number) => http.post<MappingView>(`${base(p)}/mapping/reset`),
  saveOptions: (p: number, o: OptionsRequest) => http.put<Options>(`${base(p)}/options`, o),
  // Issue 14: result field values, assignee of failed results, step results; pickers.
  exportFields: (p: number) => http.get<ExportFields>(`${base(p)}/export-fields`),
  saveExportFields: (p: number, body: ExportFieldsRequest) => http.put<ExportFields>(`${base(p)}/export-fields`, body),
  milestones: (p: number, includeCompleted = false) =>
    http.get<Page<RemoteMilestone>>(`${base(p)}/remote/milestones${query({ include_completed: includeCompleted ? 1 : undefined })}`),
  users: (p: number) => http.get<Page<RemoteUser>>(`${base(p)}/remote/users`),
  // Issue 14: run attributes → TestRail configuration groups (value → config id).
  configurations: (p: number) => http.get<Configurations>(`${base(p)}/configurations`),
  saveConfigurations: (p: number, body: ConfigurationsRequest) => http.put<Configurations>(`${base(p)}/configurations`, body),
};
