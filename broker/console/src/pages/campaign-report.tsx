// One campaign and its report, refreshed while the merchant watches. Another merchant's
// campaign answers 404, shown as "not found".
import { useState } from 'preact/hooks';
import { API, ApiError, api, qs } from '../api';
import { Badge, Cell, ErrorBox, Loading, NotFound } from '../components/ui';
import { CURRENCY, money, pct } from '../format';
import { useI18n } from '../i18n';
import { useSiteNames } from '../site-names';
import type { Campaign, Report } from '../types';
import { useApi } from '../use-api';
import { statusKind } from './campaigns';
import { ReportCharts } from './report-charts';

const TABLES = ['byDay', 'byDaypart', 'bySite', 'byDoor', 'frequency', 'funnel'] as const;
const REFRESH_MS = 5000;

export function CampaignReport({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const path = `/campaigns/${encodeURIComponent(id)}`;
  const campaign = useApi<Campaign>(path);
  const report = useApi<Report>(campaign.data ? `${path}/report${qs({ from: campaign.data.dates.from, to: campaign.data.dates.to })}` : null, REFRESH_MS);
  const [cancelError, setCancelError] = useState<ApiError | null>(null);
  const siteName = useSiteNames();

  if (campaign.error?.status === 404 || report.error?.status === 404) return <NotFound />;
  if (campaign.error) return <ErrorBox error={campaign.error} />;
  const c = campaign.data;
  if (!c) return <Loading />;
  const r = report.data;

  const cancel = async () => {
    if (!confirm(t('report.cancelConfirm'))) return;
    try {
      await api('POST', `${path}/cancel`);
      campaign.reload();
    } catch (err) {
      setCancelError(err instanceof ApiError ? err : new ApiError(0, { error: 'network' }));
    }
  };

  return (
    <>
      <h1>
        {c.name} <Badge kind={statusKind(c.status)}>{t(`campaign.${c.status}`)}</Badge>
      </h1>
      <section class="card campaign-facts">
        <p>
          {c.dates.from} – {c.dates.to} · {c.dayparts.map((d) => t(`daypart.${d}`)).join(' · ')} · {t('report.units', { n: c.units })}
        </p>
        <p class="muted">
          {t('campaigns.sites')}: {c.sites.map(siteName).join(', ')} · {money(c.priceCents, CURRENCY, lang)}
        </p>
        {(c.status === 'booked' || c.status === 'active') && (
          <button type="button" class="secondary" onClick={() => void cancel()}>
            {t('report.cancel')}
          </button>
        )}
        {cancelError && <ErrorBox error={cancelError} />}
      </section>
      {report.error && <ErrorBox error={report.error} />}
      {!r && !report.error && <Loading />}
      {r && (
        <>
          <section class="totals" data-testid="totals" data-plays={r.totals.plays ?? ''} data-suppressed={String(r.totals.suppressed)}>
            <Total label={t('report.plays')} value={r.totals.plays} suppressed={r.totals.suppressed} min={r.minCohort} />
            <Total label={t('report.completed')} value={r.totals.completed} suppressed={r.totals.suppressed} min={r.minCohort} />
            <Total label={t('report.residents')} value={r.totals.residents} suppressed={r.totals.suppressed} min={r.minCohort} />
            <div class="total">
              <span class="total-label">{t('report.completionRate')}</span>
              <span class="total-value">{r.totals.suppressed || r.totals.completionRate === null ? <Cell value={null} suppressed min={r.minCohort} /> : pct(r.totals.completionRate, lang)}</span>
            </div>
          </section>
          <p class="muted small">{t('report.privacy', { n: r.minCohort })}</p>
          <ReportCharts report={r} />
          <section class="card csv">
            <h2>{t('report.csv')}</h2>
            <ul class="csv-links">
              {TABLES.map((table) => (
                <li key={table}>
                  <a href={`${API}${path}/report${qs({ from: r.from, to: r.to, format: 'csv', table })}`} download={`${c.id}-${table}.csv`}>
                    {t(`report.table.${table}`)} (CSV)
                  </a>
                </li>
              ))}
            </ul>
          </section>
        </>
      )}
    </>
  );
}

function Total({ label, value, suppressed, min }: { label: string; value: number | null; suppressed: boolean; min: number }) {
  return (
    <div class="total">
      <span class="total-label">{label}</span>
      <span class="total-value">
        <Cell value={value} suppressed={suppressed} min={min} />
      </span>
    </div>
  );
}
