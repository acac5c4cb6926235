import { useState } from 'react';
import { Link } from 'react-router-dom';
import { errorMessage } from '../../../lib/api';
import { useAsync } from '../../../lib/useAsync';
import type { Skeleton, Suggestion } from '../../../types/api';
import { getRunFrame } from '../api/suggestions';
import { framePoints, meanScore } from '../logic';
import { PoseOverlay } from './PoseOverlay';
import { SubscoreBars } from './SubscoreBars';

export interface CardActions {
  accept(s: Suggestion): Promise<void>;
  dismiss(s: Suggestion): Promise<void>;
  assign(s: Suggestion, username: string | null): Promise<void>;
}

interface Props {
  suggestion: Suggestion;
  rank: number;
  skeleton: Skeleton;
  frameUrl: string;
  size: { width: number; height: number } | null;
  /** Link to the labeling page at this frame with the prediction loaded. */
  correctHref: string;
  canAct: boolean;
  assignable: readonly string[];
  actions: CardActions;
}

/** One suggested frame: the frame with its prediction, score, sub-scores, reasons and the decisions. */
export function SuggestionCard({ suggestion: s, rank, skeleton, frameUrl, size, correctHref, canAct, assignable, actions }: Props) {
  const prediction = useAsync((signal) => getRunFrame(s.run, s.frame_index, signal), [s.run, s.frame_index]);
  const points = prediction.data ? framePoints(prediction.data, s.frame_index) : [];
  const confidence = meanScore(points);
  const [busy, setBusy] = useState(false);
  const run = (f: () => Promise<void>) => async () => {
    setBusy(true);
    try {
      await f();
    } finally {
      setBusy(false);
    }
  };
  const assignOptions = s.assignee && !assignable.includes(s.assignee) ? [s.assignee, ...assignable] : assignable;

  return (
    <li className="card suggestion" data-testid={`suggestion-${s.id}`} data-frame={s.frame_index} data-video={s.video}>
      <PoseOverlay imageUrl={frameUrl} points={points} skeleton={skeleton} size={size} testId={`suggestion-frame-${s.id}`} />
      <div className="suggestion-body">
        <div className="suggestion-head">
          <span className="muted">#{rank}</span>
          <strong>
            {s.video_name} · frame {s.frame_index}
          </strong>
          <span className="score" data-testid={`suggestion-score-${s.id}`} title="Combined score (0–1)">
            score {s.score.toFixed(2)}
          </span>
        </div>
        <p className="small muted">
          model v{s.model_version_number}, run #{s.run}
          {confidence != null && <> · mean confidence {confidence.toFixed(2)}</>}
          {prediction.error != null && <> · prediction unavailable ({errorMessage(prediction.error)})</>}
        </p>
        <SubscoreBars subscores={s.subscores} testId={`suggestion-subscores-${s.id}`} />
        <ul className="reasons" data-testid={`suggestion-reasons-${s.id}`}>
          {s.reasons.map((r, i) => (
            <li key={i}>{r}</li>
          ))}
        </ul>
        {canAct && (
          <div className="suggestion-actions">
            <button type="button" disabled={busy} onClick={run(() => actions.accept(s))} data-testid={`accept-${s.id}`}
              title="Save the prediction as this frame's label">
              Accept
            </button>
            <Link className="button-link secondary" to={correctHref} data-testid={`correct-${s.id}`}
              title="Open the frame in the labeling workspace with the prediction loaded">
              Correct in workspace
            </Link>
            <button type="button" className="secondary" disabled={busy} onClick={run(() => actions.dismiss(s))}
              data-testid={`dismiss-${s.id}`} title="Not worth labeling; it will not be suggested again">
              Dismiss
            </button>
            <label className="small">
              Assign to{' '}
              <select
                value={s.assignee ?? ''}
                disabled={busy}
                data-testid={`assign-${s.id}`}
                onChange={(e) => void run(() => actions.assign(s, e.target.value || null))()}
              >
                <option value="">nobody</option>
                {assignOptions.map((u) => (
                  <option key={u} value={u}>
                    {u}
                  </option>
                ))}
              </select>
            </label>
          </div>
        )}
        {!canAct && s.assignee && <p className="small">Assigned to {s.assignee}</p>}
      </div>
    </li>
  );
}
