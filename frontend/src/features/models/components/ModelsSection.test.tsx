// @vitest-environment jsdom
/** Model versions table, per-node chart and comparison rendering. */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ModelVersion } from '../../../types/api';
import { ModelsSection } from './ModelsSection';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const config = (preset: string, batch: number) => ({
  node_names: ['snout', 'tail'], edges: [[0, 1]], symmetries: [], preprocessing: {}, geometry: { crop_size: 96 },
  train_config: { preset, batch_size: batch }, extra: {},
});

const v1: ModelVersion = {
  id: 11, project: 1, number: 1, job: 1, parent: null, created_at: '2024-05-01T10:00:00Z', download_url: '/api/model-versions/11/download/',
  metrics: { rmse_px: 4.2, pck_5px: 0.6, pck_10px: 0.9, per_node_rmse_px: { snout: 3, tail: 5 }, frame_keys: ['a', 'b'], train_seconds: 130, stop_reason: 'time_budget', steps: 900 },
  config: config('fast', 8),
};
const v2: ModelVersion = {
  id: 12, project: 1, number: 2, job: 2, parent: 11, created_at: '2024-05-02T10:00:00Z', download_url: null,
  // Metrics missing: no validation frames.
  metrics: { steps: 50, train_seconds: 20, stop_reason: 'completed' },
  config: config('accurate', 8),
};
/** Trained with a pinned test set: the worker adds the test frames' metrics under `test`. */
const tested = (v: ModelVersion, id: number, number: number, rmse: number, frames: string[]): ModelVersion => ({
  ...v, id, number,
  metrics: { ...v.metrics, test: { rmse_px: rmse, pck_5px: 0.5, pck_10px: 0.8, per_node_rmse_px: { snout: 9, tail: 7 }, frame_keys: frames, n_frames: frames.length } },
});
const v3: ModelVersion = {
  ...v1, id: 13, number: 3, parent: 12, download_url: '/api/model-versions/13/download/',
  metrics: { ...v1.metrics, rmse_px: 2.5, pck_5px: 0.8, per_node_rmse_px: { snout: 2, tail: 6 } },
};

let root: Root;
let container: HTMLDivElement;
const $ = (testId: string) => container.querySelector<HTMLElement>(`[data-testid="${testId}"]`);

async function mount(versions: ModelVersion[], onTrainFrom?: (v: ModelVersion) => void) {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  await act(async () => root.render(<ModelsSection versions={versions} error={null} onTrainFrom={onTrainFrom} />));
}

async function choose(testId: string, value: string) {
  const select = $(testId) as HTMLSelectElement;
  await act(async () => {
    select.value = value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
  });
}

beforeEach(() => vi.stubGlobal('fetch', vi.fn()));
afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
});

describe('ModelsSection', () => {
  it('lists versions with metrics, dashes for missing ones, download links and train-from', async () => {
    const trainFrom = vi.fn();
    await mount([v3, v2, v1], trainFrom);
    const rows = $('model-versions')!.querySelectorAll('tbody tr');
    expect([...rows].map((r) => r.getAttribute('data-testid'))).toEqual(['model-version-3', 'model-version-2', 'model-version-1']);
    const cells = (n: number) => [...$(`model-version-${n}`)!.querySelectorAll('td')].map((td) => td.textContent);
    expect(cells(1).slice(1, 10)).toEqual(['v1', expect.any(String), '–', '4.20 px', '60.0%', '90.0%', 'Validation (2)', '2 min 10 s', 'time budget']);
    expect(cells(2).slice(3, 8)).toEqual(['v1', '–', '–', '–', '–']);
    expect($('download-1')!.getAttribute('href')).toBe('/api/model-versions/11/download/');
    expect($('download-1')!.hasAttribute('download')).toBe(true);
    expect($('download-2')).toBeNull();
    await act(async () => $('train-from-2')!.click());
    expect(trainFrom).toHaveBeenCalledWith(v2);
  });

  it('draws the per-node chart of the selected version (newest by default)', async () => {
    await mount([v3, v2, v1]);
    const chart = $('per-node-chart')!;
    expect(chart.tagName.toLowerCase()).toBe('svg');
    expect([...chart.querySelectorAll('g[data-node]')].map((g) => g.getAttribute('data-node'))).toEqual(['snout', 'tail']);
    const radio = $('model-version-1')!.querySelector<HTMLInputElement>('input[type=radio]')!;
    await act(async () => radio.click());
    expect(container.textContent).toContain('Per-node error of v1');
    // v2 has no per-node errors.
    await act(async () => $('model-version-2')!.querySelector<HTMLInputElement>('input[type=radio]')!.click());
    expect($('per-node-chart')!.tagName.toLowerCase()).toBe('p');
  });

  it('compares two versions and highlights the better values', async () => {
    await mount([v3, v2, v1]);
    await choose('compare-a', '11');
    await choose('compare-b', '13');
    const compare = $('compare-versions')!;
    const metric = (key: string) => [...compare.querySelectorAll(`tr[data-metric="${key}"] td`)];
    expect(metric('rmse_px').map((td) => td.textContent)).toEqual(['RMSE', '4.20 px', '2.50 px']);
    expect(metric('rmse_px').map((td) => td.className)).toEqual(['', '', 'better']);
    expect(metric('pck_10px').map((td) => td.className)).toEqual(['', '', '']); // tie
    const nodes = [...$('compare-nodes')!.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent));
    expect(nodes).toEqual([['snout', '3.00', '2.00'], ['tail', '5.00', '6.00']]);
    expect($('compare-per-node-chart')!.querySelectorAll('rect').length).toBeGreaterThanOrEqual(4);
    expect($('compare-config')).toBeNull(); // same config
    await choose('compare-b', '12');
    expect($('compare-config')!.textContent).toContain('train_config.preset');
    expect(metric('rmse_px').map((td) => td.textContent)).toEqual(['RMSE', '4.20 px', '–']);
  });

  it('reports test figures when a version has a test set and says which set each figure is from', async () => {
    const v4 = tested(v1, 14, 4, 6.5, ['t1', 't2', 't3']);
    await mount([v4, v3]);
    expect($('rmse-4')!.textContent).toBe('6.50 px');
    expect($('scored-on-4')!.textContent).toBe('Test (3)');
    expect($('val-rmse-4')!.textContent).toBe('4.20 px');
    expect($('scored-on-3')!.textContent).toBe('Validation (2)');
    expect(container.textContent).toContain('Per-node error of v4 (test set)');
    expect([...$('per-node-chart')!.querySelectorAll('g[data-node]')].map((g) => g.getAttribute('data-node'))).toEqual(['snout', 'tail']);
    await choose('compare-a', '14');
    await choose('compare-b', '13');
    const rmse = [...$('compare-versions')!.querySelectorAll('tr[data-metric="rmse_px"] td')].map((td) => td.textContent);
    expect(rmse).toEqual(['RMSE', '6.50 px', '2.50 px']);
    expect($('compare-warning')!.textContent).toContain('v4 is scored on the test set, v3 on its own validation frames');
  });

  it('says when a warm start had already trained on some test frames', async () => {
    const base = tested(v1, 16, 6, 3, ['t1', 't2']);
    const child = { ...base, metrics: { ...base.metrics, test: { ...base.metrics.test, seen_by_parent_frames: ['t2'] } } };
    await mount([child]);
    expect($('scored-on-6')!.textContent).toBe('Test (2) (1 seen by a parent model)');
  });

  it('compares two versions on the same test set without a warning', async () => {
    await mount([tested(v3, 15, 5, 3, ['t1', 't2']), tested(v1, 14, 4, 4, ['t2', 't1'])]);
    expect($('compare-warning')).toBeNull();
    expect([...$('compare-versions')!.querySelectorAll('tr[data-metric="rmse_px"] td')].map((td) => td.className)).toEqual(['', '', 'better']);
  });
});
