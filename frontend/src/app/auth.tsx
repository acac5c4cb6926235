/**
 * Who is logged in. `GET /api/auth/me/` runs once at start-up (it also sets
 * the csrftoken cookie that unsafe requests echo back). `RequireAuth` sends
 * anonymous users to /login?next=<where they were>.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { ErrorMessage } from '../components/ErrorMessage';
import { Loading } from '../components/Loading';
import { getMe, logout as apiLogout } from '../features/auth/api/auth';
import type { SessionUser as User } from '../types/api';

interface AuthValue {
  user: User | null;
  setUser: (u: User | null) => void;
  logout: () => Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    getMe().then(
      (me) => {
        setUser(me.user);
        setReady(true);
      },
      (err: unknown) => {
        setError(err);
        setReady(true);
      },
    );
  }, []);

  const logout = useCallback(async () => {
    await apiLogout();
    setUser(null);
    // Refresh the csrftoken cookie for the next login.
    await getMe().catch(() => undefined);
  }, []);

  const value = useMemo(() => ({ user, setUser, logout }), [user, logout]);
  if (!ready) return <Loading />;
  return (
    <AuthContext.Provider value={value}>
      {error ? <ErrorMessage error={error} /> : null}
      {children}
    </AuthContext.Provider>
  );
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth outside AuthProvider');
  return value;
}

/** Only a same-site path is accepted as a post-login destination. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function RequireAuth({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  const location = useLocation();
  if (!user) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  return <>{children}</>;
}
