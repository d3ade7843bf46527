export type Permission =
  | 'org:admin'
  | 'project:admin'
  | 'project:edit-configs'
  | 'project:edit-tests'
  | 'project:read-runs'
  | 'project:operate-runs';

export interface User {
  id: number;
  email: string;
  name: string;
  org_admin: boolean;
  csrf_token?: string;
  project_roles?: { project_id: number; role: string }[];
}

export interface Project {
  id: number;
  name: string;
  features: Record<string, boolean>;
  created_at: string;
  permissions: string[];
}

export interface Step {
  id?: string;
  goal: string;
  expected_results: string[];
}

export interface Test {
  id: number;
  name: string;
  tags: string[];
  version: number;
  steps: Step[];
  testrail_case_count?: number;
  created_at?: string;
  updated_at?: string;
}

export type RunResult = 'Success' | 'Stopped' | 'MaxSteps' | 'Error';
export type BugLabel = 'NoBug' | 'LikelyNoBug' | 'Undecided' | 'LikelyBug' | 'DefinitelyBug';
export const RUN_RESULTS: RunResult[] = ['Success', 'Stopped', 'MaxSteps', 'Error'];
export const BUG_LABELS: BugLabel[] = ['NoBug', 'LikelyNoBug', 'Undecided', 'LikelyBug', 'DefinitelyBug'];

export interface RunStep {
  step_id: string;
  result: RunResult;
  bug_label: BugLabel;
  started_at: string | null;
  finished_at: string | null;
  comment: string;
}

export interface Run {
  id: number;
  test_id: number;
  test_version: number;
  result: RunResult;
  bug_label: BugLabel;
  started_at: string;
  finished_at: string | null;
  finished: boolean;
  build: string;
  summary: string;
  bugs: { title: string; description: string; severity: string; step_id: string | null }[];
  steps: RunStep[];
  execution_id: number | null;
  created_at: string;
}

export interface CaseLink {
  case_id: number;
  title: string;
  suite: string | { id: number; name: string };
  section_path: string | string[];
  state: 'synced' | 'outdated' | 'missing';
  reason?: string | null;
  suite_id?: number | null;
  acknowledged_at?: string | null;
  updated_on?: string | number | null;
  linked_at?: string | null;
  last_export?: { status_id: number; exported_at: string; export_id: number } | null;
}

export interface TrStatus {
  id: number;
  name: string;
  label: string;
  color_bright?: number;
  color_medium?: number;
  color_dark?: number;
  is_system?: boolean;
  is_untested?: boolean;
  is_final?: boolean;
}

export interface Mapping {
  mode: 'basic' | 'advanced';
  basic: Record<string, number | null>;
  advanced: Record<string, Record<string, number | null>>;
}

export interface ExportResult {
  id: number;
  state: string;
  success?: boolean;
  export_type?: string;
  export_trigger?: string;
  export_strategy?: string;
  runs_processed?: number;
  total_test_cases?: number;
  skipped_cases?: { case_id: number; reason: string }[];
  warnings?: { type: string; message: string; run_id?: number }[];
  error?: string | null;
  error_code?: string | null;
  export_duration_ms?: number;
  testrail_run_id?: number | null;
  testrail_plan_id?: number | null;
  testrail_name?: string | null;
  testrail_url?: string | null;
  already_exported?: boolean;
  created_at?: string;
  started_at?: string;
  finished_at?: string;
  /** What was exported: `{run_ids}` for runs, `{execution_id}` for a test plan execution. */
  source?: { run_ids?: number[]; execution_id?: number | null };
  run_ids?: number[];
  run_id?: number;
  execution_id?: number;
  preview?: {
    entries: { suite_id: number; suite_name?: string; cases: { case_id: number; status_id: number | null; comment: string; elapsed?: string | null; title?: string }[] }[];
  };
}
