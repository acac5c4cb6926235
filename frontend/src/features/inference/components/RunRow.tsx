import { useState } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import type { InferenceRun, TrackingSettings, TrainingJob, TrainPreset } from '../../../types/api';
import { retrainFromRun } from '../api/inference';
import { formatEta, formatFps, formatScore, framesText, isRunActive, runExports } from '../runs';
import { tracksText } from '../tracking';
import { RetrackPanel } from './RetrackPanel';

interface Props {
  run: InferenceRun;
  /** Frames of the run's video, when known (for "12 / 600 frames"). */
  totalFrames: number | null;
  /** Annotator or higher: may cancel and retrain. */
  canRun: boolean;
  /** Its starter or a project owner: may cancel (defaults to `canRun`). */
  canCancel?: boolean;
  onCancel: (runId: number) => Promise<void>;
  onRetrained?: (job: TrainingJob) => void;
  /** Where the training jobs are shown (an in-page anchor). */
  trainingHref: string;
  /** Queue a re-tracking of the run (annotators and up); absent: no "Re-track" action. */
  onRetrack?: (runId: number, tracking: TrackingSettings | null) => Promise<void>;
  /** The project's animal count (null: unknown), the default of a never-tracked run. */
  maxInstances?: number | null;
}

/** One inference run: status, progress / ETA / cancel while active; scores, tracking, exports, video, re-track and retrain when done. */
export function RunRow({
  run,
  totalFrames,
  canRun,
  canCancel = canRun,
  onCancel,
  onRetrained,
  trainingHref,
  onRetrack,
  maxInstances = null,
}: Props) {
  const active = isRunActive(run);
  const done = run.status === 'succeeded';
  const [cancelling, setCancelling] = useState(false);
  const [watching, setWatching] = useState(false);
  const [preset, setPreset] = useState<TrainPreset>('fast');
  const [retraining, setRetraining] = useState(false);
  const [retrainError, setRetrainError] = useState<unknown>(null);
  const [job, setJob] = useState<TrainingJob | null>(null);
  const exports = runExports(run);
  const tracking = run.summary.tracking;
  const videoUrl = run.exports.video;
  const width = Math.min(100, Math.max(0, (Number.isFinite(run.progress) ? run.progress : 0) * 100));

  const cancel = async () => {
    setCancelling(true);
    try {
      await onCancel(run.id);
    } finally {
      setCancelling(false);
    }
  };

  const retrain = async () => {
    setRetraining(true);
    setRetrainError(null);
    try {
      const created = await retrainFromRun(run.id, preset);
      setJob(created);
      onRetrained?.(created);
    } catch (err) {
      setRetrainError(err);
    } finally {
      setRetraining(false);
    }
  };

  return (
    <li className="job run" data-testid={`run-${run.id}`} data-status={run.status}>
      <div className="job-head">
        <strong>Run #{run.id}</strong>
        <span className={`badge status-${run.status}`} data-testid={`run-status-${run.id}`}>
          {run.status}
        </span>
        <span>
          model v{run.model_version_number} on <em>{run.video_name}</em>
        </span>
        {run.smoothing && (
          <span className="muted small">
            {run.smoothing.method} smoothing ({run.smoothing.window} frames)
          </span>
        )}
        <span className="muted small">by {run.created_by ?? '–'}</span>
        <span className="job-actions">
          {canCancel && active && (
            <button
              type="button"
              className="secondary"
              disabled={cancelling || run.cancel_requested}
              onClick={cancel}
              data-testid={`cancel-run-${run.id}`}
            >
              {run.cancel_requested ? 'Cancelling…' : 'Cancel'}
            </button>
          )}
        </span>
      </div>
      {(active || run.status === 'failed' || run.status === 'cancelled') && (
        <>
          <div
            className="progress-bar"
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.floor(width)}
            data-testid={`run-progress-${run.id}`}
          >
            <div className="progress-fill" style={{ width: `${width}%` }} />
            <span className="progress-text">{Math.floor(width)}%</span>
          </div>
          {active && (
            <p className="small muted">
              {framesText(run.frames_done, totalFrames)} · ETA{' '}
              <span data-testid={`run-eta-${run.id}`}>{formatEta(run.eta_seconds)}</span>
              {run.attempt > 1 && ` · attempt ${run.attempt}`}
            </p>
          )}
        </>
      )}
      {run.message && <div className="job-message">{run.message}</div>}
      {run.error && (
        <details className="job-error error" data-testid={`run-error-${run.id}`}>
          <summary>{run.error.split('\n')[0]}</summary>
          <pre>{run.error}</pre>
        </details>
      )}
      {done && (
        <>
          <dl className="job-facts small">
            <dt>Mean confidence</dt>
            <dd data-testid={`run-mean-score-${run.id}`}>{formatScore(run.summary.mean_score)}</dd>
            <dt>Speed</dt>
            <dd data-testid={`run-fps-${run.id}`}>{formatFps(run.summary.frames_per_second)}</dd>
            <dt>Frames</dt>
            <dd>{run.summary.frames ?? run.frames_done}</dd>
            {tracking && (
              <>
                <dt>Tracking</dt>
                <dd data-testid={`run-tracking-${run.id}`} title="Tracking speed, apart from inference">
                  {tracksText(tracking.tracks)} · {formatFps(tracking.frames_per_second)}
                </dd>
              </>
            )}
          </dl>
          {run.summary.video_error && <p className="small error">Labeled video failed: {run.summary.video_error}</p>}
          <div className="run-exports small">
            Download:{' '}
            {exports.map((e) => (
              <a key={e.fmt} href={e.url} download data-testid={`export-${run.id}-${e.fmt}`}>
                {e.label}
              </a>
            ))}
          </div>
          <div className="run-actions">
            {(tracking || run.tracking) && (
              <a className="button-link" href={`/projects/${run.project}/runs/${run.id}/proofread`} data-testid={`proofread-${run.id}`}>
                Proofread tracks
              </a>
            )}
            {videoUrl && (
              <button
                type="button"
                className={`secondary${watching ? ' checked' : ''}`}
                aria-pressed={watching}
                onClick={() => setWatching((w) => !w)}
                data-testid={`watch-${run.id}`}
              >
                {watching ? 'Hide video' : 'Watch'}
              </button>
            )}
            {canRun && (
              <>
                <select
                  aria-label="Training preset"
                  value={preset}
                  onChange={(e) => setPreset(e.target.value as TrainPreset)}
                  data-testid={`retrain-preset-${run.id}`}
                >
                  <option value="fast">fast</option>
                  <option value="balanced">balanced</option>
                  <option value="accurate">accurate</option>
                </select>
                <button
                  type="button"
                  className="secondary"
                  disabled={retraining}
                  onClick={retrain}
                  data-testid={`retrain-${run.id}`}
                  title={`Train a new model from v${run.model_version_number} on the labels as they are now`}
                >
                  {retraining ? 'Starting…' : 'Retrain with new labels'}
                </button>
              </>
            )}
          </div>
          <RetrackPanel run={run} onRetrack={canRun ? onRetrack : undefined} maxInstances={maxInstances} />
          {job && (
            <p className="notice small" data-testid={`retrain-result-${run.id}`}>
              Training job #{job.id} started (warm start from v{run.model_version_number}).{' '}
              <a href={trainingHref}>See it under Training</a>.
            </p>
          )}
          <ErrorMessage error={retrainError} testId={`retrain-error-${run.id}`} />
          {watching && videoUrl && (
            <video
              className="labeled-video"
              src={videoUrl}
              controls
              preload="metadata"
              data-testid={`labeled-video-${run.id}`}
            />
          )}
        </>
      )}
    </li>
  );
}
