// @vitest-environment jsdom
/** The pretraining panel against a fake backend: status, start, polling, cancel, viewers. */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PretrainJob } from '../../../types/api';
import { PretrainPanel } from './PretrainPanel';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const job = (overrides: Partial<PretrainJob>): PretrainJob => ({
  id: 1, project: 1, status: 'queued', progress: 0, eta_seconds: null, message: 'Waiting for a worker', error: '',
  cancel_requested: false, config: {}, result: null, created_by: 'bob', created_at: '2024-05-01T10:00:00Z',
  started_at: null, finished_at: null, ...overrides,
});

let jobs: PretrainJob[];
let requests: string[];
let root: Root;
let container: HTMLDivElement;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  jobs = [];
  requests = [];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    requests.push(`${method} ${url}`);
    if (url === '/api/projects/1/pretrain-jobs/' && method === 'GET') return json(200, jobs);
    if (url === '/api/projects/1/pretrain-jobs/' && method === 'POST') {
      jobs = [job({ id: 2 })];
      return json(201, jobs[0]);
    }
    if (url === '/api/pretrain-jobs/2/cancel/') {
      jobs = [job({ id: 2, status: 'cancelled', message: 'Cancelled before it started' })];
      return json(200, jobs[0]);
    }
    return json(404, { message: 'Not found.' });
  }));
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const $ = (id: string) => container.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const advance = (ms: number) => act(async () => { await vi.advanceTimersByTimeAsync(ms); });

async function mount(canStart: boolean) {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  await act(async () => root.render(<PretrainPanel projectId={1} canStart={canStart} />));
  await advance(0);
}

describe('PretrainPanel', () => {
  it('starts a pretraining, polls it while it runs and cancels it', async () => {
    await mount(true);
    expect($('pretrain-none')).not.toBeNull();
    await act(async () => $('pretrain-start')!.click());
    await advance(0);
    expect(requests).toContain('POST /api/projects/1/pretrain-jobs/');
    expect($('pretrain-latest')!.dataset.status).toBe('queued');
    expect($('pretrain-start')).toBeNull();
    jobs = [job({ id: 2, status: 'running', progress: 0.25, message: 'Pretraining (loss 0.0200)' })];
    await advance(2000);
    expect($('pretrain-summary')!.textContent).toBe('Pretraining (loss 0.0200)');
    expect($('pretrain-progress')!.getAttribute('aria-valuenow')).toBe('25');
    await act(async () => $('pretrain-cancel')!.click());
    await advance(0);
    expect($('pretrain-latest')!.dataset.status).toBe('cancelled');
    const gets = requests.filter((r) => r.startsWith('GET')).length;
    await advance(10_000);
    expect(requests.filter((r) => r.startsWith('GET')).length).toBe(gets); // polling stopped
  });

  it('shows a finished pretraining to a viewer without buttons', async () => {
    jobs = [job({ status: 'succeeded', result: { status: 'time_budget', steps: 420, seconds: 180, initial_loss: 0.05, final_loss: 0.01, frames: 200 } })];
    await mount(false);
    expect($('pretrain-summary')!.textContent).toBe('200 frames, 420 steps, loss 0.0500 → 0.0100');
    expect($('pretrain-start')).toBeNull();
  });
});
