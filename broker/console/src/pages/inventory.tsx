// Operator: how full each site × daypart is over a date range, and what it earned.
import { useState } from 'preact/hooks';
import { qs } from '../api';
import { ErrorBox, Field, Loading } from '../components/ui';
import { localDay, money, pct } from '../format';
import { useI18n } from '../i18n';
import { useSiteNames } from '../site-names';
import { DAYPARTS, type FillCell, type Revenue } from '../types';
import { useApi } from '../use-api';

export function Inventory() {
  const { t, lang } = useI18n();
  const [from, setFrom] = useState(localDay(0));
  const [to, setTo] = useState(localDay(6));
  const range = qs({ from, to });
  const fill = useApi<{ items: FillCell[] }>(`/inventory/fill${range}`);
  const revenue = useApi<Revenue>(`/revenue${range}`);
  const cells = fill.data?.items ?? [];
  const siteName = useSiteNames();
  const sites = [...new Set(cells.map((c) => c.site))].sort();
  const cell = (site: string, d: string) => cells.find((c) => c.site === site && c.daypart === d);
  const rev = revenue.data;
  const bySite = new Map<string, number>();
  for (const i of rev?.items ?? []) bySite.set(i.site, (bySite.get(i.site) ?? 0) + i.cents);

  return (
    <>
      <h1>{t('inventory.title')}</h1>
      <form class="card row" onSubmit={(e) => e.preventDefault()}>
        <Field label={t('common.from')}>
          <input type="date" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
        </Field>
        <Field label={t('common.to')}>
          <input type="date" value={to} min={from} onChange={(e) => setTo(e.currentTarget.value)} />
        </Field>
      </form>
      <section class="card">
        <h2>{t('inventory.fill')}</h2>
        {fill.error && <ErrorBox error={fill.error} />}
        {fill.loading && !fill.data && <Loading />}
        {fill.data && sites.length === 0 && <p class="muted">{t('inventory.none')}</p>}
        {sites.length > 0 && (
          <div class="fill-grid" style={{ gridTemplateColumns: `minmax(5rem, 1.4fr) repeat(${DAYPARTS.length}, minmax(0, 1fr))` }} data-testid="fill">
            <span />
            {DAYPARTS.map((d) => (
              <span key={d} class="fill-head">
                {t(`daypart.${d}`)}
              </span>
            ))}
            {sites.map((s) => (
              <>
                <span key={s} class="fill-site">
                  {siteName(s)}
                </span>
                {DAYPARTS.map((d) => {
                  const c = cell(s, d);
                  const f = c?.fill ?? 0;
                  return (
                    <span key={`${s}/${d}`} class="fill-cell" style={{ background: `rgba(36, 87, 166, ${0.08 + f * 0.85})`, color: f > 0.55 ? '#fff' : '#111' }} title={c ? `${c.usedUnits}/${c.capacityUnits}` : ''}>
                      {c ? pct(f, lang) : '—'}
                    </span>
                  );
                })}
              </>
            ))}
          </div>
        )}
      </section>
      <section class="card">
        <h2>{t('inventory.revenue')}</h2>
        {revenue.error && <ErrorBox error={revenue.error} />}
        {rev && (
          <>
            <p class="big" data-testid="revenue-total">
              {money(rev.totalCents, rev.currency, lang)}
            </p>
            <table class="data">
              <tbody>
                {[...bySite].map(([site, cents]) => (
                  <tr key={site}>
                    <th scope="row">{siteName(site)}</th>
                    <td>{money(cents, rev.currency, lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
    </>
  );
}
