import { useState } from 'react';
import { ApiError } from '../api/client';
import { authApi } from '../api/auth';
import type { User } from '../api/types';
import { ErrorBanner, Spinner } from '../components/ui';
import { cls } from '../util';

export function LoginPage({ onLogin }: { onLogin: (u: User, csrf: string) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const field = error instanceof ApiError ? error.field : undefined;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await authApi.login(email, password);
      onLogin(r.user, r.csrf_token);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-wrap">
      <form className="login-card" onSubmit={submit} aria-label="Sign in">
        <div className="login-brand">
          <span className="brand-mark">N</span>
          <span>Nexus</span>
        </div>
        <h1>Sign in</h1>
        <p className="muted">Test automation with TestRail integration</p>
        <ErrorBanner error={error} />
        <label className={cls('field', field === 'email' && 'field-error')}>
          <span className="field-label">Email</span>
          <input
            type="email"
            name="email"
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
            autoFocus
          />
        </label>
        <label className={cls('field', field === 'password' && 'field-error')}>
          <span className="field-label">Password</span>
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        <button className="btn btn-primary btn-block" type="submit" disabled={busy}>
          {busy && <Spinner small />} Sign in
        </button>
      </form>
    </div>
  );
}
