import { ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import { cls } from '../util';

export function Spinner({ small }: { small?: boolean }) {
  return <span className={cls('spinner', small && 'spinner-sm')} role="status" aria-label="Loading" />;
}

export function Loading({ what }: { what?: string }) {
  return (
    <div className="loading">
      <Spinner /> <span>Loading{what ? ` ${what}` : ''}…</span>
    </div>
  );
}

/** Shows the server's error message exactly as it was sent. */
export function ErrorBanner({ error, onClose }: { error: unknown; onClose?: () => void }) {
  if (!error) return null;
  const msg = error instanceof Error ? error.message : String(error);
  const e = error instanceof ApiError ? error : null;
  return (
    <div className="alert alert-error" role="alert" data-testid="error">
      <span className="alert-text">{msg}</span>
      {e && (e.field || e.code) && (
        // Codes stay available for support, but out of the sentence (issue 12: words, not codes).
        <details className="alert-field">
          <summary>Details</summary>
          {e.code && <div>code: {e.code}</div>}
          {e.field && <div>field: {e.field}</div>}
        </details>
      )}
      {onClose && (
        <button className="alert-close" onClick={onClose} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  );
}

export function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'warn' | 'success' }) {
  return <div className={cls('alert', `alert-${tone}`)}>{children}</div>;
}

export function Badge({
  tone,
  children,
  title,
  ...data
}: {
  tone: string;
  children: ReactNode;
  title?: string;
  'data-testid'?: string;
  'data-state'?: string;
}) {
  return (
    <span className={cls('badge', `badge-${tone}`)} title={title} {...data}>
      {children}
    </span>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <div className="empty-title">{title}</div>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

const FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';

export function Dialog({
  title,
  onClose,
  children,
  footer,
  wide,
  testId,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
  testId?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>('input, select, textarea, button:not(.dialog-x)');
    first?.focus();
    return () => prev?.focus?.();
  }, []);
  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className={cls('dialog', wide && 'dialog-wide')}
        role="dialog"
        aria-modal="true"
        aria-label={title}
        data-testid={testId}
        ref={ref}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            onClose();
            return;
          }
          // Focus trap: Tab / Shift+Tab cycle through the dialog's own controls.
          if (e.key === 'Tab' && ref.current) {
            const items = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hasAttribute('disabled') && el.offsetParent !== null);
            if (!items.length) return;
            const first = items[0];
            const last = items[items.length - 1];
            if (e.shiftKey && document.activeElement === first) {
              e.preventDefault();
              last.focus();
            } else if (!e.shiftKey && document.activeElement === last) {
              e.preventDefault();
              first.focus();
            }
          }
        }}
      >
        <div className="dialog-head">
          <h2>{title}</h2>
          <button className="dialog-x" onClick={onClose} aria-label="Close">
            ×
          </button>
        </div>
        <div className="dialog-body">{children}</div>
        {footer && <div className="dialog-foot">{footer}</div>}
      </div>
    </div>
  );
}

/** Loads data with cancellation; `reload` re-runs. */
export function useAsync<T>(fn: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    fn().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const setData = useCallback((d: T) => setState({ data: d, loading: false }), []);
  return { ...state, reload, setData };
}

/** A fixed-row-height virtualised list: renders only the rows in view (+ overscan). */
export function VirtualList<T>({
  items,
  rowHeight,
  height,
  render,
  onEndReached,
  testId,
  scrollToIndex,
}: {
  items: T[];
  rowHeight: number;
  height: number;
  render: (item: T, index: number) => ReactNode;
  onEndReached?: () => void;
  testId?: string;
  scrollToIndex?: number;
}) {
  const [top, setTop] = useState(0);
  const ref = useRef<HTMLDivElement>(null);
  const overscan = 8;
  const start = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const end = Math.min(items.length, Math.ceil((top + height) / rowHeight) + overscan);
  useEffect(() => {
    if (scrollToIndex === undefined || scrollToIndex < 0 || !ref.current) return;
    const el = ref.current;
    const y = scrollToIndex * rowHeight;
    if (y < el.scrollTop) el.scrollTop = y;
    else if (y + rowHeight > el.scrollTop + height) el.scrollTop = y + rowHeight - height;
  }, [scrollToIndex, rowHeight, height]);
  return (
    <div
      className="vlist"
      ref={ref}
      style={{ height, overflowY: 'auto', position: 'relative' }}
      data-testid={testId}
      onScroll={(e) => {
        const t = (e.target as HTMLDivElement).scrollTop;
        setTop(t);
        if (onEndReached && t + height >= items.length * rowHeight - rowHeight * 5) onEndReached();
      }}
    >
      <div style={{ height: items.length * rowHeight, position: 'relative' }}>
        {items.slice(start, end).map((it, i) => (
          <div
            key={start + i}
            style={{ position: 'absolute', top: (start + i) * rowHeight, left: 0, right: 0, height: rowHeight }}
          >
            {render(it, start + i)}
          </div>
        ))}
      </div>
    </div>
  );
}

export function Field({
  label,
  children,
  hint,
  error,
}: {
  label: string;
  children: ReactNode;
  hint?: ReactNode;
  error?: boolean;
}) {
  return (
    <label className={cls('field', error && 'field-error')}>
      <span className="field-label">{label}</span>
      {children}
      {hint && <span className="field-hint">{hint}</span>}
    </label>
  );
}

/** A button that is disabled with a visible reason (tooltip + aria) when the user may not use it. */
export function GuardedButton({
  allowed,
  reason,
  children,
  className,
  ...rest
}: React.ButtonHTMLAttributes<HTMLButtonElement> & { allowed: boolean; reason: string }) {
  return (
    <button
      {...rest}
      className={className}
      disabled={!allowed || rest.disabled}
      title={!allowed ? reason : rest.title}
      aria-disabled={!allowed || rest.disabled}
      data-reason={!allowed ? reason : undefined}
    >
      {children}
    </button>
  );
}
