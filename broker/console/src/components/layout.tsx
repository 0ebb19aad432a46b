// The frame around every signed-in page: brand, the role's navigation, language, sign out.
import type { ComponentChildren } from 'preact';
import { type Key, useI18n } from '../i18n';
import { BASE, navigate, usePath } from '../router';
import { useSession } from '../session';
import { LangSwitch } from './lang-switch';

const MERCHANT: [string, Key][] = [
  ['/find', 'nav.find'],
  ['/creatives', 'nav.creatives'],
  ['/campaigns', 'nav.campaigns'],
];
const OPERATOR: [string, Key][] = [
  ['/fleet', 'nav.fleet'],
  ['/inventory', 'nav.inventory'],
  ['/campaigns', 'nav.campaigns'],
  ['/accounts', 'nav.accounts'],
];

export function Layout({ children }: { children: ComponentChildren }) {
  const { t } = useI18n();
  const { me, signOut } = useSession();
  const path = usePath();
  const items = me.account.role === 'operator' ? OPERATOR : MERCHANT;
  return (
    <>
      <header class="top">
        <div class="top-row">
          <span class="brand">doorcast</span>
          <span class="who" title={me.account.email}>
            {me.account.name} · {t(me.account.role === 'operator' ? 'role.operator' : 'role.merchant')}
          </span>
          <LangSwitch />
          <button type="button" class="link-button" onClick={() => void signOut()}>
            {t('nav.signOut')}
          </button>
        </div>
        <nav class="tabs" aria-label={t('nav.label')}>
          {items.map(([to, key]) => (
            <a
              key={to}
              href={BASE + to}
              class={path === to || path.startsWith(`${to}/`) ? 'tab active' : 'tab'}
              aria-current={path === to ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate(to);
              }}
            >
              {t(key)}
            </a>
          ))}
        </nav>
      </header>
      <main class="page">{children}</main>
    </>
  );
}
