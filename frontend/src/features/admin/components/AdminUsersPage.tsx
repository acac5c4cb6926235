/**
 * Site admin: the lab's accounts. Create a login, deactivate or reactivate it
 * (labels and history stay), and set a new password (typed, or generated and
 * shown once).
 */
import { useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { Loading } from '../../../components/Loading';
import { useAsync } from '../../../lib/useAsync';
import type { AdminUser, AdminUserCreate } from '../../../types/api';
import { createUser, getUsers, setPassword, updateUser } from '../api/users';

export function AdminUsersPage({ meId }: { meId: number }) {
  const users = useAsync((signal) => getUsers(signal), []);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  /** Runs one change; true when it worked (the form keeps its input otherwise). */
  async function run(work: () => Promise<string | null>): Promise<boolean> {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      setNotice(await work());
      users.reload();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }

  const toggleActive = (u: AdminUser) =>
    run(async () => {
      await updateUser(u.id, { is_active: !u.is_active });
      return u.is_active ? `${u.username} can no longer log in.` : `${u.username} can log in again.`;
    });

  const resetPassword = (u: AdminUser) => {
    const typed = window.prompt(`New password for ${u.username} (leave empty to generate one):`, '');
    if (typed === null) return;
    void run(async () => {
      const { generated_password } = await setPassword(u.id, typed);
      return generated_password
        ? `New password for ${u.username}: ${generated_password} (shown only now)`
        : `Password of ${u.username} changed.`;
    });
  };

  return (
    <div className="page">
      <h1>People on this server</h1>
      <CreateUserForm busy={busy} onCreate={(body) => run(async () => {
        await createUser(body);
        return `Account ${body.username} created. Add them to a project from its Team page.`;
      })} />
      {notice && <p className="card" data-testid="admin-notice">{notice}</p>}
      <ErrorMessage error={error ?? users.error} testId="admin-error" />
      {!users.data ? (
        <Loading />
      ) : (
        <table className="members" data-testid="admin-users">
          <thead>
            <tr>
              <th>User</th>
              <th>Email</th>
              <th>Status</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {users.data.map((u) => (
              <tr key={u.id} data-testid={`admin-user-${u.username}`}>
                <td>
                  {u.username}
                  {u.is_superuser ? ' (superuser)' : u.is_staff ? ' (admin)' : ''}
                  {u.id === meId && <span className="muted small"> (you)</span>}
                </td>
                <td>{u.email}</td>
                <td data-testid={`admin-status-${u.username}`}>{u.is_active ? 'active' : 'deactivated'}</td>
                <td>
                  <button type="button" className="secondary" disabled={busy || u.id === meId}
                    data-testid={`admin-toggle-${u.username}`} onClick={() => void toggleActive(u)}>
                    {u.is_active ? 'Deactivate' : 'Reactivate'}
                  </button>{' '}
                  <button type="button" className="secondary" disabled={busy}
                    data-testid={`admin-password-${u.username}`} onClick={() => resetPassword(u)}>
                    Set password…
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function CreateUserForm({ busy, onCreate }: { busy: boolean; onCreate: (body: AdminUserCreate) => Promise<boolean> }) {
  const [username, setUsername] = useState('');
  const [password, setPasswordText] = useState('');
  const [email, setEmail] = useState('');
  const [isStaff, setIsStaff] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!(await onCreate({ username: username.trim(), password, email: email.trim(), is_staff: isStaff }))) return;
    setUsername('');
    setPasswordText('');
    setEmail('');
    setIsStaff(false);
  }

  return (
    <form className="card inline-form" data-testid="admin-create" onSubmit={(e) => void submit(e)}>
      <h2>New account</h2>
      <input name="new-username" aria-label="Username" placeholder="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
      <input name="new-password" aria-label="Password" placeholder="password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPasswordText(e.target.value)} required />
      <input name="new-email" aria-label="Email (optional)" placeholder="email (optional)" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
      <label className="small">
        <input type="checkbox" checked={isStaff} onChange={(e) => setIsStaff(e.target.checked)} /> site admin
      </label>
      <button type="submit" data-testid="admin-create-submit" disabled={busy}>
        Create account
      </button>
    </form>
  );
}
