// @vitest-environment jsdom
/**
 * The prediction layer of the labeling page in jsdom: the bar appears only
 * when the model predicted the frame, P toggles it, U uses the prediction
 * (undoable), and a page opened for a suggestion loads the prediction and
 * accepts it with the corrected points.
 */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Video } from '../../../types/api';
import { skeleton } from '../testFixtures';
import { LabelingPage } from './LabelingPage';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const video: Video = {
  id: 5, project: 1, name: 'mouse.mp4', size_bytes: 1000, fps: 30, frame_count: 10, width: 160, height: 120, codec: 'h264',
  status: 'ready', error: '', thumbnail_url: null, created_at: '2024-01-01T00:00:00Z', labeled_frames: 0,
};

const json = (status: number, body: unknown) =>
  new Response(body === null ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

let root: Root;
let container: HTMLDivElement;
let sent: { method: string; url: string; body: unknown }[];
let version: number;

function fakeFetch() {
  return vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    if (method !== 'GET' && !url.endsWith('/lock/')) sent.push({ method, url, body });
    if (url.endsWith('/lock/')) return method === 'DELETE' ? json(204, null) : json(200, { user: { id: 1, username: 'me' }, video: 5, frame_index: 3, since: 'x', expires: 'y' });
    if (url === '/api/videos/5/predictions/3/') {
      return json(200, {
        run: 9, model_version: { id: 12, number: 2 }, frame_index: 3,
        instances: [{ track: null, score: 0.8, points: [{ node: 1, x: 10, y: 20, score: 0.9 }, { node: 2, x: 30, y: 40, score: 0.4 }] }],
      });
    }
    if (/\/labels\/$/.test(url)) {
      if (method === 'PUT') {
        version += 1;
        return json(200, { id: 1, video: 5, frame_index: 3, status: 'in_progress', version, updated_at: null, updated_by: null, instances: body.instances });
      }
      return json(404, { message: 'Frame not labeled yet' });
    }
    if (url === '/api/suggestions/8/accept/') return json(200, { id: 8, status: 'accepted' });
    if (url === '/api/projects/1/presence/' || url === '/api/projects/1/my-frames/' || url === '/api/videos/5/labeled-frames/') return json(200, []);
    return json(404, { message: 'not found' });
  });
}

const $ = (testId: string) => container.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
const flush = () => act(async () => { await vi.advanceTimersByTimeAsync(0); });
const placed = () => skeleton.nodes.map((n) => $(`node-${n.name}`)?.dataset.placed);

async function mount(entry: string) {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  await act(async () => {
    root.render(
      <MemoryRouter initialEntries={[entry]}>
        <Routes>
          <Route path="/label" element={<LabelingPage video={video} skeleton={skeleton} role="annotator" me={{ id: 1, username: 'me' }} />} />
        </Routes>
      </MemoryRouter>,
    );
  });
  for (let i = 0; i < 4; i++) await flush();
}

async function press(key: string, mods: KeyboardEventInit = {}) {
  await act(async () => {
    window.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, ...mods }));
  });
  await flush();
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  sent = [];
  version = 0;
  vi.stubGlobal('fetch', fakeFetch());
  vi.stubGlobal('ResizeObserver', class { observe() {} disconnect() {} });
  HTMLCanvasElement.prototype.getContext = (() => null) as never;
  localStorage.clear();
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('LabelingPage predictions', () => {
  it('has no prediction layer on a frame the model did not predict', async () => {
    await mount('/label?frame=0');
    expect($('prediction-bar')).toBeNull();
    await press('u');
    expect(placed()).toEqual(['false', 'false', 'false']);
  });

  it('toggles the layer with P and uses the prediction with U (undoable)', async () => {
    await mount('/label?frame=3');
    expect($('toggle-predictions')!.textContent).toBe('Model v2 prediction');
    expect($('toggle-predictions')!.getAttribute('aria-pressed')).toBe('true');
    await press('p');
    expect($('toggle-predictions')!.getAttribute('aria-pressed')).toBe('false');
    expect($('action-usePrediction')).not.toBeNull();
    await press('u');
    expect(placed()).toEqual(['true', 'true', 'false']);
    await press('z', { ctrlKey: true });
    expect(placed()).toEqual(['false', 'false', 'false']);
    await act(async () => $('action-usePrediction')!.click());
    expect(placed()).toEqual(['true', 'true', 'false']);
    await act(async () => { await vi.advanceTimersByTimeAsync(2000); });
    expect(sent[0]).toMatchObject({
      method: 'PUT',
      body: { version: 0, instances: [{ source: 'human', points: [{ node: 1, x: 10, y: 20, visibility: 2 }, { node: 2, x: 30, y: 40, visibility: 2 }] }] },
    });
  });

  it('opened for a suggestion: loads the prediction and accepts the corrected points', async () => {
    await mount('/label?frame=3&suggestion=8');
    expect(placed()).toEqual(['true', 'true', 'false']);
    expect($('suggestion-bar')).not.toBeNull();
    await press('Delete'); // active node is tail (unplaced): nothing; select head and delete it
    await act(async () => $('node-head')!.click());
    await press('Delete');
    expect(placed()).toEqual(['true', 'false', 'false']);
    await act(async () => $('accept-corrected')!.click());
    for (let i = 0; i < 3; i++) await flush();
    const accept = sent.find((s) => s.url === '/api/suggestions/8/accept/');
    expect(accept?.body).toEqual({ points: [{ node: 1, x: 10, y: 20, visibility: 2 }], version: 1 });
    expect(sent.filter((s) => s.method === 'PUT')).toHaveLength(1); // saved first, then accepted on that version
    expect($('suggestion-accepted')).not.toBeNull();
  });
});
