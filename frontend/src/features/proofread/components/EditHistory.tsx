/**
 * The run's past track edits in a collapsible panel: who did what to which
 * frames and when, undone ones struck through. Read only while open, and
 * again whenever the tracks version moves (an edit, an undo, someone else's).
 */
import { useState } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { useAsync } from '../../../lib/useAsync';
import { getEdits } from '../api/proofread';
import { historyRows, whenText } from '../history';

interface Props {
  runId: number;
  version: number;
  me: string | null;
  onFrame(frame: number): void;
}

export function EditHistory({ runId, version, me, onFrame }: Props) {
  const [open, setOpen] = useState(false);
  const edits = useAsync((signal) => (open ? getEdits(runId, signal) : Promise.resolve(null)), [runId, version, open]);
  const rows = edits.data ? historyRows(edits.data.edits, me) : null;
  return (
    <details className="proofread-history" data-testid="edit-history" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        Edit history <span className="muted small">({version} edit{version === 1 ? '' : 's'} so far)</span>
      </summary>
      {open && !rows && !edits.error && <p className="muted small">Loading…</p>}
      <ErrorMessage error={edits.error} testId="edit-history-error" />
      {rows && rows.length === 0 && <p className="muted small">No edits yet.</p>}
      {rows && rows.length > 0 && (
        <ol className="history-list small" data-testid="edit-history-list">
          {rows.map((r) => (
            <li key={r.id} className={r.undone ? 'undone' : ''} data-testid={`edit-${r.version}`} data-undone={r.undone}>
              <span className="muted">v{r.version}</span> <strong>{r.who}</strong> <span className="what">{r.what}</span>{' '}
              <button type="button" className="link" onClick={() => onFrame(r.start)} title="Go to the first frame it changed">
                {r.frames}
              </button>{' '}
              <time className="muted" dateTime={r.when} title={r.when}>
                {whenText(r.when)}
              </time>
              {r.undone && (
                <>
                  {' '}
                  <span className="badge">undone</span>
                </>
              )}
            </li>
          ))}
        </ol>
      )}
    </details>
  );
}
