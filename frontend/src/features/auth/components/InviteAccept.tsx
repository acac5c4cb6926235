/**
 * The page behind an invite link: says which project and role it offers, then
 * either accepts it for the logged-in user or creates an account and accepts
 * it in one step (the server logs the new account in). A dead link shows the
 * server's one message for used, expired, revoked or unknown links.
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { Loading } from '../../../components/Loading';
import { useAsync } from '../../../lib/useAsync';
import type { InviteAccept as InviteAcceptBody, InviteAccepted, InvitePreview, User } from '../../../types/api';
import { acceptInvite, getInvite } from '../api/invite';

interface Props {
  token: string;
  user: User | null;
  onAccepted: (result: InviteAccepted) => void;
  loginHref: string;
}

export function InviteAccept({ token, user, onAccepted, loginHref }: Props) {
  const invite = useAsync((signal) => getInvite(token, signal), [token]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function accept(body: InviteAcceptBody) {
    setBusy(true);
    setError(null);
    try {
      onAccepted(await acceptInvite(token, body));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  if (invite.error) {
    return (
      <div className="card login-form" data-testid="invite-invalid">
        <h1>Invite link</h1>
        <ErrorMessage error={invite.error} testId="invite-error" />
      </div>
    );
  }
  if (!invite.data) return <Loading />;
  return (
    <div className="card login-form" data-testid="invite-page">
      <InviteSummary invite={invite.data} />
      {user ? (
        <>
          <p>
            You are logged in as <strong>{user.username}</strong>.
          </p>
          <ErrorMessage error={error} testId="invite-error" />
          <button type="button" data-testid="invite-accept" disabled={busy} onClick={() => void accept({})}>
            {busy ? 'Joining…' : 'Accept and open the project'}
          </button>
        </>
      ) : (
        <NewAccountForm busy={busy} error={error} loginHref={loginHref} onSubmit={(body) => void accept(body)} />
      )}
    </div>
  );
}

function InviteSummary({ invite }: { invite: InvitePreview }) {
  return (
    <>
      <h1>Join {invite.project_name}</h1>
      <p data-testid="invite-summary">
        {invite.invited_by ? `${invite.invited_by} invites you` : 'You are invited'} to{' '}
        <strong data-testid="invite-project">{invite.project_name}</strong> as{' '}
        <strong data-testid="invite-role">{invite.role}</strong>.
      </p>
    </>
  );
}

function NewAccountForm(props: {
  busy: boolean;
  error: unknown;
  loginHref: string;
  onSubmit: (body: InviteAcceptBody) => void;
}) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const mismatch = repeat.length > 0 && repeat !== password;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (mismatch) return;
    props.onSubmit({ username: username.trim(), password });
  }

  return (
    <form onSubmit={submit} data-testid="invite-signup">
      <p>
        Create your account, or <Link to={props.loginHref}>log in</Link> if you already have one.
      </p>
      <label>
        Username
        <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
      </label>
      <label>
        Password again
        <input name="password2" type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} required />
      </label>
      {mismatch && <div className="error" role="alert">The two passwords differ.</div>}
      <ErrorMessage error={props.error} testId="invite-error" />
      <button type="submit" data-testid="invite-signup-submit" disabled={props.busy || mismatch}>
        {props.busy ? 'Creating your account…' : 'Create account and join'}
      </button>
    </form>
  );
}
