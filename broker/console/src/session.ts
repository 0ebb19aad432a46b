// Who is signed in, shared by every page.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me } from './types';

export interface Session {
  me: Me;
  signOut(): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}
