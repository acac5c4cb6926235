import type { TrackingMotion, TrackingSimilarity } from '../../../types/api';
import { MOTION_MODELS, SIMILARITIES, TRACKING_BOUNDS, type TrackingForm } from '../tracking';

interface Props {
  value: TrackingForm;
  onChange: (next: TrackingForm) => void;
  /** Prefix of the inputs' test ids (several fieldsets may share a page). */
  testId: string;
  /** Show the on/off switch (the run form); re-tracking is always on. */
  toggle?: boolean;
}

/** "Tracking": on / off, max animals, similarity, motion model, window, identity scores and their window. */
export function TrackingFieldset({ value, onChange, testId, toggle = true }: Props) {
  const set = (patch: Partial<TrackingForm>) => onChange({ ...value, ...patch });
  const shown = !toggle || value.enabled;
  return (
    <fieldset className="run-tracking" data-testid={testId}>
      <legend>Tracking</legend>
      {toggle && (
        <label className="check" title="Give the animals identities that hold across the video">
          <input
            type="checkbox"
            data-testid={`${testId}-enabled`}
            checked={value.enabled}
            onChange={(e) => set({ enabled: e.target.checked })}
          />{' '}
          track animals
        </label>
      )}
      {shown && (
        <>
          <label title="How many animals the video holds; empty: unknown (no cap, no stitching)">
            Max animals{' '}
            <input
              type="number"
              min={TRACKING_BOUNDS.maxTracks[0]}
              max={TRACKING_BOUNDS.maxTracks[1]}
              className="narrow"
              placeholder="unknown"
              data-testid={`${testId}-max-tracks`}
              value={value.maxTracks}
              onChange={(e) => set({ maxTracks: e.target.value })}
            />
          </label>
          <label>
            Similarity{' '}
            <select
              data-testid={`${testId}-similarity`}
              value={value.similarity}
              onChange={(e) => set({ similarity: e.target.value as TrackingSimilarity })}
            >
              {SIMILARITIES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Motion model{' '}
            <select
              data-testid={`${testId}-motion`}
              value={value.motion}
              onChange={(e) => set({ motion: e.target.value as TrackingMotion })}
            >
              {MOTION_MODELS.map((m) => (
                <option key={m.value} value={m.value}>
                  {m.label}
                </option>
              ))}
            </select>
          </label>
          <label title="Frames an animal that was not seen stays a candidate">
            window{' '}
            <input
              type="number"
              min={TRACKING_BOUNDS.window[0]}
              max={TRACKING_BOUNDS.window[1]}
              className="narrow"
              data-testid={`${testId}-window`}
              value={value.window}
              onChange={(e) => set({ window: e.target.value })}
            />{' '}
            frames
          </label>
          <label className="check" title="Only for models trained with identities: their scores name the tracks; other models ignore it">
            <input
              type="checkbox"
              data-testid={`${testId}-identity`}
              checked={value.identity}
              onChange={(e) => set({ identity: e.target.checked })}
            />{' '}
            Use identity scores
          </label>
          <label title="Frames on each side whose identity scores are pooled to name a track">
            Identity window{' '}
            <input
              type="number"
              min={TRACKING_BOUNDS.identityWindow[0]}
              max={TRACKING_BOUNDS.identityWindow[1]}
              className="narrow"
              disabled={!value.identity}
              data-testid={`${testId}-identity-window`}
              value={value.identityWindow}
              onChange={(e) => set({ identityWindow: e.target.value })}
            />{' '}
            frames
          </label>
          <span className="muted small" data-testid={`${testId}-identity-help`}>
            Identity scores: only for models trained with identities.
          </span>
        </>
      )}
    </fieldset>
  );
}
