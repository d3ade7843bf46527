// Typed client: test plans and their executions.
import { getAll, http } from './client';
import type { Execution, ExecutionDetail, Plan, PlanCreate } from './types';

export const plansApi = {
  list: (p: number) => getAll<Plan>(`/projects/${p}/plans`),
  get: (p: number, id: number) => http.get<Plan>(`/projects/${p}/plans/${id}`),
  create: (p: number, body: PlanCreate) => http.post<Plan>(`/projects/${p}/plans`, body),
};

export const executionsApi = {
  list: (p: number) => getAll<Execution>(`/projects/${p}/executions`),
  get: (p: number, e: number) => http.get<ExecutionDetail>(`/projects/${p}/executions/${e}`),
  launch: (p: number, planId: number) => http.post<Execution>(`/projects/${p}/executions`, { plan_id: planId }),
};
