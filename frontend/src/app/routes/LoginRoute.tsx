import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { LoginForm } from '../../features/auth/components/LoginForm';
import { safeNext, useAuth } from '../auth';

export function LoginRoute() {
  const { user, setUser } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNext(params.get('next'));
  if (user) return <Navigate to={next} replace />;
  return (
    <LoginForm
      onLoggedIn={(u) => {
        setUser(u);
        navigate(next, { replace: true });
      }}
    />
  );
}
