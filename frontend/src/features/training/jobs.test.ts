import { describe, expect, it } from 'vitest';
import type { TrainingJob } from '../../types/api';
import { anyActive, chartJob, isActive, newlyFinished, upsertJob } from './jobs';

describe('job helpers', () => {
  it('knows active statuses', () => {
    expect(isActive({ status: 'queued' })).toBe(true);
    expect(isActive({ status: 'running' })).toBe(true);
    expect(isActive({ status: 'failed' })).toBe(false);
    expect(anyActive([{ status: 'succeeded' }, { status: 'cancelled' }])).toBe(false);
    expect(anyActive([{ status: 'succeeded' }, { status: 'queued' }])).toBe(true);
    expect(anyActive([])).toBe(false);
  });

  it('finds jobs that finished between two polls', () => {
    type J = Pick<TrainingJob, 'id' | 'status'>;
    const prev: J[] = [{ id: 3, status: 'running' }, { id: 2, status: 'queued' }, { id: 1, status: 'failed' }];
    const next: J[] = [{ id: 4, status: 'succeeded' }, { id: 3, status: 'succeeded' }, { id: 2, status: 'running' }, { id: 1, status: 'failed' }];
    expect(newlyFinished(prev, next)).toEqual([{ id: 3, status: 'succeeded' }]);
    expect(newlyFinished([], next)).toEqual([]);
  });

  it('upserts and picks the chart job', () => {
    const jobs = [{ id: 2, v: 'a' }, { id: 1, v: 'b' }];
    expect(upsertJob(jobs, { id: 1, v: 'c' })).toEqual([{ id: 2, v: 'a' }, { id: 1, v: 'c' }]);
    expect(upsertJob(jobs, { id: 3, v: 'd' })[0]).toEqual({ id: 3, v: 'd' });
    expect(chartJob(jobs, 1)).toEqual({ id: 1, v: 'b' });
    expect(chartJob(jobs, 99)).toEqual({ id: 2, v: 'a' });
    expect(chartJob([], null)).toBeUndefined();
  });
});
