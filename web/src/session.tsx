import { createContext, createSignal, type JSX, useContext } from 'solid-js';
import { type Api, makeApi } from './api/client.ts';

const storageKey = 'plexus.token';

/** The signed-in state and the API client bound to it. */
export interface Session {
  token(): string | null;
  api: Api;
  /** Checks the token against the server before keeping it; throws `ApiError` when refused. */
  signIn(token: string): Promise<void>;
  signOut(): void;
}

const SessionContext = createContext<Session>();

function readStored(): string | null {
  try {
    return sessionStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

/**
 * Holds the token in sessionStorage (gone when the tab closes, never in the URL or
 * localStorage) and signs out on any 401 so an expired token leads back to the sign-in page.
 */
export function SessionProvider(props: { children: JSX.Element }) {
  const [token, setToken] = createSignal<string | null>(readStored());
  const keep = (value: string | null) => {
    try {
      if (value) sessionStorage.setItem(storageKey, value);
      else sessionStorage.removeItem(storageKey);
    } catch {}
    setToken(value);
  };
  const api = makeApi({ token, onUnauthorized: () => keep(null) });
  const session: Session = {
    token,
    api,
    async signIn(value) {
      const candidate = value.trim();
      const probe = makeApi({ token: () => candidate });
      await probe.get('/api/v1/blueprints');
      keep(candidate);
    },
    signOut: () => keep(null),
  };
  return <SessionContext.Provider value={session}>{props.children}</SessionContext.Provider>;
}

/** The current session (inside `SessionProvider`). */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The API client of the current session. */
export const useApi = (): Api => useSession().api;
