import { useNavigate, useParams } from 'react-router-dom';
import { InviteAccept } from '../../features/auth/components/InviteAccept';
import { useAuth } from '../auth';

/** /invite/:token – public: an invite link opened by someone with or without an account. */
export function InviteRoute() {
  const token = useParams().token ?? '';
  const { user, setUser } = useAuth();
  const navigate = useNavigate();
  const here = `/invite/${encodeURIComponent(token)}`;
  return (
    <InviteAccept
      token={token}
      user={user}
      loginHref={`/login?next=${encodeURIComponent(here)}`}
      onAccepted={(result) => {
        setUser(result.user);
        navigate(`/projects/${result.project}`, { replace: true });
      }}
    />
  );
}
