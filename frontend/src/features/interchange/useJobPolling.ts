/** React side of poll.ts: follow one job (by id) until it is finished. */
import { useEffect, useState } from 'react';
import type { ImportExportJob } from '../../types/api';
import { getImportExportJob } from './api/jobs';
import { pollJob, POLL_INTERVAL_MS } from './poll';

export interface JobPolling {
  job: ImportExportJob | null;
  /** Polling itself failed (job vanished, server unreachable); the job's own failure is job.error. */
  pollError: unknown;
}

/**
 * Polls GET /api/import-export-jobs/{id}/ every second while `initial` (the job the
 * POST returned) is unfinished. A new `initial` restarts; unmounting stops.
 */
export function useJobPolling(
  initial: ImportExportJob | null,
  onFinished?: (job: ImportExportJob) => void,
  intervalMs: number = POLL_INTERVAL_MS,
): JobPolling {
  const [job, setJob] = useState<ImportExportJob | null>(initial);
  const [pollError, setPollError] = useState<unknown>(null);

  useEffect(() => {
    setJob(initial);
    setPollError(null);
    if (!initial) return;
    const controller = new AbortController();
    pollJob(initial.id, {
      fetchJob: getImportExportJob,
      onUpdate: (j) => {
        if (!controller.signal.aborted) setJob(j);
      },
      signal: controller.signal,
      intervalMs,
    }).then(
      (finished) => {
        if (!controller.signal.aborted) onFinished?.(finished);
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setPollError(err);
      },
    );
    return () => controller.abort();
    // onFinished is a callback prop; following a job must not restart when it changes.
  }, [initial, intervalMs]);

  return { job, pollError };
}
