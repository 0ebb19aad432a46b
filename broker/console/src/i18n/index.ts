// UI strings: one dictionary per language, the same keys in each (the type enforces it).
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { en } from './en';
import { zhCN } from './zh-CN';

export type Key = keyof typeof en;
export type Dict = Record<Key, string>;
export type Lang = 'en' | 'zh-CN';
export const LANGS: readonly Lang[] = ['zh-CN', 'en'];
export const DICTS: Record<Lang, Dict> = { en, 'zh-CN': zhCN };

const STORE_KEY = 'dc_lang';

export const isKey = (k: string): k is Key => Object.hasOwn(en, k);

/** The saved choice, else the browser's language: Chinese for any zh-*, English otherwise. */
export function initialLang(): Lang {
  const saved = localStorage.getItem(STORE_KEY);
  if (saved === 'en' || saved === 'zh-CN') return saved;
  return (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export function saveLang(lang: Lang): void {
  localStorage.setItem(STORE_KEY, lang);
  document.documentElement.lang = lang;
}

export type T = (key: Key, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): T {
  const d = DICTS[lang];
  return (key, vars) => {
    const s = d[key];
    return vars ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : s;
  };
}

export interface I18n {
  lang: Lang;
  t: T;
  setLang(lang: Lang): void;
}

export const I18nContext = createContext<I18n>({ lang: 'en', t: translator('en'), setLang: () => {} });
export const useI18n = (): I18n => useContext(I18nContext);
