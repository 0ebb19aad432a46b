// Language and session state, and the routes for each role.
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api, token } from './api';
import { Layout } from './components/layout';
import { Loading, NotFound } from './components/ui';
import { I18nContext, initialLang, type Lang, saveLang, translator } from './i18n';
import { Accounts } from './pages/accounts';
import { CampaignReport } from './pages/campaign-report';
import { Campaigns } from './pages/campaigns';
import { Creatives } from './pages/creatives';
import { Find } from './pages/find';
import { Fleet } from './pages/fleet';
import { Inventory } from './pages/inventory';
import { Login } from './pages/login';
import { match, navigate, usePath } from './router';
import { type Session, SessionContext, useSession } from './session';
import type { Me } from './types';

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((l: Lang) => {
    saveLang(l);
    setLangState(l);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = translator(lang)('app.title');
  }, [lang]);
  const i18n = useMemo(() => ({ lang, t: translator(lang), setLang }), [lang, setLang]);

  // undefined: still asking the server; null: signed out.
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    api<Me>('GET', '/me').then(setMe, (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) token.set(null);
      setMe(null);
    });
  }, []);
  const signOut = useCallback(async () => {
    await api('DELETE', '/session').catch(() => undefined);
    token.set(null);
    setMe(null);
    navigate('/login', true);
  }, []);
  const session = useMemo<Session | null>(() => (me ? { me, signOut } : null), [me, signOut]);

  return (
    <I18nContext.Provider value={i18n}>
      {me === undefined ? (
        <main class="page">
          <Loading />
        </main>
      ) : session ? (
        <SessionContext.Provider value={session}>
          <Layout>
            <Routes />
          </Layout>
        </SessionContext.Provider>
      ) : (
        <Login onSignedIn={(m) => setMe(m)} />
      )}
    </I18nContext.Provider>
  );
}

function Routes() {
  const path = usePath();
  const { me } = useSession();
  const operator = me.account.role === 'operator';
  const home = operator ? '/fleet' : '/find';
  useEffect(() => {
    if (path === '/' || path === '/login') navigate(home, true);
  }, [path, home]);
  if (path === '/' || path === '/login') return <Loading />;
  const report = match('/campaigns/:id', path);
  if (report) return <CampaignReport id={report['id']!} />;
  if (path === '/campaigns') return <Campaigns />;
  if (!operator && path === '/find') return <Find />;
  if (!operator && path === '/creatives') return <Creatives />;
  if (operator && path === '/fleet') return <Fleet />;
  if (operator && path === '/inventory') return <Inventory />;
  if (operator && path === '/accounts') return <Accounts />;
  return <NotFound />;
}
