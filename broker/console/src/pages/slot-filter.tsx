// The search's filter: shop position, radius, dayparts, dates and units.
import { Field } from '../components/ui';
import { localDay } from '../format';
import { useI18n } from '../i18n';
import { DAYPART_HOURS, DAYPARTS, type DaypartId } from '../types';

export interface Filter {
  /** Null: use the shop from the account (or the first site). */
  lat: number | null;
  lon: number | null;
  radiusKm: number;
  dayparts: DaypartId[];
  from: string;
  to: string;
  units: number;
}

export const defaultFilter = (): Filter => ({ lat: null, lon: null, radiusKm: 5, dayparts: ['morning', 'evening'], from: localDay(0), to: localDay(6), units: 1 });

export function SlotFilter({ value, shop, onChange }: { value: Filter; shop: { lat: number; lon: number } | null; onChange(f: Filter): void }) {
  const { t } = useI18n();
  const set = (patch: Partial<Filter>) => onChange({ ...value, ...patch });
  const toggle = (d: DaypartId) => set({ dayparts: value.dayparts.includes(d) ? value.dayparts.filter((x) => x !== d) : DAYPARTS.filter((x) => x === d || value.dayparts.includes(x)) });
  // While a number is being typed (an empty field), the filter keeps its last value.
  const whenNumber = (s: string, f: (n: number) => void) => {
    const n = Number.parseFloat(s);
    if (Number.isFinite(n)) f(n);
  };
  const numberOr = (s: string, fallback: number) => (Number.isFinite(Number.parseFloat(s)) ? Number.parseFloat(s) : fallback);
  return (
    <form class="card filter" onSubmit={(e) => e.preventDefault()} data-testid="filter">
      <fieldset class="dayparts">
        <legend>{t('common.dayparts')}</legend>
        {DAYPARTS.map((d) => (
          <label key={d} class={value.dayparts.includes(d) ? 'chip on' : 'chip'}>
            <input type="checkbox" checked={value.dayparts.includes(d)} onChange={() => toggle(d)} data-daypart={d} />
            {t(`daypart.${d}`)} <small>{DAYPART_HOURS[d]}</small>
          </label>
        ))}
      </fieldset>
      <div class="row">
        <Field label={t('common.from')}>
          <input type="date" name="from" value={value.from} required onChange={(e) => set({ from: e.currentTarget.value, to: [e.currentTarget.value, value.to].sort()[1]! })} />
        </Field>
        <Field label={t('common.to')}>
          <input type="date" name="to" value={value.to} min={value.from} required onChange={(e) => set({ to: e.currentTarget.value })} />
        </Field>
        <Field label={t('find.units')} hint={t('find.unitsHint')}>
          <input type="number" name="units" min={1} max={100} step={1} value={value.units} onInput={(e) => whenNumber(e.currentTarget.value, (n) => set({ units: Math.min(100, Math.max(1, Math.round(n))) }))} />
        </Field>
        <Field label={t('find.radius')}>
          <input type="number" name="radiusKm" min={0.5} max={50} step={0.5} value={value.radiusKm} onInput={(e) => whenNumber(e.currentTarget.value, (n) => set({ radiusKm: Math.min(50, Math.max(0.5, n)) }))} />
        </Field>
      </div>
      <details>
        <summary>{t('find.shopPosition')}</summary>
        <div class="row">
          <Field label={t('find.lat')}>
            <input type="number" name="lat" step="any" min={-90} max={90} value={value.lat ?? shop?.lat ?? ''} onChange={(e) => set({ lat: numberOr(e.currentTarget.value, shop?.lat ?? 0) })} />
          </Field>
          <Field label={t('find.lon')}>
            <input type="number" name="lon" step="any" min={-180} max={180} value={value.lon ?? shop?.lon ?? ''} onChange={(e) => set({ lon: numberOr(e.currentTarget.value, shop?.lon ?? 0) })} />
          </Field>
        </div>
      </details>
    </form>
  );
}
