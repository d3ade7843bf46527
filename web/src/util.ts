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

/** WCAG relative luminance of a #rrggbb colour. */
function luminance(hex: string): number {
  const n = parseInt(hex.replace('#', ''), 16);
  const ch = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
}

/** Contrast ratio (WCAG 2) of two #rrggbb colours. */
export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

/**
 * Text colour on a status pill: black or white, whichever contrasts more with TestRail's colour;
 * when neither reaches WCAG AA (4.5:1) the pill's background is darkened (`pillStyle`).
 */
export function pillStyle(bg: string): { background: string; color: string } {
  let back = bg;
  for (let i = 0; i < 10; i++) {
    const text = contrast(back, '#000000') >= contrast(back, '#ffffff') ? '#000000' : '#ffffff';
    if (contrast(back, text) >= 4.5) return { background: back, color: text };
    const n = parseInt(back.slice(1), 16);
    const d = (v: number) => Math.round(v * 0.85);
    back = '#' + ((d((n >> 16) & 255) << 16) | (d((n >> 8) & 255) << 8) | d(n & 255)).toString(16).padStart(6, '0');
  }
  return { background: back, color: '#ffffff' };
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
