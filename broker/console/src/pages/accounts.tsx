// Operator: console accounts; create a merchant (or operator) account, disable or enable one.
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { Badge, ErrorBox, Field, Loading } from '../components/ui';
import { dateTime } from '../format';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import type { Account, Page, Role } from '../types';
import { useApi } from '../use-api';

export function Accounts() {
  const { t, lang } = useI18n();
  const list = useApi<Page<Account>>('/accounts?limit=500');
  const { me } = useSession();
  const [error, setError] = useState<ApiError | null>(null);
  const setDisabled = async (a: Account, disabled: boolean) => {
    setError(null);
    try {
      await api('PATCH', `/accounts/${encodeURIComponent(a.id)}`, { disabled });
      list.reload();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, { error: 'network' }));
    }
  };
  return (
    <>
      <h1>{t('accounts.title')}</h1>
      <CreateAccount onCreated={list.reload} />
      <section class="card">
        {list.error && <ErrorBox error={list.error} />}
        {error && <ErrorBox error={error} />}
        {list.loading && !list.data && <Loading />}
        {list.data && (
          <table class="responsive" data-testid="accounts">
            <thead>
              <tr>
                <th>{t('accounts.name')}</th>
                <th>{t('login.email')}</th>
                <th>{t('accounts.role')}</th>
                <th>{t('common.status')}</th>
                <th>{t('accounts.created')}</th>
                <th>
                  <span class="sr-only">{t('accounts.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((a) => (
                <tr key={a.id} data-account={a.email}>
                  <td data-label={t('accounts.name')}>{a.name}</td>
                  <td data-label={t('login.email')}>{a.email}</td>
                  <td data-label={t('accounts.role')}>{t(a.role === 'operator' ? 'role.operator' : 'role.merchant')}</td>
                  <td data-label={t('common.status')}>
                    <Badge kind={a.disabled ? 'bad' : 'ok'}>{t(a.disabled ? 'accounts.disabled' : 'accounts.enabled')}</Badge>
                  </td>
                  <td data-label={t('accounts.created')}>{dateTime(a.createdAt, lang)}</td>
                  <td data-label={t('accounts.actions')}>
                    {/* The API refuses disabling yourself; offer only what can work. */}
                    {a.id !== me.account.id && (
                      <button type="button" class="secondary" onClick={() => void setDisabled(a, !a.disabled)}>
                        {t(a.disabled ? 'accounts.enable' : 'accounts.disable')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function CreateAccount({ onCreated }: { onCreated(): void }) {
  const { t } = useI18n();
  const [role, setRole] = useState<Role>('merchant');
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const f = new FormData(form);
    const s = (k: string) => String(f.get(k) ?? '').trim();
    const body = {
      email: s('email'),
      name: s('name'),
      role,
      password: String(f.get('password') ?? ''),
      ...(role === 'merchant' ? { merchant: { name: s('shop') || s('name'), lat: Number(s('lat')), lon: Number(s('lon')) } } : {}),
    };
    setError(null);
    setDone(null);
    try {
      await api('POST', '/accounts', body);
      form.reset();
      setDone(body.email);
      onCreated();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, { error: 'network' }));
    }
  };
  return (
    <form class="card" onSubmit={(e) => void submit(e)} data-testid="create-account">
      <h2>{t('accounts.create')}</h2>
      <div class="row">
        <Field label={t('accounts.role')}>
          <select name="role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
            <option value="merchant">{t('role.merchant')}</option>
            <option value="operator">{t('role.operator')}</option>
          </select>
        </Field>
        <Field label={t('accounts.name')}>
          <input name="name" required maxLength={120} />
        </Field>
        <Field label={t('login.email')}>
          <input name="email" type="email" required autocomplete="off" />
        </Field>
        <Field label={t('login.password')} hint={t('accounts.passwordHint')}>
          <input name="password" type="password" required minLength={10} autocomplete="new-password" />
        </Field>
      </div>
      {role === 'merchant' && (
        <div class="row">
          <Field label={t('accounts.shop')}>
            <input name="shop" maxLength={120} />
          </Field>
          <Field label={t('find.lat')}>
            <input name="lat" type="number" step="any" min={-90} max={90} required />
          </Field>
          <Field label={t('find.lon')}>
            <input name="lon" type="number" step="any" min={-180} max={180} required />
          </Field>
        </div>
      )}
      {error && <ErrorBox error={error} />}
      {done && (
        <p class="ok" role="status">
          {t('accounts.createdOk', { email: done })}
        </p>
      )}
      <button type="submit" class="primary">
        {t('accounts.createSubmit')}
      </button>
    </form>
  );
}
