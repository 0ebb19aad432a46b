// The campaigns list: a merchant's own, or every merchant's for an operator.
import { Badge, ErrorBox, Loading } from '../components/ui';
import { CURRENCY, dateTime, money } from '../format';
import { useI18n } from '../i18n';
import { BASE, navigate } from '../router';
import { useSiteNames } from '../site-names';
import type { Campaign, Page } from '../types';
import { useApi } from '../use-api';

export const statusKind = (s: Campaign['status']) => (s === 'active' ? 'ok' : s === 'cancelled' ? 'bad' : s === 'booked' ? 'wait' : 'muted');

export function Campaigns() {
  const { t, lang } = useI18n();
  const list = useApi<Page<Campaign>>('/campaigns?limit=500', 10_000);
  const items = list.data?.items ?? [];
  const siteName = useSiteNames();
  return (
    <>
      <h1>{t('campaigns.title')}</h1>
      {list.error && <ErrorBox error={list.error} />}
      {list.loading && !list.data && <Loading />}
      <section class="card">
        {list.data && items.length === 0 && <p class="muted">{t('campaigns.none')}</p>}
        {items.length > 0 && (
          <table class="responsive" data-testid="campaigns">
            <thead>
              <tr>
                <th>{t('campaigns.name')}</th>
                <th>{t('common.status')}</th>
                <th>{t('common.dates')}</th>
                <th>{t('campaigns.sites')}</th>
                <th>{t('common.dayparts')}</th>
                <th>{t('campaigns.price')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id} data-campaign={c.id}>
                  <td data-label={t('campaigns.name')}>
                    <a
                      href={`${BASE}/campaigns/${encodeURIComponent(c.id)}`}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(`/campaigns/${encodeURIComponent(c.id)}`);
                      }}
                    >
                      {c.name}
                    </a>
                    <div class="muted small">{dateTime(c.createdAt, lang)}</div>
                  </td>
                  <td data-label={t('common.status')}>
                    <Badge kind={statusKind(c.status)}>{t(`campaign.${c.status}`)}</Badge>
                  </td>
                  <td data-label={t('common.dates')}>
                    {c.dates.from} – {c.dates.to}
                  </td>
                  <td data-label={t('campaigns.sites')}>{c.sites.map(siteName).join(', ')}</td>
                  <td data-label={t('common.dayparts')}>{c.dayparts.map((d) => t(`daypart.${d}`)).join(' · ')}</td>
                  <td data-label={t('campaigns.price')}>{money(c.priceCents, CURRENCY, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
