/**
 * Owner setting for four-eyes review: whether a reviewer may approve a frame they
 * submitted or last edited themselves. Off by default; the server enforces it.
 */
import { useState } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import type { Project } from '../../../types/api';
import { updateProject } from '../api/projects';

export function ReviewSettingsPanel(props: { project: Project; onChanged?(project: Project): void }) {
  const [allowed, setAllowed] = useState(props.project.allow_self_review);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const toggle = async (next: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const saved = await updateProject(props.project.id, { allow_self_review: next });
      setAllowed(saved.allow_self_review);
      props.onChanged?.(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" data-testid="review-settings">
      <h2>Review</h2>
      <label>
        <input
          type="checkbox"
          data-testid="allow-self-review"
          checked={allowed}
          disabled={busy}
          onChange={(e) => void toggle(e.target.checked)}
        />{' '}
        Reviewers may approve frames they submitted or last edited themselves
      </label>
      <p className="muted small">
        {allowed
          ? 'Self-review is allowed: one person can label and approve a frame.'
          : 'Four-eyes review: every approval comes from someone other than the frame’s submitter and last editor.'}
      </p>
      <ErrorMessage error={error} />
    </section>
  );
}
