/** Who is on which frame right now (GET presence, polled). */
import { useEffect } from 'react';
import { Link } from 'react-router-dom';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { useAsync } from '../../../lib/useAsync';
import { getPresence } from '../api/team';
import { since } from '../logic';

export const TEAM_PRESENCE_POLL_MS = 5000;

export function PresencePanel({ projectId, videoName }: { projectId: number; videoName(id: number): string }) {
  const presence = useAsync((signal) => getPresence(projectId, signal), [projectId]);
  const { reload } = presence;
  useEffect(() => {
    const id = setInterval(reload, TEAM_PRESENCE_POLL_MS);
    return () => clearInterval(id);
  }, [reload]);
  const rows = presence.data ?? [];
  return (
    <section className="card" data-testid="team-presence">
      <h2>Online now</h2>
      <ErrorMessage error={presence.error} />
      {presence.data && rows.length === 0 && <p className="muted">Nobody is labeling right now.</p>}
      <ul className="presence-list">
        {rows.map((p) => (
          <li key={`${p.user.id}-${p.video}-${p.frame_index}`} data-testid={`team-presence-${p.user.username}`}>
            <span className="avatar" aria-hidden="true">
              {p.user.username.slice(0, 1).toUpperCase()}
            </span>
            <strong>{p.user.username}</strong> on{' '}
            <Link to={`/projects/${projectId}/videos/${p.video}/label?frame=${p.frame_index}`}>
              {videoName(p.video)} frame {p.frame_index}
            </Link>{' '}
            <span className="muted small">for {since(p.since)}</span>
          </li>
        ))}
      </ul>
      <p className="muted small">Refreshed every {TEAM_PRESENCE_POLL_MS / 1000} s.</p>
    </section>
  );
}
