/**
 * Members and roles: everyone sees them; owners change roles, remove, and add
 * directly only people they already share another project with (anyone else
 * gets an invite link). Nobody is made owner without having joined first.
 */
import { useState } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { Loading } from '../../../components/Loading';
import { useAsync } from '../../../lib/useAsync';
import type { Role } from '../../../types/api';
import { getMemberCandidates } from '../api/invitations';
import { addMember, getMembers, removeMember, updateMember } from '../api/team';
import { ownerGuard, ROLE_HELP, ROLES } from '../logic';

const ADD_ROLES = ROLES.filter((r) => r !== 'owner');

export function MembersPanel({ projectId, canManage, meId }: { projectId: number; canManage: boolean; meId: number | null }) {
  const members = useAsync((signal) => getMembers(projectId, signal), [projectId]);
  const candidates = useAsync(
    (signal) => (canManage ? getMemberCandidates(projectId, signal) : Promise.resolve([])),
    [projectId, canManage],
  );
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('annotator');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const list = members.data ?? [];

  async function run(work: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await work();
      members.reload();
      candidates.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  function changeRole(memberId: number, next: Role) {
    const guard = ownerGuard(list, memberId, next);
    if (guard) return setError(new Error(guard));
    void run(() => updateMember(projectId, memberId, next));
  }

  function remove(memberId: number, name: string) {
    const guard = ownerGuard(list, memberId, null);
    if (guard) return setError(new Error(guard));
    if (!window.confirm(`Remove ${name} from this project? Their labels stay.`)) return;
    void run(() => removeMember(projectId, memberId));
  }

  return (
    <section className="card" data-testid="members">
      <h2>Members</h2>
      {members.loading && !members.data && <Loading />}
      <ErrorMessage error={members.error} />
      <table className="members">
        <thead>
          <tr>
            <th>User</th>
            <th>Role</th>
            {canManage && <th></th>}
          </tr>
        </thead>
        <tbody>
          {list.map((m) => (
            <tr key={m.id} data-testid={`member-${m.user.username}`}>
              <td>
                {m.user.username}
                {m.user.id === meId && <span className="muted small"> (you)</span>}
              </td>
              <td>
                {canManage ? (
                  <select
                    aria-label={`Role of ${m.user.username}`}
                    data-testid={`member-role-${m.user.username}`}
                    value={m.role}
                    disabled={busy}
                    onChange={(e) => changeRole(m.id, e.target.value as Role)}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                ) : (
                  <span title={ROLE_HELP[m.role]}>{m.role}</span>
                )}
              </td>
              {canManage && (
                <td>
                  <button
                    type="button"
                    className="secondary"
                    data-testid={`member-remove-${m.user.username}`}
                    disabled={busy}
                    onClick={() => remove(m.id, m.user.username)}
                  >
                    Remove
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorMessage error={error} testId="member-error" />
      {canManage && (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!username) return;
            void run(async () => {
              await addMember(projectId, username, role);
              setUsername('');
            });
          }}
        >
          {(candidates.data ?? []).length === 0 ? (
            <span className="muted small" data-testid="no-candidates">
              Nobody else you work with on another project. Invite people by link instead.
            </span>
          ) : (
            <>
              <select aria-label="Person to add" data-testid="member-username" value={username} onChange={(e) => setUsername(e.target.value)}>
                <option value="">Add someone you work with…</option>
                {(candidates.data ?? []).map((u) => (
                  <option key={u.id} value={u.username}>
                    {u.username}
                  </option>
                ))}
              </select>
              <select aria-label="Role" data-testid="member-new-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
                {ADD_ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
              <button type="submit" data-testid="member-add" disabled={busy || !username}>
                Add member
              </button>
              <span className="muted small">{ROLE_HELP[role]}</span>
            </>
          )}
        </form>
      )}
    </section>
  );
}
