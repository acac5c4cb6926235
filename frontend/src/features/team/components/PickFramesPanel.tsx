/**
 * Frame picking: choose a video, a method (uniform / random / k-means on image
 * features) and N; start a pick job and follow its progress bar until done.
 * Picked frames become "to do" frames handed out by "next frame for me".
 */
import { useEffect, useState } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { ApiError } from '../../../lib/api';
import type { PickJob, PickMethod, Video } from '../../../types/api';
import { getPickJob, startPickFrames } from '../api/team';
import { describePickJob, isPickJobFinished } from '../logic';

export const PICK_POLL_MS = 1000;

const METHOD_HELP: Record<PickMethod, string> = {
  uniform: 'evenly spaced through the video',
  random: 'random frames (seeded)',
  kmeans: 'diverse frames: k-means clusters of downscaled frames, one per cluster',
};

export function PickFramesPanel(props: { videos: readonly Video[]; onFinished?(job: PickJob): void }) {
  const ready = props.videos.filter((v) => v.status === 'ready');
  const [videoId, setVideoId] = useState<number | null>(null);
  const [method, setMethod] = useState<PickMethod>('kmeans');
  const [count, setCount] = useState(20);
  const [job, setJob] = useState<PickJob | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  const chosen = videoId ?? ready[0]?.id ?? null;
  const video = ready.find((v) => v.id === chosen);
  const onFinished = props.onFinished;

  // Poll the job until it is finished.
  const jobId = job && !isPickJobFinished(job) ? job.id : null;
  useEffect(() => {
    if (jobId === null) return;
    const controller = new AbortController();
    let failures = 0;
    const id = setInterval(() => {
      getPickJob(jobId, controller.signal).then(
        (j) => {
          failures = 0;
          setJob(j);
          if (isPickJobFinished(j)) onFinished?.(j);
        },
        (err: unknown) => {
          if (controller.signal.aborted) return;
          failures += 1;
          if (!(err instanceof ApiError && err.isNetworkError) || failures >= 5) setError(err);
        },
      );
    }, PICK_POLL_MS);
    return () => {
      controller.abort();
      clearInterval(id);
    };
  }, [jobId, onFinished]);

  async function start() {
    if (chosen === null) return;
    setStarting(true);
    setError(null);
    try {
      const created = await startPickFrames(chosen, { method, count });
      setJob(created);
      if (isPickJobFinished(created)) onFinished?.(created);
    } catch (err) {
      setError(err);
    } finally {
      setStarting(false);
    }
  }

  const running = job !== null && !isPickJobFinished(job);
  const pct = job ? Math.round(Math.min(1, Math.max(0, job.status === 'succeeded' ? 1 : job.progress)) * 100) : 0;
  return (
    <section className="card" data-testid="pick-frames">
      <h2>Pick frames to label</h2>
      {ready.length === 0 ? (
        <p className="muted">No processed video yet.</p>
      ) : (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void start();
          }}
        >
          <label>
            Video{' '}
            <select data-testid="pick-video" value={chosen ?? ''} onChange={(e) => setVideoId(Number(e.target.value))}>
              {ready.map((v) => (
                <option key={v.id} value={v.id}>
                  {v.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Method{' '}
            <select data-testid="pick-method" value={method} onChange={(e) => setMethod(e.target.value as PickMethod)}>
              <option value="uniform">uniform</option>
              <option value="random">random</option>
              <option value="kmeans">k-means (diverse)</option>
            </select>
          </label>
          <label>
            Frames{' '}
            <input
              type="number"
              data-testid="pick-count"
              min={1}
              max={video?.frame_count ?? undefined}
              value={count}
              onChange={(e) => setCount(Math.max(1, Math.floor(Number(e.target.value) || 1)))}
            />
          </label>
          <button type="submit" data-testid="pick-start" disabled={starting || running}>
            {running ? 'Picking…' : 'Start'}
          </button>
          <span className="muted small">{METHOD_HELP[method]}</span>
        </form>
      )}
      <ErrorMessage error={error} testId="pick-error" />
      {job && (
        <div className="pick-job" data-testid="pick-job" data-status={job.status}>
          <progress max={100} value={pct} data-testid="pick-progress" aria-label="Frame picking progress" />
          <span className={job.status === 'failed' ? 'error small' : 'small'} data-testid="pick-status">
            {describePickJob(job)}
          </span>
          {job.status === 'succeeded' && job.frames.length > 0 && (
            <p className="muted small">
              Frames: {job.frames.slice(0, 40).join(', ')}
              {job.frames.length > 40 ? ` … (+${job.frames.length - 40})` : ''}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
