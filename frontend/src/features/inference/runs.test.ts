import { describe, expect, it } from 'vitest';
import type { InferenceRun } from '../../types/api';
import {
  anyRunActive,
  buildRunRequest,
  formatEta,
  formatFps,
  formatScore,
  framesText,
  newestVersionId,
  runExports,
  runsNewlyFinished,
  upsertRuns,
  type RunForm,
} from './runs';

const form = (over: Partial<RunForm> = {}): RunForm => ({
  modelVersion: 3, videos: [7, 8], smoothing: 'none', window: '5', suggest: '', renderVideo: true, ...over,
});

describe('buildRunRequest', () => {
  it('sends the chosen model and videos, with defaults left out', () => {
    expect(buildRunRequest(form())).toEqual({ body: { model_version: 3, videos: [7, 8], render_video: true } });
  });

  it('adds smoothing and the number of suggestions', () => {
    expect(buildRunRequest(form({ smoothing: 'savgol', window: '7', suggest: '5', renderVideo: false }))).toEqual({
      body: { model_version: 3, videos: [7, 8], render_video: false, smoothing: { method: 'savgol', window: 7 }, suggest: 5 },
    });
    expect(buildRunRequest(form({ suggest: '0' }))).toMatchObject({ body: { suggest: 0 } });
  });

  it('explains what is missing or invalid', () => {
    expect(buildRunRequest(form({ modelVersion: null }))).toEqual({ error: 'Choose a model version.' });
    expect(buildRunRequest(form({ videos: [] }))).toEqual({ error: 'Choose at least one video.' });
    for (const window of ['4', '1', '103', 'x', '']) {
      expect(buildRunRequest(form({ smoothing: 'median', window }))).toHaveProperty('error');
    }
    for (const suggest of ['-1', '501', '2.5', 'many']) {
      expect(buildRunRequest(form({ suggest }))).toHaveProperty('error');
    }
  });
});

describe('run list helpers', () => {
  it('knows active runs and which just finished', () => {
    type R = Pick<InferenceRun, 'id' | 'status'>;
    const prev: R[] = [{ id: 1, status: 'running' }, { id: 2, status: 'queued' }, { id: 3, status: 'failed' }];
    const next: R[] = [{ id: 1, status: 'succeeded' }, { id: 2, status: 'running' }, { id: 3, status: 'failed' }];
    expect(anyRunActive(prev)).toBe(true);
    expect(anyRunActive([{ status: 'cancelled' }, { status: 'succeeded' }])).toBe(false);
    expect(runsNewlyFinished(prev, next).map((r) => r.id)).toEqual([1]);
  });

  it('upserts runs newest first', () => {
    const runs = [{ id: 4, v: 'a' }, { id: 2, v: 'a' }];
    expect(upsertRuns(runs, [{ id: 2, v: 'b' }, { id: 6, v: 'b' }, { id: 5, v: 'b' }])).toEqual([
      { id: 6, v: 'b' }, { id: 5, v: 'b' }, { id: 4, v: 'a' }, { id: 2, v: 'b' },
    ]);
  });

  it('orders exports and keeps unknown formats', () => {
    const exports = { xyz: '/x', video: '/v', nwb: '/n', slp: '/s', 'dlc-csv': '/c' };
    expect(runExports({ exports }).map((e) => e.fmt)).toEqual(['dlc-csv', 'slp', 'video', 'nwb', 'xyz']);
    expect(runExports({ exports: {} })).toEqual([]);
  });

  it('preselects the newest version', () => {
    expect(newestVersionId([{ id: 10, number: 1 }, { id: 12, number: 3 }, { id: 11, number: 2 }])).toBe(12);
    expect(newestVersionId([])).toBeNull();
  });
});

describe('formatting', () => {
  it('formats scores, speed, ETA and frames', () => {
    expect(formatScore(0.734)).toBe('0.73');
    expect(formatScore(null)).toBe('–');
    expect(formatFps(123.4)).toBe('123 fps');
    expect(formatFps(4.56)).toBe('4.6 fps');
    expect(formatFps(undefined)).toBe('–');
    expect(formatEta(45)).toBe('45 s');
    expect(formatEta(130)).toBe('2 min 10 s');
    expect(formatEta(3900)).toBe('1 h 5 min');
    expect(formatEta(null)).toBe('–');
    expect(framesText(12, 60)).toBe('12 / 60 frames');
    expect(framesText(12, null)).toBe('12 frames');
  });
});
