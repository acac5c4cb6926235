/**
 * Owners invite people by link: pick a role, create a one-time link, copy it
 * (it is shown only now), and see or revoke the links still pending.
 */
import { useState } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { useAsync } from '../../../lib/useAsync';
import type { Role } from '../../../types/api';
import { createInvitation, getInvitations, revokeInvitation } from '../api/invitations';
import { expiresIn, inviteLink } from '../invites';
import { ROLE_HELP, ROLES } from '../logic';

export function InvitePanel({ projectId, onChanged }: { projectId: number; onChanged?: () => void }) {
  const pending = useAsync((signal) => getInvitations(projectId, signal), [projectId]);
  const [role, setRole] = useState<Role>('annotator');
  const [link, setLink] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function run(work: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await work();
      pending.reload();
      onChanged?.();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const create = () =>
    run(async () => {
      const created = await createInvitation(projectId, role);
      setLink(inviteLink(window.location.origin, created.token));
      setCopied(false);
    });

  async function copy() {
    if (!link) return;
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard (plain http): the link is selectable text
    }
  }

  return (
    <section className="card" data-testid="invites">
      <h2>Invite by link</h2>
      <p className="muted small">
        Anyone who opens the link can join once, with the role you pick, by logging in or creating an account.
      </p>
      <div className="inline-form">
        <select aria-label="Role for the invite" data-testid="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button type="button" data-testid="invite-create" disabled={busy} onClick={() => void create()}>
          Create invite link
        </button>
        <span className="muted small">{ROLE_HELP[role]}</span>
      </div>
      {link && (
        <div className="inline-form" data-testid="invite-created">
          <input readOnly aria-label="Invite link" data-testid="invite-link" value={link} size={60} onFocus={(e) => e.target.select()} />
          <button type="button" className="secondary" onClick={() => void copy()}>
            {copied ? 'Copied' : 'Copy'}
          </button>
          <span className="muted small">Shown once: copy it now and send it to the person you invite.</span>
        </div>
      )}
      <ErrorMessage error={error ?? pending.error} testId="invite-error" />
      {pending.data && pending.data.length > 0 && (
        <table className="members" data-testid="invites-pending">
          <thead>
            <tr>
              <th>Pending link</th>
              <th>Role</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {pending.data.map((inv) => (
              <tr key={inv.id} data-testid={`invite-${inv.id}`}>
                <td className="small">
                  by {inv.created_by?.username ?? 'a former member'}, {expiresIn(inv.expires_at)}
                </td>
                <td>{inv.role}</td>
                <td>
                  <button type="button" className="secondary" data-testid={`invite-revoke-${inv.id}`} disabled={busy}
                    onClick={() => void run(() => revokeInvitation(projectId, inv.id))}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
