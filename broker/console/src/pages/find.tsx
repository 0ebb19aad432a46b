// Merchant: find slots near the shop (distance list and map), then book them (booking.tsx).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { qs } from '../api';
import { SiteMap } from '../components/site-map';
import { ErrorBox, Loading } from '../components/ui';
import { CURRENCY, money as formatMoney, num } from '../format';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { DAYPARTS, type DaypartId, type Page, type SearchHit, type Site } from '../types';
import { useApi } from '../use-api';
import { Booking } from './booking';
import { defaultFilter, type Filter, SlotFilter } from './slot-filter';

export function Find() {
  const { t, lang } = useI18n();
  const { me } = useSession();
  const sites = useApi<Page<Site>>('/sites');
  const [filter, setFilter] = useState<Filter>(defaultFilter);
  const [selected, setSelected] = useState<Set<string>>(new Set());

  // The shop: from /me when the API gives it, else the first site, until the merchant moves it.
  const shop = useMemo(() => {
    if (filter.lat !== null && filter.lon !== null) return { lat: filter.lat, lon: filter.lon };
    if (me.merchant) return { lat: me.merchant.lat, lon: me.merchant.lon };
    const first = sites.data?.items[0];
    return first ? { lat: first.lat, lon: first.lon } : null;
  }, [filter.lat, filter.lon, me.merchant, sites.data]);

  const searchPath = shop
    ? `/inventory/search${qs({ lat: shop.lat, lon: shop.lon, radiusKm: filter.radiusKm, dayparts: filter.dayparts.join(','), from: filter.from, to: filter.to, units: filter.units })}`
    : null;
  const search = useApi<{ items: SearchHit[] }>(filter.dayparts.length ? searchPath : null);
  const hits = useMemo(() => search.data?.items ?? [], [search.data]);

  useEffect(() => {
    // Keep only selections that are still in the results.
    setSelected((s) => new Set([...s].filter((id) => hits.some((h) => h.site.id === id))));
  }, [hits]);

  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  const chosen = hits.filter((h) => selected.has(h.site.id));
  return (
    <>
      <h1>{t('find.title')}</h1>
      <SlotFilter value={filter} shop={shop} onChange={setFilter} />
      {sites.error && <ErrorBox error={sites.error} />}
      {search.error && <ErrorBox error={search.error} />}
      {filter.dayparts.length === 0 && <p class="muted">{t('find.pickDaypart')}</p>}
      {search.loading && !search.data && <Loading />}
      {shop && search.data && (
        <div class="find-grid">
          <section class="card" aria-labelledby="map-h">
            <h2 id="map-h">{t('find.map')}</h2>
            <SiteMap
              shop={shop}
              radiusKm={filter.radiusKm}
              onToggle={toggle}
              sites={hits.map((h) => ({ ...h.site, distanceKm: h.distanceKm, available: share(h, filter.units), selected: selected.has(h.site.id) }))}
            />
            <p class="legend">
              <span class="dot ok" /> {t('find.legendAll')} <span class="dot some" /> {t('find.legendSome')} <span class="dot none" /> {t('find.legendNone')}
            </p>
          </section>
          <section class="card" aria-labelledby="list-h">
            <h2 id="list-h">{t('find.list', { n: hits.length })}</h2>
            {hits.length === 0 && <p class="muted">{t('find.none')}</p>}
            <ul class="site-list" data-testid="site-list">
              {hits.map((h) => (
                <SiteRow key={h.site.id} hit={h} units={filter.units} dayparts={filter.dayparts} selected={selected.has(h.site.id)} onToggle={() => toggle(h.site.id)} lang={lang} />
              ))}
            </ul>
          </section>
        </div>
      )}
      <Booking filter={filter} hits={chosen} onBooked={search.reload} />
    </>
  );
}

/** Share of the searched slots with room for the units asked. */
function share(h: SearchHit, units: number): number | null {
  if (h.slots.length === 0) return null;
  return h.slots.filter((s) => s.availableUnits >= units).length / h.slots.length;
}

function SiteRow({ hit, units, selected, onToggle, lang, dayparts }: { hit: SearchHit; units: number; selected: boolean; onToggle(): void; lang: 'en' | 'zh-CN'; dayparts: DaypartId[] }) {
  const { t } = useI18n();
  const open = hit.slots.filter((s) => s.availableUnits >= units);
  const prices = hit.slots.map((s) => s.priceCents);
  const reach = hit.slots.reduce((n, s) => n + s.estimatedReach, 0);
  const money = (c: number) => formatMoney(c, CURRENCY, lang);
  const order = (d: DaypartId) => DAYPARTS.indexOf(d);
  return (
    <li class={selected ? 'site-row selected' : 'site-row'} data-site={hit.site.id}>
      <label class="site-pick">
        <input type="checkbox" checked={selected} onChange={onToggle} data-testid={`pick-${hit.site.id}`} />
        <span class="site-name">{hit.site.name}</span>
        <span class="site-km">{t('find.km', { km: hit.distanceKm.toFixed(1) })}</span>
      </label>
      <div class="site-facts">
        <span>{t('find.open', { n: open.length, of: hit.slots.length })}</span>
        {prices.length > 0 && <span>{t('find.price', { min: money(Math.min(...prices)), max: money(Math.max(...prices)) })}</span>}
        <span>{t('find.reach', { n: num(reach, lang) })}</span>
      </div>
      <details>
        <summary>{t('find.slots')}</summary>
        <table class="responsive slots">
          <thead>
            <tr>
              <th>{t('common.date')}</th>
              <th>{t('common.daypart')}</th>
              <th>{t('find.available')}</th>
              <th>{t('find.unitPrice')}</th>
              <th>{t('find.estReach')}</th>
            </tr>
          </thead>
          <tbody>
            {hit.slots
              .filter((s) => dayparts.includes(s.daypart))
              .sort((a, b) => a.date.localeCompare(b.date) || order(a.daypart) - order(b.daypart))
              .map((s) => (
                <tr key={`${s.date}/${s.daypart}`} class={s.availableUnits >= units ? '' : 'full'}>
                  <td data-label={t('common.date')}>{s.date}</td>
                  <td data-label={t('common.daypart')}>{t(`daypart.${s.daypart}`)}</td>
                  <td data-label={t('find.available')}>
                    {s.availableUnits}/{s.capacityUnits}
                  </td>
                  <td data-label={t('find.unitPrice')}>{money(s.priceCents)}</td>
                  <td data-label={t('find.estReach')}>{num(s.estimatedReach, lang)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </li>
  );
}
