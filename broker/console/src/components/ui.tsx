// Small shared pieces: loading and error states, status badges, the "<5 residents" cell.
import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api';
import { isKey, useI18n } from '../i18n';

export function Loading() {
  const { t } = useI18n();
  return (
    <p class="muted" aria-busy="true">
      {t('common.loading')}
    </p>
  );
}

/** An API error in plain words: the code's sentence, then the server's detail and field issues. */
export function ErrorBox({ error }: { error: ApiError }) {
  const { t } = useI18n();
  const key = `error.${error.body.error}`;
  return (
    <div class="error" role="alert" data-error={error.body.error}>
      <strong>{isKey(key) ? t(key) : t('error.internal')}</strong>
      {error.body.message && <span> {error.body.message}</span>}
      {error.body.issues && (
        <ul>
          {error.body.issues.map((i) => (
            <li key={i.path}>
              <code>{i.path}</code>: {i.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function NotFound() {
  const { t } = useI18n();
  return (
    <section class="card" data-testid="not-found">
      <h2>{t('common.notFound')}</h2>
      <p class="muted">{t('common.notFoundHint')}</p>
    </section>
  );
}

export function Badge({ kind, children }: { kind: string; children: ComponentChildren }) {
  return <span class={`badge badge-${kind}`}>{children}</span>;
}

/** A report number, or "<5 residents" when the cell is suppressed (never a zero). */
export function Cell({ value, suppressed, min }: { value: number | null; suppressed: boolean; min: number }) {
  const { t, lang } = useI18n();
  if (suppressed || value === null) return <span class="suppressed">{t('report.suppressed', { n: min })}</span>;
  return <>{new Intl.NumberFormat(lang).format(value)}</>;
}

export function Field({ label, children, hint }: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is the nested child, which labels it
    <label class="field">
      <span class="field-label">{label}</span>
      {children}
      {hint && <span class="field-hint">{hint}</span>}
    </label>
  );
}
