import { useEffect, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import type { InferenceRun, InferenceRunCreate, SmoothingMethod, Video } from '../../../types/api';
import { buildRunRequest, DEFAULT_WINDOW, newestVersionId, type RunForm as Form } from '../runs';
import { defaultTrackingForm } from '../tracking';
import { TrackingFieldset } from './TrackingFieldset';

export interface VersionChoice {
  id: number;
  number: number;
}

interface Props {
  versions: readonly VersionChoice[];
  videos: readonly Video[] | undefined;
  onStart: (body: InferenceRunCreate) => Promise<InferenceRun[] | undefined>;
  starting: boolean;
  error: unknown;
  /** The project's animal count (null: unknown): tracking's default max animals. */
  maxInstances?: number | null;
}

/** "Run model on videos": model version, videos, smoothing, tracking, number of suggestions, labeled video. */
export function RunForm({ versions, videos, onStart, starting, error, maxInstances = null }: Props) {
  const [modelVersion, setModelVersion] = useState<number | null>(null);
  const [chosen, setChosen] = useState<number[]>([]);
  const [smoothing, setSmoothing] = useState<SmoothingMethod | 'none'>('none');
  const [window, setWindow] = useState(String(DEFAULT_WINDOW));
  const [suggest, setSuggest] = useState('');
  const [renderVideo, setRenderVideo] = useState(true);
  const [tracking, setTracking] = useState(() => defaultTrackingForm(maxInstances));
  // The project may load after the form: follow its animal count until the user edits it.
  const [trackingEdited, setTrackingEdited] = useState(false);
  useEffect(() => {
    if (!trackingEdited) setTracking((t) => ({ ...t, maxTracks: defaultTrackingForm(maxInstances).maxTracks }));
  }, [maxInstances, trackingEdited]);
  const [formError, setFormError] = useState<string | null>(null);

  // Preselect the newest version (and follow it when a new one appears, unless the user chose).
  const newest = newestVersionId(versions);
  const [userPicked, setUserPicked] = useState(false);
  useEffect(() => {
    if (!userPicked || !versions.some((v) => v.id === modelVersion)) setModelVersion(newest);
  }, [newest, userPicked, versions, modelVersion]);

  const ready = (videos ?? []).filter((v) => v.status === 'ready');
  const toggleVideo = (id: number, on: boolean) =>
    setChosen((c) => (on ? [...c.filter((x) => x !== id), id] : c.filter((x) => x !== id)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const form: Form = { modelVersion, videos: chosen, smoothing, window, suggest, renderVideo, tracking };
    const built = buildRunRequest(form);
    if ('error' in built) {
      setFormError(built.error);
      return;
    }
    setFormError(null);
    await onStart(built.body);
  };

  if (versions.length === 0) {
    return <p className="muted" data-testid="run-no-model">Train a model first to run it on videos.</p>;
  }
  return (
    <form className="run-form" onSubmit={submit} noValidate data-testid="run-form">
      <label>
        Model version{' '}
        <select
          data-testid="run-model-version"
          value={modelVersion ?? ''}
          onChange={(e) => {
            setUserPicked(true);
            setModelVersion(Number(e.target.value));
          }}
        >
          {[...versions]
            .sort((a, b) => b.number - a.number)
            .map((v) => (
              <option key={v.id} value={v.id}>
                v{v.number}
              </option>
            ))}
        </select>
      </label>
      <fieldset className="run-videos">
        <legend>Videos</legend>
        {!videos && <span className="muted">Loading videos…</span>}
        {videos && ready.length === 0 && <span className="muted">No video is ready.</span>}
        {ready.map((v) => (
          <label key={v.id} className="check">
            <input
              type="checkbox"
              data-testid={`run-video-${v.id}`}
              checked={chosen.includes(v.id)}
              onChange={(e) => toggleVideo(v.id, e.target.checked)}
            />{' '}
            {v.name}
            {v.frame_count != null && <span className="muted small"> ({v.frame_count} frames)</span>}
          </label>
        ))}
        {ready.length > 1 && (
          <button type="button" className="link" onClick={() => setChosen(ready.map((v) => v.id))}>
            all
          </button>
        )}
      </fieldset>
      <label>
        Smoothing{' '}
        <select
          data-testid="run-smoothing"
          value={smoothing}
          onChange={(e) => setSmoothing(e.target.value as SmoothingMethod | 'none')}
        >
          <option value="none">none</option>
          <option value="median">median</option>
          <option value="savgol">Savitzky–Golay</option>
        </select>
      </label>
      {smoothing !== 'none' && (
        <label>
          window{' '}
          <input
            type="number"
            min={3}
            max={101}
            step={2}
            className="narrow"
            data-testid="run-smoothing-window"
            value={window}
            onChange={(e) => setWindow(e.target.value)}
          />{' '}
          frames
        </label>
      )}
      <TrackingFieldset
        value={tracking}
        onChange={(next) => {
          if (next.maxTracks !== tracking.maxTracks) setTrackingEdited(true);
          setTracking(next);
        }}
        testId="run-tracking"
      />
      <label title="Frames the model asks a human to label (empty: the project's setting)">
        Suggest{' '}
        <input
          type="number"
          min={0}
          max={500}
          className="narrow"
          placeholder="default"
          data-testid="run-suggest"
          value={suggest}
          onChange={(e) => setSuggest(e.target.value)}
        />{' '}
        frames to label
      </label>
      <label className="check">
        <input
          type="checkbox"
          data-testid="run-render-video"
          checked={renderVideo}
          onChange={(e) => setRenderVideo(e.target.checked)}
        />{' '}
        render a labeled video
      </label>
      <button type="submit" data-testid="run-inference" disabled={starting}>
        {starting ? 'Starting…' : 'Run'}
      </button>
      {formError && (
        <div className="error" role="alert" data-testid="run-form-error">
          {formError}
        </div>
      )}
      <ErrorMessage error={error} testId="run-start-error" />
    </form>
  );
}
