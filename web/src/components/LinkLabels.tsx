// Linked TestRail cases as coloured labels with a hover card.
import { useState } from 'react';
import type { CaseLink } from '../api/types';
import { fmtTime } from '../util';

const STATE_WORD: Record<CaseLink['state'], string> = { synced: 'synced', outdated: 'outdated', missing: 'missing' };

const STATE_TEXT: Record<CaseLink['state'], string> = {
  synced: 'Synced',
  outdated: 'Outdated — the case changed in TestRail after it was linked',
  missing: 'Missing — exports skip this case',
};

/** Reason codes of GET …/testrail-links (src/integration/link_service.cc). */
const REASON_TEXT: Record<string, string> = {
  updated_in_testrail: 'The case was changed in TestRail after it was linked or last acknowledged.',
  deleted_in_testrail: 'The case was deleted in TestRail.',
  suite_not_selected: 'Its suite is no longer selected in Configs → TestRail.',
  not_in_catalog: 'The case is not in the synced TestRail catalog.',
};

const suiteName = (l: CaseLink) => l.suite ?? '';
const pathText = (l: CaseLink) => l.section_path ?? '';

/** Linked cases as coloured labels (green synced / orange outdated / red missing) with a hover card. */
export function LinkLabels({
  links,
  onAcknowledge,
  onUnlink,
  statusNames,
}: {
  links: CaseLink[];
  onAcknowledge?: (caseId: number) => void;
  /** Removes the link (every state, a red one too); the label gets an Unlink button. */
  onUnlink?: (caseId: number) => void;
  /** TestRail status names by id, for "Last exported: Passed" instead of a number. */
  statusNames?: Record<number, string>;
}) {
  const [hover, setHover] = useState<number | null>(null);
  if (!links.length) return null;
  return (
    <div className="link-labels" data-testid="link-labels">
      {links.map((l) => (
        <span key={l.case_id} className="link-chip">
        <span
          className={`link-label link-${l.state}`}
          data-testid="link-label"
          data-state={l.state}
          data-case-id={l.case_id}
          data-reason={l.reason || undefined}
          aria-label={`C${l.case_id} ${l.title || ''} (${STATE_WORD[l.state]})`}
          tabIndex={0}
          onMouseEnter={() => setHover(l.case_id)}
          onMouseLeave={() => setHover(null)}
          onFocus={() => setHover(l.case_id)}
          onBlur={(e) => {
            // Focus moving to the card's own button (Acknowledge) keeps the card open.
            if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setHover(null);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setHover(null);
          }}
        >
          C{l.case_id}
          {hover === l.case_id && (
            <span className="hovercard" role="tooltip" data-testid="link-hovercard">
              <span className="hc-title">
                C{l.case_id} · {l.title || 'untitled'}
              </span>
              <span className="hc-path">
                {suiteName(l)}
                {pathText(l) ? ` › ${pathText(l)}` : ''}
              </span>
              <span className={`hc-state hc-${l.state}`}>{STATE_TEXT[l.state]}</span>
              {l.reason && (
                <span className="hc-row hc-reason" data-testid="link-reason" data-reason={l.reason}>
                  {REASON_TEXT[l.reason] || l.reason}
                </span>
              )}
              <span className="hc-row">Modified in TestRail: {fmtTime(l.updated_on ?? null)}</span>
              <span className="hc-row">Linked: {fmtTime(l.linked_at)}</span>
              {l.acknowledged_at && <span className="hc-row">Acknowledged: {fmtTime(l.acknowledged_at)}</span>}
              <span className="hc-row">
                Last exported:{' '}
                {l.last_export
                  ? `${statusNames?.[l.last_export.status_id] ?? `TestRail status ${l.last_export.status_id}`} on ${fmtTime(l.last_export.exported_at)}`
                  : 'never'}
              </span>
              {l.state === 'outdated' && onAcknowledge && (
                <button
                  className="btn btn-sm"
                  data-testid="acknowledge"
                  onMouseDown={(e) => e.preventDefault()}
                  onClick={() => onAcknowledge(l.case_id)}
                >
                  Acknowledge
                </button>
              )}
            </span>
          )}
        </span>
        {onUnlink && (
          <button
            type="button"
            className="link-unlink"
            data-testid="unlink"
            data-case-id={l.case_id}
            aria-label={`Unlink C${l.case_id}`}
            title={`Unlink C${l.case_id}${l.title ? ` (${l.title})` : ''}`}
            onClick={() => onUnlink(l.case_id)}
          >
            ×
          </button>
        )}
        </span>
      ))}
    </div>
  );
}
