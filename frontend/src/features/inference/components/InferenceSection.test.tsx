// @vitest-environment jsdom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InferenceRun } from '../../../types/api';
import { InferenceSection } from './InferenceSection';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const run = (over: Partial<InferenceRun> = {}): InferenceRun => ({
  id: 21, project: 4, model_version: 12, model_version_number: 2, video: 7, video_name: 'mouse.mp4', status: 'queued',
  attempt: 1, progress: 0, frames_done: 0, eta_seconds: null, message: 'Waiting for a worker', error: '', worker: '',
  heartbeat_at: null, cancel_requested: false, created_at: '', started_at: null, finished_at: null, created_by: 'bob',
  smoothing: null, render_video: true, tracking: null, summary: {}, suggestions_config: {}, exports: {}, retrack: null,
  ...over,
});

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

let root: Root;
let container: HTMLDivElement;
let posts: { url: string; body: unknown }[];
let listAnswers: InferenceRun[][];
const onRetrained = vi.fn();
const $ = <T extends HTMLElement = HTMLElement>(id: string) => container.querySelector<T>(`[data-testid="${id}"]`);
const tick = (ms: number) => act(async () => { await vi.advanceTimersByTimeAsync(ms); });

beforeEach(async () => {
  vi.useFakeTimers();
  posts = [];
  listAnswers = [[]];
  onRetrained.mockReset();
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    if (init?.method === 'POST') posts.push({ url, body });
    if (url === '/api/projects/4/inference-runs/' && init?.method === 'POST') return json(201, [run()]);
    if (url === '/api/projects/4/inference-runs/') return json(200, listAnswers.length > 1 ? listAnswers.shift() : listAnswers[0]);
    if (url === '/api/projects/4/videos/') {
      return json(200, [
        { id: 7, name: 'mouse.mp4', status: 'ready', frame_count: 60 },
        { id: 8, name: 'broken.mp4', status: 'failed', frame_count: null },
      ]);
    }
    if (url === '/api/inference-runs/21/cancel/') return json(200, run({ status: 'cancelled', message: 'Cancelled before it started' }));
    if (url === '/api/inference-runs/21/retrain/') return json(201, { id: 33, status: 'queued' });
    if (url === '/api/inference-runs/21/retrack/') {
      const { tracking } = body as { tracking: unknown };
      return json(202, { id: 5, run: 21, status: 'queued', progress: 0, message: 'Waiting for a worker', error: '', tracking });
    }
    return json(404, { message: 'Not found.' });
  }));
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  await act(async () =>
    root.render(
      <MemoryRouter>
        <InferenceSection
          projectId={4}
          versions={[{ id: 11, number: 1 }, { id: 12, number: 2 }]}
          canRun
          suggestionsHref="/projects/4/suggestions"
          onRetrained={onRetrained}
        />
      </MemoryRouter>,
    ),
  );
  await tick(0);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('InferenceSection', () => {
  it('runs the newest model on the chosen videos and follows the run until it is done', async () => {
    expect($<HTMLAnchorElement>('link-suggestions')!.getAttribute('href')).toBe('/projects/4/suggestions');
    expect($<HTMLSelectElement>('run-model-version')!.value).toBe('12');
    expect($('run-video-8')).toBeNull(); // not ready
    await act(async () => $<HTMLButtonElement>('run-inference')!.click());
    expect($('run-form-error')!.textContent).toBe('Choose at least one video.');
    await act(async () => {
      $<HTMLInputElement>('run-video-7')!.click();
      const suggest = $<HTMLInputElement>('run-suggest')!;
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(suggest, '5');
      suggest.dispatchEvent(new Event('input', { bubbles: true }));
    });
    listAnswers = [
      [run({ status: 'running', progress: 0.5, frames_done: 30, eta_seconds: 12 })],
      [run({
        status: 'succeeded', progress: 1, frames_done: 60, message: 'Predicted 60 frames; 5 suggestions',
        summary: { frames: 60, mean_score: 0.734, frames_per_second: 250.2 },
        exports: { 'dlc-csv': '/api/inference-runs/21/export/dlc-csv/', slp: '/api/inference-runs/21/export/slp/', video: '/api/inference-runs/21/export/video/' },
      })],
    ];
    await act(async () => $<HTMLButtonElement>('run-inference')!.click());
    expect(posts).toEqual([{ url: '/api/projects/4/inference-runs/', body: { model_version: 12, videos: [7], render_video: true, suggest: 5 } }]);
    expect($('run-21')!.dataset.status).toBe('queued');
    expect($('cancel-run-21')).not.toBeNull();
    await tick(2000);
    expect($('run-21')!.dataset.status).toBe('running');
    expect($('run-eta-21')!.textContent).toBe('12 s');
    expect($('run-progress-21')!.textContent).toBe('50%');
    expect(container.textContent).toContain('30 / 60 frames');
    await tick(2000);
    expect($('run-21')!.dataset.status).toBe('succeeded');
    expect($('cancel-run-21')).toBeNull();
    expect($('run-mean-score-21')!.textContent).toBe('0.73');
    expect($('run-fps-21')!.textContent).toBe('250 fps');
    expect($<HTMLAnchorElement>('export-21-dlc-csv')!.getAttribute('href')).toBe('/api/inference-runs/21/export/dlc-csv/');
    expect($('export-21-dlc-h5')).toBeNull();
    expect($('labeled-video-21')).toBeNull();
    await act(async () => $('watch-21')!.click());
    const video = $<HTMLVideoElement>('labeled-video-21')!;
    expect(video.getAttribute('src')).toBe('/api/inference-runs/21/export/video/');
    expect(video.hasAttribute('controls')).toBe(true);

    await act(async () => $('retrain-21')!.click());
    expect(posts[1]).toEqual({ url: '/api/inference-runs/21/retrain/', body: { preset: 'fast' } });
    expect($('retrain-result-21')!.textContent).toContain('Training job #33');
    expect(onRetrained).toHaveBeenCalledWith({ id: 33, status: 'queued' });
  });

  it('cancels an active run', async () => {
    listAnswers = [[run()]];
    await act(async () => {
      root.render(
        <MemoryRouter>
          <InferenceSection projectId={4} versions={[]} canRun suggestionsHref="/s" key="again" />
        </MemoryRouter>,
      );
    });
    await tick(0);
    expect($('run-no-model')).not.toBeNull();
    await act(async () => $('cancel-run-21')!.click());
    expect(posts).toEqual([{ url: '/api/inference-runs/21/cancel/', body: undefined }]);
    expect($('run-21')!.dataset.status).toBe('cancelled');
  });

  const type = async (id: string, value: string) =>
    act(async () => {
      const input = $<HTMLInputElement>(id)!;
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, value);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
  const choose = async (id: string, value: string) =>
    act(async () => {
      const select = $<HTMLSelectElement>(id)!;
      select.value = value;
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
  const renderWith = async (maxInstances: number | null) => {
    await act(async () => {
      root.render(
        <MemoryRouter>
          <InferenceSection projectId={4} versions={[{ id: 12, number: 2 }]} canRun suggestionsHref="/s" maxInstances={maxInstances} key={`m${maxInstances}`} />
        </MemoryRouter>,
      );
    });
    await tick(0);
  };

  it('sends tracking settings with the run, max animals defaulting to the project count', async () => {
    await renderWith(3);
    expect($('run-tracking-window')).toBeNull(); // off until switched on
    await act(async () => $<HTMLInputElement>('run-tracking-enabled')!.click());
    expect($<HTMLInputElement>('run-tracking-max-tracks')!.value).toBe('3');
    await choose('run-tracking-similarity', 'centroid');
    await choose('run-tracking-motion', 'kalman');
    await type('run-tracking-window', '12');
    expect($<HTMLInputElement>('run-tracking-identity')!.checked).toBe(true); // on by default
    expect($<HTMLInputElement>('run-tracking-identity-window')!.value).toBe('5');
    expect($('run-tracking-identity-help')!.textContent).toContain('only for models trained with identities');
    await act(async () => $<HTMLInputElement>('run-video-7')!.click());
    await act(async () => $<HTMLButtonElement>('run-inference')!.click());
    expect(posts).toEqual([{
      url: '/api/projects/4/inference-runs/',
      body: { model_version: 12, videos: [7], render_video: true,
              tracking: { max_tracks: 3, similarity: 'centroid', motion: 'kalman', window: 12, identity: true, identity_window: 5 } },
    }]);
  });

  it('refuses tracking settings out of bounds before sending', async () => {
    await renderWith(null);
    await act(async () => $<HTMLInputElement>('run-tracking-enabled')!.click());
    expect($<HTMLInputElement>('run-tracking-max-tracks')!.value).toBe(''); // unknown
    await type('run-tracking-window', '0');
    await act(async () => $<HTMLInputElement>('run-video-7')!.click());
    await act(async () => $<HTMLButtonElement>('run-inference')!.click());
    expect($('run-form-error')!.textContent).toContain('Tracking window');
    expect(posts).toEqual([]);
  });

  it('re-tracks a finished run and shows its tracking summary', async () => {
    listAnswers = [[run({
      status: 'succeeded', progress: 1, frames_done: 60,
      tracking: { window: 5, similarity: 'oks', motion: 'constant_velocity', max_tracks: 2, identity: false, identity_window: 9 },
      summary: { frames: 60, frames_per_second: 40, tracking: { frames_per_second: 1850.4, seconds: 0.03, tracks: 2, settings: {} } },
    })]];
    await renderWith(2);
    expect($('run-tracking-21')!.textContent).toBe('2 tracks · 1850 fps');
    await act(async () => $('retrack-21')!.click());
    expect($<HTMLSelectElement>('retrack-21-tracking-similarity')!.value).toBe('oks');
    // The run was tracked without identity scores: the form starts that way, window greyed out.
    expect($<HTMLInputElement>('retrack-21-tracking-identity')!.checked).toBe(false);
    expect($<HTMLInputElement>('retrack-21-tracking-identity-window')!.disabled).toBe(true);
    expect($<HTMLInputElement>('retrack-21-tracking-identity-window')!.value).toBe('9');
    await type('retrack-21-tracking-window', '999');
    await act(async () => $('retrack-start-21')!.click());
    expect($('retrack-form-error-21')!.textContent).toContain('from 1 to 300');
    await type('retrack-21-tracking-window', '8');
    await choose('retrack-21-tracking-motion', 'none');
    await act(async () => $<HTMLInputElement>('retrack-21-tracking-identity')!.click());
    await type('retrack-21-tracking-identity-window', '400');
    await act(async () => $('retrack-start-21')!.click());
    expect($('retrack-form-error-21')!.textContent).toContain('Identity window');
    await type('retrack-21-tracking-identity-window', '12');
    await act(async () => $('retrack-start-21')!.click());
    expect(posts).toEqual([{
      url: '/api/inference-runs/21/retrack/',
      body: { tracking: { max_tracks: 2, similarity: 'oks', motion: 'none', window: 8, identity: true, identity_window: 12 } },
    }]);
    expect($('retrack-status-21')!.textContent).toContain('Re-tracking queued');
    expect($<HTMLButtonElement>('retrack-21')!.disabled).toBe(true);
  });
});
