import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { errorMessage } from '../../../lib/api';
import { useAsync } from '../../../lib/useAsync';
import type { Skeleton, Suggestion, SuggestionAccept, Track } from '../../../types/api';
import { getRunFrame } from '../api/suggestions';
import { acceptBody, animalStyles, defaultChoice, frameAnimals, meanScore, STRATEGY_HELP, trackingLabels, type PredictedAnimal } from '../logic';
import { PoseOverlay } from './PoseOverlay';
import { SubscoreBars } from './SubscoreBars';

export interface CardActions {
  /** `body.instances`: the predicted animals to add (absent: all). */
  accept(s: Suggestion, body: SuggestionAccept): Promise<void>;
  dismiss(s: Suggestion): Promise<void>;
  assign(s: Suggestion, username: string | null): Promise<void>;
}

interface Props {
  suggestion: Suggestion;
  rank: number;
  skeleton: Skeleton;
  /** The project's tracks (colours of predicted animals). */
  tracks: readonly Track[];
  /** Animals a frame may hold (null: no cap); Accept picks no more by default. */
  maxInstances: number | null;
  frameUrl: string;
  size: { width: number; height: number } | null;
  /** Link to the labeling page at this frame with the prediction loaded. */
  correctHref: string;
  canAct: boolean;
  assignable: readonly string[];
  actions: CardActions;
}

/** One suggested frame: the frame with its prediction, score, sub-scores, reasons and the decisions. */
export function SuggestionCard(props: Props) {
  const { suggestion: s, rank, skeleton, frameUrl, size, correctHref, canAct, assignable, actions } = props;
  const prediction = useAsync((signal) => getRunFrame(s.run, s.frame_index, signal), [s.run, s.frame_index]);
  const animals = prediction.data ? frameAnimals(prediction.data, s.frame_index) : [];
  const styles = animalStyles(animals, props.tracks);
  const confidence = meanScore(animals.flatMap((a) => a.points));
  const [chosen, setChosen] = useState<number[]>([]);
  useEffect(() => setChosen(defaultChoice(animals.length, props.maxInstances)), [animals.length, props.maxInstances]);
  const toggle = (i: number) => setChosen((c) => (c.includes(i) ? c.filter((x) => x !== i) : [...c, i]));
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
      <PoseOverlay
        imageUrl={frameUrl}
        animals={animals.map((a, i) => ({ points: a.points, style: styles[i] ?? null, faded: animals.length > 1 && !chosen.includes(i) }))}
        skeleton={skeleton}
        size={size}
        testId={`suggestion-frame-${s.id}`}
      />
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
        {trackingLabels(s.subscores).map((t) => (
          <span key={t.key} className="badge tracking-reason" title={STRATEGY_HELP[t.key]} data-testid={`suggestion-${t.key}-${s.id}`}>
            {t.label}
          </span>
        ))}
        <SubscoreBars subscores={s.subscores} testId={`suggestion-subscores-${s.id}`} />
        <ul className="reasons" data-testid={`suggestion-reasons-${s.id}`}>
          {s.reasons.map((r, i) => (
            <li key={i}>{r}</li>
          ))}
        </ul>
        {animals.length > 1 && (
          <AnimalChoice suggestionId={s.id} animals={animals} styles={styles} chosen={chosen} canAct={canAct} onToggle={toggle} />
        )}
        {canAct && (
          <div className="suggestion-actions">
            <button type="button" disabled={busy || (animals.length > 0 && chosen.length === 0)}
              onClick={run(() => actions.accept(s, acceptBody(chosen, animals.length)))} data-testid={`accept-${s.id}`}
              title={animals.length > 1 ? 'Save the ticked predicted animals as labels of this frame' : "Save the prediction as this frame's label"}>
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

/** The predicted animals of a frame, each ticked to be added by Accept (or just listed, for viewers). */
function AnimalChoice(props: {
  suggestionId: number;
  animals: readonly PredictedAnimal[];
  styles: readonly ({ color: string; label: string } | null)[];
  chosen: readonly number[];
  canAct: boolean;
  onToggle(index: number): void;
}) {
  return (
    <ul className="predicted-animals small" data-testid={`suggestion-animals-${props.suggestionId}`}>
      {props.animals.map((a, i) => {
        const style = props.styles[i];
        const score = a.score == null ? '' : ` (${a.score.toFixed(2)})`;
        return (
          <li key={a.index}>
            <label>
              {props.canAct && (
                <input
                  type="checkbox"
                  checked={props.chosen.includes(a.index)}
                  data-testid={`suggestion-animal-${props.suggestionId}-${a.index}`}
                  onChange={() => props.onToggle(a.index)}
                />
              )}{' '}
              <span className="swatch" style={{ background: style?.color }} aria-hidden="true" /> {style?.label}
              {score}
            </label>
          </li>
        );
      })}
    </ul>
  );
}
