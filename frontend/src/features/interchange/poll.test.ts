import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../lib/api';
import type { ImportExportJob } from '../../types/api';
import { describeJob, isFinished, MAX_NETWORK_FAILURES, percent, pollJob } from './poll';

function job(over: Partial<ImportExportJob> = {}): ImportExportJob {
  return {
    id: 7, kind: 'import', status: 'queued', progress: 0, message: '', error: '', project: null, format: 'zip',
    options: {}, input_name: 'p.zip', created_at: '2024-01-01T00:00:00Z', started_at: null, finished_at: null,
    download_url: null, result: {}, ...over,
  };
}

describe('job text', () => {
  it('percent clamps and rounds', () => {
    expect(percent(0.424)).toBe(42);
    expect(percent(1.5)).toBe(100);
    expect(percent(-1)).toBe(0);
    expect(percent(Number.NaN)).toBe(0);
  });

  it('describes each status', () => {
    expect(describeJob(job())).toMatch(/Queued/);
    expect(describeJob(job({ status: 'running', progress: 0.5, message: 'Encoding images (5/10)' }))).toBe(
      'Encoding images (5/10) – 50%',
    );
    expect(describeJob(job({ status: 'succeeded', message: "Imported project 'x'" }))).toBe("Imported project 'x'");
    expect(describeJob(job({ status: 'failed', error: 'config.yaml is missing' }))).toBe('config.yaml is missing');
    expect(isFinished(job({ status: 'running' }))).toBe(false);
    expect(isFinished(job({ status: 'failed' }))).toBe(true);
  });
});

describe('pollJob', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('polls every interval until the job finishes, reporting each answer', async () => {
    const answers = [
      job({ status: 'queued' }),
      job({ status: 'running', progress: 0.3, message: 'Reading' }),
      job({ status: 'running', progress: 0.8, message: 'Saving labels' }),
      job({ status: 'succeeded', progress: 1, project: 12 }),
    ];
    const fetchJob = vi.fn(async (_id: number, _signal: AbortSignal) => answers.shift()!);
    const seen: number[] = [];
    const done = pollJob(7, {
      fetchJob, onUpdate: (j) => seen.push(j.progress), signal: new AbortController().signal, intervalMs: 1000,
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(fetchJob).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(fetchJob).toHaveBeenCalledTimes(1); // not before the interval
    await vi.advanceTimersByTimeAsync(1);
    expect(fetchJob).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(2000);
    const finished = await done;
    expect(finished.project).toBe(12);
    expect(seen).toEqual([0, 0.3, 0.8, 1]);
    expect(fetchJob).toHaveBeenCalledTimes(4);
    expect(fetchJob.mock.calls[0]![0]).toBe(7);
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetchJob).toHaveBeenCalledTimes(4); // stopped
  });

  it('resolves with a failed job too', async () => {
    const fetchJob = vi.fn(async () => job({ status: 'failed', error: 'bad zip' }));
    const finished = await pollJob(7, { fetchJob, onUpdate: () => {}, signal: new AbortController().signal });
    expect(finished.error).toBe('bad zip');
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const fetchJob = vi.fn(async () => job({ status: 'running' }));
    const done = pollJob(7, { fetchJob, onUpdate: () => {}, signal: controller.signal });
    const outcome = expect(done).rejects.toMatchObject({ name: 'AbortError' });
    await vi.advanceTimersByTimeAsync(2500);
    expect(fetchJob).toHaveBeenCalledTimes(3);
    controller.abort();
    await outcome;
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetchJob).toHaveBeenCalledTimes(3);
  });

  it('retries network errors, but gives up after several in a row', async () => {
    let calls = 0;
    const fetchJob = vi.fn(async () => {
      calls += 1;
      if (calls === 2) throw new ApiError(0, 'Network error');
      if (calls >= 4) throw new ApiError(0, 'Network error');
      return job({ status: 'running' });
    });
    const done = pollJob(7, { fetchJob, onUpdate: () => {}, signal: new AbortController().signal, intervalMs: 10 });
    const outcome = expect(done).rejects.toMatchObject({ status: 0 });
    await vi.advanceTimersByTimeAsync(1000);
    await outcome;
    expect(fetchJob).toHaveBeenCalledTimes(3 + MAX_NETWORK_FAILURES);
  });

  it('fails at once on an HTTP error (the job is gone)', async () => {
    const fetchJob = vi.fn(async () => {
      throw new ApiError(404, 'Not found.');
    });
    await expect(
      pollJob(7, { fetchJob, onUpdate: () => {}, signal: new AbortController().signal }),
    ).rejects.toMatchObject({ status: 404 });
    expect(fetchJob).toHaveBeenCalledTimes(1);
  });
});
