import type { Permission, Project, TrStatus } from './api/types';

export function can(p: Project | null | undefined, perm: Permission): boolean {
  if (!p) return false;
  const perms = p.permissions ?? [];
  if (perms.includes('org:admin') || perms.includes('project:admin')) return true;
  return perms.includes(perm);
}

export function canEditConfigs(p: Project | null | undefined) {
  return can(p, 'project:edit-configs');
}
export function canEditTests(p: Project | null | undefined) {
  return can(p, 'project:edit-tests') || can(p, 'project:edit-configs');
}

export function fmtTime(s: string | number | null | undefined): string {
  if (s === null || s === undefined || s === '') return '—';
  const d = typeof s === 'number' ? new Date(s < 1e12 ? s * 1000 : s) : new Date(s);
  if (isNaN(d.getTime())) return String(s);
  return d.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function fmtDuration(a: string | null | undefined, b: string | null | undefined): string {
  if (!a || !b) return '—';
  const ms = new Date(b).getTime() - new Date(a).getTime();
  if (!isFinite(ms) || ms < 0) return '—';
  return fmtMs(ms);
}

export function fmtMs(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** "LikelyBug" → "Likely Bug". */
export function humanLabel(l: string): string {
  return l.replace(/([a-z])([A-Z])/g, '$1 $2');
}

export function statusColor(s: TrStatus | undefined): string {
  if (!s) return '#9aa4b2';
  return '#' + s.color_bright.toString(16).padStart(6, '0');
}

export function cls(...xs: (string | false | null | undefined)[]): string {
  return xs.filter(Boolean).join(' ');
}

export function resultTone(result: string, label: string): string {
  if (result === 'Error') return 'grey';
  if (label === 'DefinitelyBug' || label === 'LikelyBug') return 'red';
  if (label === 'Undecided') return 'amber';
  if (result === 'Success') return 'green';
  return 'amber';
}
