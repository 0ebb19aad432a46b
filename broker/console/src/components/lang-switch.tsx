// zh-CN / en, each named in its own language.
import { LANGS, type Lang, useI18n } from '../i18n';

const NAMES: Record<Lang, string> = { 'zh-CN': '中文', en: 'English' };

export function LangSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <select class="lang" aria-label={t('common.language')} value={lang} onChange={(e) => setLang(e.currentTarget.value as Lang)} data-testid="lang">
      {LANGS.map((l) => (
        <option key={l} value={l} lang={l}>
          {NAMES[l]}
        </option>
      ))}
    </select>
  );
}
