import { describe, expect, it } from 'vitest';
import type { ModelMetrics, ModelVersion } from '../../types/api';
import {
  betterIndex, compareMetricsFor, configDiff, evaluatedFrames, isMultiAnimalMetrics, flatten, formatMetric, formatPck, formatPx, formatSeconds, joinNodeErrors,
  perNodeErrors, trainPresetOf, evaluation, comparabilityWarning,
} from './metrics';

const version = (metrics: ModelVersion['metrics'], config: ModelVersion['config'] = {}) => ({ metrics, config });
/** Lists as per_node_rmse_px: not what the API sends (a name → value map), but read anyway. */
const list = (items: unknown[]) => items as unknown as ModelMetrics['per_node_rmse_px'];

describe('perNodeErrors', () => {
  it('reads a map in skeleton order, unknown names last', () => {
    const v = version({ per_node_rmse_px: { tail: 3, extra: 9, snout: 1.5, ear: null } }, { node_names: ['snout', 'ear', 'tail'] });
    expect(perNodeErrors(v)).toEqual([
      { node: 'snout', value: 1.5 },
      { node: 'ear', value: null },
      { node: 'tail', value: 3 },
      { node: 'extra', value: 9 },
    ]);
  });

  it('reads lists of numbers, pairs and objects', () => {
    const names = { node_names: ['snout', 'tail'] };
    expect(perNodeErrors(version({ per_node_rmse_px: list([1, null]) }, names))).toEqual([
      { node: 'snout', value: 1 },
      { node: 'tail', value: null },
    ]);
    expect(perNodeErrors(version({ per_node_rmse_px: list([1, 2, 3]) }, names))[2]).toEqual({ node: 'node 3', value: 3 });
    expect(perNodeErrors(version({ per_node_rmse_px: list([['a', 2]]) }))).toEqual([{ node: 'a', value: 2 }]);
    expect(perNodeErrors(version({ per_node_rmse_px: list([{ node: 'b', rmse_px: 4 }, { name: 'c', value: 5 }]) }))).toEqual([
      { node: 'b', value: 4 },
      { node: 'c', value: 5 },
    ]);
  });

  it('is empty when missing', () => {
    expect(perNodeErrors(version({}))).toEqual([]);
    expect(perNodeErrors({ metrics: undefined as never, config: undefined as never })).toEqual([]);
  });

  it('joins two versions by node name', () => {
    expect(joinNodeErrors([{ node: 'a', value: 1 }, { node: 'b', value: 2 }], [{ node: 'c', value: 3 }, { node: 'a', value: 4 }])).toEqual([
      { node: 'a', a: 1, b: 4 },
      { node: 'b', a: 2, b: null },
      { node: 'c', a: null, b: 3 },
    ]);
  });
});

describe('metric formatting and comparison', () => {
  it('shows a dash for missing metrics', () => {
    expect(formatPx(1.234)).toBe('1.23 px');
    expect(formatPx(undefined)).toBe('–');
    expect(formatPck(0.8768)).toBe('87.7%');
    expect(formatPck(null)).toBe('–');
    expect(formatMetric({ rmse_px: null }, 'rmse_px', String)).toBe('–');
    expect(formatMetric({ steps: 12 }, 'steps', String)).toBe('12');
    expect(formatSeconds(125)).toBe('2 min 5 s');
    expect(formatSeconds(7200)).toBe('2 h');
    expect(formatSeconds(undefined)).toBe('–');
  });

  it('picks the better value by direction', () => {
    expect(betterIndex(1, 2, 'lower')).toBe(0);
    expect(betterIndex(3, 2, 'lower')).toBe(1);
    expect(betterIndex(0.9, 0.8, 'higher')).toBe(0);
    expect(betterIndex(0.7, 0.8, 'higher')).toBe(1);
    expect(betterIndex(1, 1, 'lower')).toBeNull();
    expect(betterIndex(undefined, 1, 'lower')).toBeNull();
    expect(betterIndex(1, 2, null)).toBeNull();
  });

  it('counts evaluated frames from any of the keys', () => {
    expect(evaluatedFrames({ frames: ['a', 'b'] })).toBe(2);
    expect(evaluatedFrames({ frame_keys: ['a'] })).toBe(1);
    expect(evaluatedFrames({ n_frames: 4 })).toBe(4);
    expect(evaluatedFrames({})).toBeUndefined();
  });
});

describe('configDiff', () => {
  it('flattens nested objects to dotted paths', () => {
    expect(flatten({ a: 1, b: { c: [1, 2], d: { e: null } } })).toEqual({ a: 1, 'b.c': [1, 2], 'b.d.e': null });
  });

  it('lists differing fields only', () => {
    const a = { node_names: ['a', 'b'], train_config: { preset: 'fast', batch_size: 8, seed: 0 }, geometry: { crop_size: 96 } };
    const b = { node_names: ['a', 'b'], train_config: { preset: 'accurate', batch_size: 8 }, geometry: { crop_size: 128 } };
    expect(configDiff(a, b)).toEqual([
      { path: 'geometry.crop_size', a: '96', b: '128' },
      { path: 'train_config.preset', a: 'fast', b: 'accurate' },
      { path: 'train_config.seed', a: '0', b: '–' },
    ]);
    expect(configDiff(a, a)).toEqual([]);
  });

  it('knows the preset of a version', () => {
    expect(trainPresetOf({ config: { train_config: { preset: 'accurate' } } })).toBe('accurate');
    expect(trainPresetOf({ config: { train_config: { preset: 'weird' } } })).toBe('balanced');
    expect(trainPresetOf({ config: {} })).toBe('balanced');
  });
});

describe('multi-animal metrics', () => {
  const multi = {
    rmse_px: 3.5, rmse_matched_px: 3.5, map_oks: 0.72, mar_oks: 0.8, pck: 0.9, pck_threshold_px: 5,
    missed_instances: 2, spurious_instances: 1,
    per_node: { snout: { rmse_px: 2.5, pck: 1 }, tail: { rmse_px: null, pck: null } },
  } as ModelMetrics;

  it('adds the OKS and instance rows only when a version has them', () => {
    const single = compareMetricsFor([version({ rmse_px: 1 })]).map((m) => m.key);
    expect(single).not.toContain('map_oks');
    const rows = compareMetricsFor([version({ rmse_px: 1 }), version(multi)]);
    expect(rows.map((m) => m.key)).toEqual(expect.arrayContaining(['map_oks', 'mar_oks', 'rmse_matched_px', 'pck', 'missed_instances', 'spurious_instances']));
    expect(rows.find((m) => m.key === 'pck')!.label).toBe('PCK@5px, matched instances');
    expect(formatMetric(multi, 'map_oks', rows.find((m) => m.key === 'map_oks')!.format)).toBe('72.0%');
    expect(betterIndex(2, 0, rows.find((m) => m.key === 'missed_instances')!.better)).toBe(1);
    expect(isMultiAnimalMetrics(multi)).toBe(true);
  });

  it('reads per_node (name → {rmse_px, pck}) as the per-node errors', () => {
    expect(perNodeErrors(version(multi, { node_names: ['snout', 'tail'] }))).toEqual([
      { node: 'snout', value: 2.5 },
      { node: 'tail', value: null },
    ]);
  });
});

describe('evaluation', () => {
  it('reports the test set when there is one, keeping the run totals', () => {
    const m = { rmse_px: 2, steps: 10, test: { rmse_px: 5, n_frames: 3 } } as ModelMetrics;
    expect(evaluation(m)).toEqual({ set: 'test', metrics: { rmse_px: 5, steps: 10, n_frames: 3, test: m.test } });
    expect(evaluation({ rmse_px: 2 })).toEqual({ set: 'validation', metrics: { rmse_px: 2 } });
    expect(evaluation(undefined).set).toBe('validation');
  });

  it('warns when two versions were not scored on the same frames', () => {
    const test = (n: number, keys: string[]) => ({ number: n, metrics: { test: { rmse_px: 1, frame_keys: keys } } as ModelMetrics });
    expect(comparabilityWarning(test(1, ['a', 'b']), test(2, ['b', 'a']))).toBeNull();
    expect(comparabilityWarning(test(1, ['a']), test(2, ['c']))).toContain('different test sets');
    expect(comparabilityWarning({ number: 3, metrics: { rmse_px: 1 } }, test(2, ['a']))).toContain('v2 is scored on the test set, v3 on');
    expect(comparabilityWarning({ number: 3, metrics: {} }, { number: 4, metrics: {} })).toContain('validation');
  });
});
