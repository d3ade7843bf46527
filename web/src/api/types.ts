// The UI's names for the REST API's shapes. Every type is an alias of a schema in
// src/api/openapi.json (generated into ./schema.d.ts by `npm run gen:api`); none is written by
// hand, so a contract change shows up as a type error.
import type { components } from './schema';

type S = components['schemas'];

export type User = S['User'];
export type Me = S['Me'];
export type LoginResponse = S['LoginResponse'];
export type Token = S['Token'];
export type NewToken = S['NewToken'];
export type Project = S['Project'];
export type Permission = NonNullable<Project['permissions']>[number];
export type Member = S['Member'];
export type Role = S['Member']['role'];
export type Step = S['Step'];
export type Test = S['Test'];
export type TestCreate = S['TestCreate'];
export type TestUpdate = S['TestUpdate'];
export type StepInput = TestUpdate['steps'] extends (infer X)[] | undefined ? X : never;
export type RunResult = S['RunResult'];
export type BugLabel = S['BugLabel'];
export type Run = S['Run'];
export type RunStep = S['StepOutcome'];
export type RunCreate = S['RunCreate'];
export type RunPatch = S['RunPatch'];
export type Artifact = S['Artifact'];
export type Plan = S['Plan'];
export type PlanCreate = S['PlanCreate'];
export type Execution = S['Execution'];
export type ExecutionDetail = S['ExecutionDetail'];

export type TestRailConfig = S['TestRailConfig'];
export type TestRailSummary = S['TestRailSummary'];
export type Connection = S['Connection'];
export type ConnectionRequest = S['ConnectionRequest'];
export type RemoteProject = S['RemoteProject'];
export type RemoteSuite = S['RemoteSuite'];
export type TrStatus = S['TestRailStatus'];
export type Statuses = S['Statuses'];
export type Mapping = S['Mapping'];
export type MappingView = S['MappingView'];
export type LabelTable = S['LabelTable'];
export type Options = S['Options'];
export type OptionsRequest = S['OptionsRequest'];
export type ExportFields = S['ExportFields'];
export type ExportField = S['ExportField'];
export type ExportFieldsRequest = S['ExportFieldsRequest'];
export type FieldSetting = S['FieldSetting'];
export type RemoteMilestone = S['RemoteMilestonePage']['items'][number];
export type RemoteUser = S['RemoteUserPage']['items'][number];
export type Configurations = S['Configurations'];
export type ConfigurationsRequest = S['ConfigurationsRequest'];
export type ConfigGroup = S['ConfigGroup'];
export type Catalog = S['Catalog'];
export type SyncJob = S['SyncJob'];
export type Section = S['Section'];
export type TrCase = S['Case'];
export type CaseLink = S['Link'];
export type ExportRequest = S['ExportRequest'];
export type ExportResult = S['Export'];
export type RunSync = S['RunSync'];

export const RUN_RESULTS: RunResult[] = ['Success', 'Stopped', 'MaxSteps', 'Error'];
export const BUG_LABELS: BugLabel[] = ['NoBug', 'LikelyNoBug', 'Undecided', 'LikelyBug', 'DefinitelyBug'];
