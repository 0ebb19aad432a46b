// Numbers, money and dates as people read them, in the UI language.
import type { Lang } from './i18n';

/** The network currency (API.md: `currency`, default CNY); searches do not repeat it. */
export const CURRENCY = 'CNY';

export function money(cents: number, currency: string, lang: Lang): string {
  return new Intl.NumberFormat(lang, { style: 'currency', currency }).format(cents / 100);
}

export function num(n: number, lang: Lang): string {
  return new Intl.NumberFormat(lang).format(n);
}

export function pct(x: number, lang: Lang): string {
  return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 0 }).format(x);
}

export function dateTime(iso: string, lang: Lang): string {
  return new Date(iso).toLocaleString(lang, { dateStyle: 'short', timeStyle: 'short' });
}

/** Local calendar day, YYYY-MM-DD, `offset` days from today. */
export function localDay(offset = 0, from = new Date()): string {
  const d = new Date(from.getFullYear(), from.getMonth(), from.getDate() + offset);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function bytes(n: number, lang: Lang): string {
  if (n < 1024 * 1024) return `${num(Math.ceil(n / 1024), lang)} KiB`;
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(n / 1024 / 1024)} MiB`;
}

/** "3 min" style ages from seconds. */
export function age(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}
