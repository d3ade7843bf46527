// React contexts shared by the shell (App.tsx) and the pages: the signed-in user and the
// current project. In their own module so pages never import App.
import { createContext, useContext } from 'react';
import type { Project, User } from './api/types';

export interface Session {
  user: User;
  logout: () => void;
}
export const SessionCtx = createContext<Session | null>(null);
export const useSession = () => useContext(SessionCtx)!;

export interface ProjectContext {
  project: Project;
  reload: () => void;
}
export const ProjectCtx = createContext<ProjectContext | null>(null);
export const useProject = () => useContext(ProjectCtx)!;
