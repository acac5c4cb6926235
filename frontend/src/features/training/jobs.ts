/** Pure helpers about training jobs: which are active, what changed between polls. */
import type { TrainingJob, TrainingJobStatus } from '../../types/api';

/** Poll interval while any job is queued or running. */
export const JOB_POLL_MS = 2000;

export const ACTIVE_STATUSES: readonly TrainingJobStatus[] = ['queued', 'running'];

export const isActive = (job: Pick<TrainingJob, 'status'>) => ACTIVE_STATUSES.includes(job.status);

export const anyActive = (jobs: readonly Pick<TrainingJob, 'status'>[]) => jobs.some(isActive);

/** Jobs that were queued/running in `prev` and have finished (any terminal status) in `next`. */
export function newlyFinished<J extends Pick<TrainingJob, 'id' | 'status'>>(prev: readonly J[], next: readonly J[]): J[] {
  const wasActive = new Set(prev.filter(isActive).map((j) => j.id));
  return next.filter((j) => wasActive.has(j.id) && !isActive(j));
}

/** Replaces the job with the same id, or puts a new one first (the list is newest first). */
export function upsertJob<J extends Pick<TrainingJob, 'id'>>(jobs: readonly J[], job: J): J[] {
  return jobs.some((j) => j.id === job.id) ? jobs.map((j) => (j.id === job.id ? job : j)) : [job, ...jobs];
}

/** The job whose loss chart to show: the chosen one if still listed, else the newest. */
export function chartJob<J extends Pick<TrainingJob, 'id'>>(jobs: readonly J[], selectedId: number | null): J | undefined {
  return jobs.find((j) => j.id === selectedId) ?? jobs[0];
}
