/**
 * Polling of an import/export job until it is finished, as plain functions
 * (no React) so the timing logic is testable with fake timers.
 */
import { ApiError } from '../../lib/api';
import type { ImportExportJob } from '../../types/api';

export const POLL_INTERVAL_MS = 1000;
/** Network errors in a row after which polling gives up. */
export const MAX_NETWORK_FAILURES = 5;

export function isFinished(job: Pick<ImportExportJob, 'status'>): boolean {
  return job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled';
}

/** 0..100, whole percent, clamped. */
export function percent(fraction: number): number {
  if (!Number.isFinite(fraction)) return 0;
  return Math.round(Math.min(1, Math.max(0, fraction)) * 100);
}

/** One line for the user: "Queued", "Encoding images (10/116) – 42%", "Imported ...", the error. */
export function describeJob(job: ImportExportJob): string {
  switch (job.status) {
    case 'queued':
      return 'Queued – waiting for a worker';
    case 'running':
      return `${job.message || 'Working'} – ${percent(job.progress)}%`;
    case 'succeeded':
      return job.message || 'Done';
    case 'failed':
      return job.error || job.message || 'Failed';
    case 'cancelled':
      return job.message || 'Cancelled';
  }
}

export interface PollOptions {
  fetchJob: (jobId: number, signal: AbortSignal) => Promise<ImportExportJob>;
  onUpdate: (job: ImportExportJob) => void;
  signal: AbortSignal;
  intervalMs?: number;
  /** Injected for tests; defaults to setTimeout. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

function abortError(): DOMException {
  return new DOMException('Polling stopped', 'AbortError');
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * GET the job every `intervalMs` until it succeeded or failed; `onUpdate` sees every
 * answer. Resolves with the finished job. Rejects with an AbortError when `signal`
 * aborts, at once on an HTTP error (403/404: the job is gone), and after
 * MAX_NETWORK_FAILURES network errors in a row (a single dropped request is retried).
 */
export async function pollJob(jobId: number, options: PollOptions): Promise<ImportExportJob> {
  const wait = options.sleep ?? sleep;
  const interval = options.intervalMs ?? POLL_INTERVAL_MS;
  let failures = 0;
  for (;;) {
    if (options.signal.aborted) throw abortError();
    let job: ImportExportJob | null = null;
    try {
      job = await options.fetchJob(jobId, options.signal);
      failures = 0;
    } catch (err) {
      if (options.signal.aborted) throw abortError();
      if (!(err instanceof ApiError) || !err.isNetworkError) throw err;
      failures += 1;
      if (failures >= MAX_NETWORK_FAILURES) throw err;
    }
    if (job) {
      options.onUpdate(job);
      if (isFinished(job)) return job;
    }
    await wait(interval, options.signal);
  }
}
