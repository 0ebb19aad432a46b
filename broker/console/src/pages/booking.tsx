// Book the chosen sites for the filter's dayparts, dates and units, with a ready creative.
// A 409 names the full slots; nothing was booked then.
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { ErrorBox, Field } from '../components/ui';
import { CURRENCY, money } from '../format';
import { useI18n } from '../i18n';
import { navigate } from '../router';
import type { Campaign, ConflictSlot, Creative, Page, SearchHit } from '../types';
import { useApi } from '../use-api';
import type { Filter } from './slot-filter';

export function Booking({ filter, hits, onBooked }: { filter: Filter; hits: SearchHit[]; onBooked(): void }) {
  const { t, lang } = useI18n();
  const creatives = useApi<Page<Creative>>('/creatives?limit=500');
  const ready = (creatives.data?.items ?? []).filter((c) => c.status === 'ready');
  const [name, setName] = useState('');
  const [creative, setCreative] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [conflict, setConflict] = useState<ConflictSlot[] | null>(null);

  const slots = hits.flatMap((h) => h.slots.filter((s) => filter.dayparts.includes(s.daypart)));
  const estimate = slots.reduce((n, s) => n + s.priceCents * filter.units, 0);
  const chosenCreative = creative || ready[0]?.id || '';
  const siteName = (id: string) => hits.find((h) => h.site.id === id)?.site.name ?? id;

  const book = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setConflict(null);
    try {
      const body = {
        name: name.trim() || t('book.defaultName', { date: filter.from }),
        sites: hits.map((h) => h.site.id),
        dayparts: filter.dayparts,
        dates: { from: filter.from, to: filter.to },
        units: filter.units,
        creatives: [chosenCreative],
      };
      const c = await api<Campaign>('POST', '/campaigns', body);
      onBooked();
      navigate(`/campaigns/${encodeURIComponent(c.id)}`);
    } catch (err) {
      const ae = err instanceof ApiError ? err : new ApiError(0, { error: 'network' });
      if (ae.status === 409 && ae.body.slots) setConflict(ae.body.slots);
      else setError(ae);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card booking" onSubmit={(e) => void book(e)} data-testid="booking">
      <h2>{t('book.title')}</h2>
      {hits.length === 0 ? (
        <p class="muted">{t('book.pickSites')}</p>
      ) : (
        <p>
          {t('book.summary', { sites: hits.map((h) => h.site.name).join(', '), from: filter.from, to: filter.to, units: filter.units })}
          <br />
          {filter.dayparts.map((d) => t(`daypart.${d}`)).join(' · ')}
        </p>
      )}
      <Field label={t('book.name')}>
        <input name="campaign-name" maxLength={120} value={name} placeholder={t('book.defaultName', { date: filter.from })} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field label={t('book.creative')} hint={ready.length === 0 ? t('book.noCreative') : undefined}>
        <select name="creative" value={chosenCreative} onChange={(e) => setCreative(e.currentTarget.value)} disabled={ready.length === 0}>
          {ready.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </Field>
      {hits.length > 0 && (
        <p class="estimate" data-testid="estimate">
          {t('book.estimate', { price: money(estimate, CURRENCY, lang), n: slots.length })}
        </p>
      )}
      {conflict && (
        <div class="error" role="alert" data-testid="conflict">
          <strong>{t('book.conflict')}</strong>
          <ul>
            {conflict.map((s) => (
              <li key={`${s.site}/${s.date}/${s.daypart}`}>{t('book.conflictSlot', { site: siteName(s.site), date: s.date, daypart: t(`daypart.${s.daypart}`), n: s.availableUnits })}</li>
            ))}
          </ul>
        </div>
      )}
      {error && <ErrorBox error={error} />}
      <button type="submit" class="primary" disabled={busy || hits.length === 0 || !chosenCreative || filter.dayparts.length === 0} data-testid="book">
        {busy ? t('common.working') : t('book.submit')}
      </button>
    </form>
  );
}
