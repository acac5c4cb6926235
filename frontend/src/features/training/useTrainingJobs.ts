/**
 * The job list of a project, kept fresh: re-fetched 2 s after each answer
 * while any job is queued or running (a timeout chain, so a slow server never
 * gets overlapping polls), stopped when all jobs are done and on unmount.
 * Starting / cancelling updates the list in place.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useAsync } from '../../lib/useAsync';
import type { TrainingJob, TrainingJobCreate } from '../../types/api';
import { cancelTrainingJob, getTrainingJobs, startTrainingJob } from './api/training';
import { anyActive, JOB_POLL_MS, newlyFinished, upsertJob } from './jobs';

export interface TrainingJobs {
  jobs: TrainingJob[] | undefined;
  error: unknown;
  polling: boolean;
  /** Starts a job; resolves with it, or undefined after a failure (see `startError`). */
  start: (body: TrainingJobCreate) => Promise<TrainingJob | undefined>;
  starting: boolean;
  startError: unknown;
  clearStartError: () => void;
  cancel: (jobId: number) => Promise<void>;
  cancelError: unknown;
}

export function useTrainingJobs(projectId: number, onFinished?: (jobs: TrainingJob[]) => void): TrainingJobs {
  const list = useAsync((signal) => getTrainingJobs(projectId, signal), [projectId]);
  const { data, error, reload, setData } = list;
  const polling = data ? anyActive(data) : false;
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<unknown>(null);
  const [cancelError, setCancelError] = useState<unknown>(null);

  // Poll: one timer per answer (data or error), only while something is active.
  useEffect(() => {
    if (!polling) return;
    const id = setTimeout(reload, JOB_POLL_MS);
    return () => clearTimeout(id);
  }, [polling, data, error, reload]);

  // Tell the caller when jobs finish (e.g. to reload the model versions).
  const onFinishedRef = useRef(onFinished);
  onFinishedRef.current = onFinished;
  const previous = useRef<TrainingJob[] | undefined>(undefined);
  useEffect(() => {
    if (!data) return;
    const done = previous.current ? newlyFinished(previous.current, data) : [];
    previous.current = data;
    if (done.length) onFinishedRef.current?.(done);
  }, [data]);

  // Latest list for the async callbacks below.
  const dataRef = useRef(data);
  dataRef.current = data;

  const start = useCallback(
    async (body: TrainingJobCreate) => {
      setStarting(true);
      setStartError(null);
      try {
        const job = await startTrainingJob(projectId, body);
        setData(upsertJob(dataRef.current ?? [], job));
        return job;
      } catch (err) {
        setStartError(err);
        return undefined;
      } finally {
        setStarting(false);
      }
    },
    [projectId, setData],
  );

  const cancel = useCallback(
    async (jobId: number) => {
      setCancelError(null);
      try {
        const job = await cancelTrainingJob(jobId);
        setData(upsertJob(dataRef.current ?? [], job));
      } catch (err) {
        setCancelError(err);
      }
    },
    [setData],
  );

  const clearStartError = useCallback(() => setStartError(null), []);

  return { jobs: data, error, polling, start, starting, startError, clearStartError, cancel, cancelError };
}
