// Sign in with email and password; the language can be chosen before signing in.
import { useState } from 'preact/hooks';
import { ApiError, api, token } from '../api';
import { LangSwitch } from '../components/lang-switch';
import { ErrorBox, Field } from '../components/ui';
import { useI18n } from '../i18n';
import { currentPath, navigate } from '../router';
import type { Account, Me } from '../types';

export function Login({ onSignedIn }: { onSignedIn(me: Me): void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await api<{ token: string; account: Account }>('POST', '/session', { email, password });
      token.set(s.token);
      const me = await api<Me>('GET', '/me');
      // Keep a deep link (e.g. a report URL) that sent the visitor here.
      if (currentPath() === '/login') navigate('/', true);
      onSignedIn(me);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, { error: 'network' }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="page login">
      <div class="login-top">
        <span class="brand">doorcast</span>
        <LangSwitch />
      </div>
      <form class="card" onSubmit={(e) => void submit(e)} data-testid="login">
        <h1>{t('login.title')}</h1>
        <p class="muted">{t('login.intro')}</p>
        <Field label={t('login.email')}>
          <input type="email" name="email" autocomplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <Field label={t('login.password')}>
          <input type="password" name="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        {error && (error.status === 401 ? <p class="error" role="alert">{t('login.bad')}</p> : <ErrorBox error={error} />)}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('common.working') : t('login.submit')}
        </button>
      </form>
    </main>
  );
}
