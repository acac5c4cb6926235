// @vitest-environment jsdom
/**
 * Job list + train form in jsdom against a fake backend: rendering of the
 * rows, cancel, polling (and its stop), starting a job and its 400 error.
 */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TrainingJob } from '../../../types/api';
import { makeJob, presets } from '../testFixtures';
import { useTrainingJobs } from '../useTrainingJobs';
import { TrainingSection } from './TrainingSection';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

interface Server {
  jobs: TrainingJob[];
  requests: { method: string; url: string; body: unknown }[];
  startAnswer?: { status: number; body: unknown };
}

let server: Server;
let root: Root;
let container: HTMLDivElement;
let finished: TrainingJob[][];

function fakeFetch() {
  return vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const body = init?.body ? JSON.parse(String(init.body)) : null;
    server.requests.push({ method, url, body });
    if (url === '/api/training-presets/') return json(200, presets);
    if (url === '/api/projects/1/training-jobs/' && method === 'GET') return json(200, server.jobs);
    if (url === '/api/projects/1/training-jobs/' && method === 'POST') {
      if (server.startAnswer) return json(server.startAnswer.status, server.startAnswer.body);
      const job = makeJob({ id: 10, preset: body.preset });
      server.jobs = [job, ...server.jobs];
      return json(201, job);
    }
    const cancel = /^\/api\/training-jobs\/(\d+)\/cancel\/$/.exec(url);
    if (cancel && method === 'POST') {
      server.jobs = server.jobs.map((j) => (j.id === Number(cancel[1]) ? { ...j, cancel_requested: true } : j));
      return json(200, server.jobs.find((j) => j.id === Number(cancel[1])));
    }
    return json(404, { message: 'Not found.' });
  });
}

function Harness({ canTrain }: { canTrain: boolean }) {
  const training = useTrainingJobs(1, (jobs) => finished.push(jobs));
  return <TrainingSection training={training} canTrain={canTrain} versions={[{ id: 7, number: 3 }]} versionLabel={(id) => `v${id}`} />;
}

const $ = (testId: string) => container.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
const advance = (ms: number) => act(async () => { await vi.advanceTimersByTimeAsync(ms); });
const jobGets = () => server.requests.filter((r) => r.method === 'GET' && r.url === '/api/projects/1/training-jobs/').length;

async function mount(canTrain = true) {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  await act(async () => root.render(<Harness canTrain={canTrain} />));
  await advance(0);
}

function typeInto(input: HTMLInputElement, value: string) {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
  setter.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

const running = makeJob({
  id: 2, status: 'running', progress: 0.426, stage: 'instance', epoch: 3, step: 420, total_steps: 1000, eta_seconds: 130,
  message: 'Training (instance network)', worker: 'gpu-1',
  history: [
    { stage: 'centroid', epoch: 1, step: 100, train_loss: 0.5, val_loss: 0.6, elapsed_seconds: 10 },
    { stage: 'instance', epoch: 2, step: 300, train_loss: 0.05, val_loss: 0.07, elapsed_seconds: 30 },
    { stage: 'instance', epoch: 3, step: 400, train_loss: 0.02, val_loss: 0.03, elapsed_seconds: 40 },
  ],
});
const failed = makeJob({ id: 1, status: 'failed', progress: 0.1, message: 'Failed', error: 'RuntimeError: CUDA out of memory\nTraceback...' });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  server = { jobs: [running, failed], requests: [] };
  finished = [];
  vi.stubGlobal('fetch', fakeFetch());
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('TrainingSection', () => {
  it('renders the job rows with progress, ETA, error and a loss chart', async () => {
    await mount();
    const rows = $('job-list')!.querySelectorAll('li');
    expect([...rows].map((r) => [r.dataset.testid, r.dataset.status])).toEqual([['job-2', 'running'], ['job-1', 'failed']]);
    expect($('job-progress-2')!.textContent).toBe('42%');
    expect($('job-progress-2')!.getAttribute('aria-valuenow')).toBe('42');
    expect($('job-eta-2')!.textContent).toBe('2 min 10 s');
    expect($('job-2')!.textContent).toContain('Training (instance network)');
    expect($('job-2')!.textContent).toContain('gpu-1');
    expect($('job-2')!.textContent).toContain('420 / ~1000');
    expect($('job-2')!.textContent).toContain('alice');
    expect($('job-2')!.textContent).toContain('(2 train / 1 val)');
    expect($('job-error-1')!.querySelector('summary')!.textContent).toBe('RuntimeError: CUDA out of memory');
    expect($('cancel-job-2')).not.toBeNull();
    expect($('cancel-job-1')).toBeNull();
    // Chart of the newest job: two stages → two segments per series.
    const chart = $('loss-chart')!;
    expect(chart.tagName.toLowerCase()).toBe('svg');
    expect(chart.getAttribute('data-points')).toBe('3');
    expect($('loss-train')!.getAttribute('d')!.match(/M/g)).toHaveLength(2);
    expect($('loss-val')!.getAttribute('d')).not.toBe('');
    // Presets show their time budget.
    expect($('preset-fast')!.parentElement!.textContent).toContain('2 min');
    expect($('preset-accurate')!.parentElement!.textContent).toContain('30 min');
  });

  it('cancels a job, polls every 2 s while active and stops when none is', async () => {
    await mount();
    expect(jobGets()).toBe(1);
    await act(async () => $('cancel-job-2')!.click());
    expect(server.requests.at(-1)).toMatchObject({ method: 'POST', url: '/api/training-jobs/2/cancel/' });
    expect($('cancel-job-2')!.textContent).toBe('Cancelling…');
    expect(($('cancel-job-2') as HTMLButtonElement).disabled).toBe(true);

    // The worker notices the request; the next poll shows the job cancelled.
    server.jobs = server.jobs.map((j) => (j.id === 2 ? { ...j, status: 'cancelled', history: [...j.history] } : j));
    await advance(2000);
    expect(jobGets()).toBe(2);
    expect($('job-2')!.dataset.status).toBe('cancelled');
    expect($('cancel-job-2')).toBeNull();
    expect(finished).toHaveLength(1);
    expect(finished[0]!.map((j) => j.id)).toEqual([2]);

    await advance(10_000);
    expect(jobGets()).toBe(2);
  });

  it('updates the progress and loss chart while polling', async () => {
    await mount();
    server.jobs = [
      { ...running, progress: 0.9, history: [...running.history, { stage: 'instance', epoch: 4, step: 500, train_loss: 0.01, val_loss: 0.02, elapsed_seconds: 50 }] },
      failed,
    ];
    await advance(2000);
    expect($('job-progress-2')!.textContent).toBe('90%');
    expect($('loss-chart')!.getAttribute('data-points')).toBe('4');
  });

  it('starts a job with the chosen preset, changed advanced fields and warm start', async () => {
    server.jobs = [failed];
    await mount();
    await act(async () => $('preset-fast')!.click());
    await act(async () => typeInto(container.querySelector<HTMLInputElement>('input[name=batch_size]')!, '16'));
    await act(async () => container.querySelector<HTMLInputElement>('input[name=include_unreviewed]')!.click());
    const select = $('warm-start') as HTMLSelectElement;
    await act(async () => {
      select.value = '7';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await act(async () => $('train-button')!.click());
    await advance(0);
    const post = server.requests.find((r) => r.method === 'POST');
    expect(post).toEqual({
      method: 'POST',
      url: '/api/projects/1/training-jobs/',
      body: { preset: 'fast', include_unreviewed: false, advanced: { batch_size: 16 }, parent_version: 7 },
    });
    expect($('job-10')!.dataset.status).toBe('queued');
    expect($('train-error')).toBeNull();
    // The new queued job starts polling.
    const before = jobGets();
    await advance(2000);
    expect(jobGets()).toBe(before + 1);
  });

  it('sends the identity mode and loss weight; bottom-up models have no identities', async () => {
    server.jobs = [];
    await mount();
    const identity = $('identity-mode') as HTMLSelectElement;
    expect(identity.value).toBe('auto');
    expect($('identity-hint')!.textContent).toContain('track names');
    await act(async () => {
      identity.value = 'on';
      identity.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect($('identity-hint')!.textContent).toContain('two animals');
    await act(async () => typeInto(container.querySelector<HTMLInputElement>('input[name=identity_loss_weight]')!, '0.5'));
    await act(async () => $('train-button')!.click());
    await advance(0);
    expect(server.requests.find((r) => r.method === 'POST')!.body).toEqual({
      preset: 'balanced', include_unreviewed: true, advanced: { identity_loss_weight: 0.5, identity: 'on' },
    });

    const kind = $('model-kind') as HTMLSelectElement;
    await act(async () => {
      kind.value = 'bottom_up';
      kind.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(identity.disabled).toBe(true);
    expect($('identity-hint')!.textContent).toBe('top-down models only');
    await act(async () => $('train-button')!.click());
    await advance(0);
    expect(server.requests.filter((r) => r.method === 'POST').at(-1)!.body).toEqual({
      preset: 'balanced', include_unreviewed: true, advanced: { identity_loss_weight: 0.5, model_kind: 'bottom_up' },
    });
  });

  it('shows the backend message next to the form on a 400', async () => {
    server.jobs = [];
    server.startAnswer = { status: 400, body: { message: 'Training needs at least 2 labeled frames (found 1).', extra: {} } };
    await mount();
    expect($('job-list')!.textContent).toContain('No training jobs yet');
    await act(async () => $('train-button')!.click());
    await advance(0);
    expect($('train-error')!.textContent).toBe('Training needs at least 2 labeled frames (found 1).');
    expect(server.requests.find((r) => r.method === 'POST')!.body).toEqual({ preset: 'balanced', include_unreviewed: true });
  });

  it('rejects unparsable advanced values without calling the backend', async () => {
    await mount();
    await act(async () => typeInto(container.querySelector<HTMLInputElement>('input[name=learning_rate]')!, 'abc'));
    await act(async () => $('train-button')!.click());
    expect($('train-error')!.textContent).toContain('learning_rate: expected a number');
    expect(server.requests.some((r) => r.method === 'POST')).toBe(false);
  });

  it('hides the form and cancel buttons from viewers', async () => {
    await mount(false);
    expect($('train-button')).toBeNull();
    expect($('cancel-job-2')).toBeNull();
    expect($('job-2')).not.toBeNull();
  });

  it('stops polling on unmount', async () => {
    await mount();
    act(() => root.unmount());
    await advance(10_000);
    expect(jobGets()).toBe(1);
    root = createRoot(container); // for afterEach
  });
});
