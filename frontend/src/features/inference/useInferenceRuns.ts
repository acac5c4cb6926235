/**
 * The inference runs of a project, kept fresh: re-fetched RUN_POLL_MS after
 * each answer while any run is queued or running (a timeout chain, so polls
 * never overlap), stopped when all are finished and on unmount. Starting and
 * cancelling update the list in place.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useAsync } from '../../lib/useAsync';
import type { InferenceRun, InferenceRunCreate, TrackingSettings } from '../../types/api';
import { cancelInferenceRun, getInferenceRuns, retrackRun, startInferenceRuns } from './api/inference';
import { anyRunActive, RUN_POLL_MS, runsNewlyFinished, upsertRuns } from './runs';

export interface InferenceRuns {
  runs: InferenceRun[] | undefined;
  error: unknown;
  polling: boolean;
  start: (body: InferenceRunCreate) => Promise<InferenceRun[] | undefined>;
  starting: boolean;
  startError: unknown;
  cancel: (runId: number) => Promise<void>;
  cancelError: unknown;
  /** Queue a re-tracking; the run shows it (and polling follows it) at once. Throws on refusal. */
  retrack: (runId: number, tracking: TrackingSettings | null) => Promise<void>;
}

export function useInferenceRuns(projectId: number, onFinished?: (runs: InferenceRun[]) => void): InferenceRuns {
  const list = useAsync((signal) => getInferenceRuns(projectId, signal), [projectId]);
  const { data, error, reload, setData } = list;
  const polling = data ? anyRunActive(data) : false;
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<unknown>(null);
  const [cancelError, setCancelError] = useState<unknown>(null);

  useEffect(() => {
    if (!polling) return;
    const id = setTimeout(reload, RUN_POLL_MS);
    return () => clearTimeout(id);
  }, [polling, data, error, reload]);

  const onFinishedRef = useRef(onFinished);
  onFinishedRef.current = onFinished;
  const previous = useRef<InferenceRun[] | undefined>(undefined);
  useEffect(() => {
    if (!data) return;
    const done = previous.current ? runsNewlyFinished(previous.current, data) : [];
    previous.current = data;
    if (done.length) onFinishedRef.current?.(done);
  }, [data]);

  const dataRef = useRef(data);
  dataRef.current = data;

  const start = useCallback(
    async (body: InferenceRunCreate) => {
      setStarting(true);
      setStartError(null);
      try {
        const runs = await startInferenceRuns(projectId, body);
        setData(upsertRuns(dataRef.current ?? [], runs));
        return runs;
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
    async (runId: number) => {
      setCancelError(null);
      try {
        const run = await cancelInferenceRun(runId);
        setData(upsertRuns(dataRef.current ?? [], [run]));
      } catch (err) {
        setCancelError(err);
      }
    },
    [setData],
  );

  const retrack = useCallback(
    async (runId: number, tracking: TrackingSettings | null) => {
      const job = await retrackRun(runId, tracking);
      const run = dataRef.current?.find((r) => r.id === runId);
      if (run) setData(upsertRuns(dataRef.current ?? [], [{ ...run, retrack: job }]));
    },
    [setData],
  );

  return { runs: data, error, polling, start, starting, startError, cancel, cancelError, retrack };
}
