/**
 * The signed-in session: the bearer token the API issued, kept in localStorage so a reload keeps you in.
 * Components read it through `useSession()`; the API client sends it and clears it on a 401.
 */
import { useSyncExternalStore } from 'react';

const KEY = 'm3m.session';

export interface Session {
  token: string;
  expiresAt: string;
}

type Listener = () => void;
const listeners = new Set<Listener>();
let current: Session | null = read();

function read(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Session;
    if (typeof parsed.token !== 'string' || Date.parse(parsed.expiresAt) <= Date.now()) return null;
    return parsed;
  } catch {
    return null;
  }
}

function emit() {
  for (const listener of listeners) listener();
}

export const session = {
  get: (): Session | null => {
    if (current && Date.parse(current.expiresAt) <= Date.now()) session.clear();
    return current;
  },
  set(next: Session) {
    current = next;
    localStorage.setItem(KEY, JSON.stringify(next));
    emit();
  },
  clear() {
    if (!current) return;
    current = null;
    localStorage.removeItem(KEY);
    emit();
  },
  subscribe(listener: Listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// Another tab signing in or out is followed here too.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    if (event.key !== KEY) return;
    current = read();
    emit();
  });
}

export function useSession(): Session | null {
  return useSyncExternalStore(session.subscribe, session.get, session.get);
}
