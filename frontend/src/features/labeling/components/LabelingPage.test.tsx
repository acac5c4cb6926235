// @vitest-environment jsdom
/**
 * Smoke test of the labeling page wiring in jsdom (no canvas, no browser):
 * a fake backend answers fetch; we click the canvas, use shortcuts and watch
 * the node list, the save status and the PUT bodies.
 */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { MemoryRouter, Route, Routes, useLocation, useNavigate, type NavigateFunction } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LabeledFrame, LabelsPut, Video } from '../../../types/api';
import { skeleton } from '../testFixtures';
import { LabelingPage } from './LabelingPage';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const video: Video = {
  id: 5, project: 1, name: 'mouse.mp4', size_bytes: 1000, fps: 30, frame_count: 10, width: 640, height: 480, codec: 'h264',
  status: 'ready', error: '', thumbnail_url: null, created_at: '2024-01-01T00:00:00Z', labeled_frames: 0,
};

interface Server {
  frames: Map<number, LabeledFrame>;
  puts: { frame: number; body: LabelsPut }[];
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function fakeFetch(server: Server) {
  return vi.fn(async (url: string, init?: RequestInit) => {
    const m = /\/api\/videos\/5\/frames\/(\d+)\/labels\/$/.exec(url);
    if (!m) return json(404, { message: 'not found' });
    const frame = Number(m[1]);
    const current = server.frames.get(frame);
    if (!init?.method || init.method === 'GET') {
      return current ? json(200, current) : json(404, { message: 'Frame not labeled yet' });
    }
    const body = JSON.parse(String(init.body)) as LabelsPut;
    server.puts.push({ frame, body });
    const version = current?.version ?? 0;
    if (body.version !== version) return json(409, { message: 'Version conflict', extra: { current } });
    const saved: LabeledFrame = {
      id: frame + 100, video: 5, frame_index: frame, status: 'in_progress', version: version + 1,
      updated_at: null, updated_by: { id: 1, username: 'me' }, assignee: null, submitted_by: null, locked_by: null, lock_expires_at: null, submitted_at: null, latest_comment: null,
      instances: body.instances.map((inst, i) => ({ id: i + 1, track: null, source: 'human', ...inst,
        points: inst.points.map((pt) => ({ visibility: 2, ...pt })) })),
    };
    server.frames.set(frame, saved);
    return json(200, saved);
  });
}

let root: Root;
let container: HTMLDivElement;
let server: Server;
let location = '';
let navigateTo: NavigateFunction = () => undefined;

function LocationProbe() {
  const loc = useLocation();
  location = loc.pathname + loc.search;
  navigateTo = useNavigate();
  return null;
}

/** GETs of one frame's labels so far (one per frame the page opened). */
const labelLoads = () =>
  (vi.mocked(fetch).mock.calls as [string, RequestInit?][]).filter(
    ([url, init]) => /\/labels\/$/.test(url) && (!init?.method || init.method === 'GET'),
  ).length;

const $ = (testId: string) => container.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
const flush = () => act(async () => { await vi.advanceTimersByTimeAsync(0); });

async function mount(entry = '/label?frame=0', role: 'annotator' | 'viewer' = 'annotator') {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  await act(async () => {
    root.render(
      <MemoryRouter initialEntries={[entry]}>
        <Routes>
          <Route path="/label" element={<><LabelingPage video={video} skeleton={skeleton} role={role} /><LocationProbe /></>} />
        </Routes>
      </MemoryRouter>,
    );
  });
  await flush();
}

async function clickCanvas(x: number, y: number, button = 0) {
  const canvas = $('label-canvas')!;
  await act(async () => {
    canvas.dispatchEvent(new MouseEvent('pointerdown', { bubbles: true, clientX: x, clientY: y, button }));
    canvas.dispatchEvent(new MouseEvent('pointerup', { bubbles: true, clientX: x, clientY: y, button }));
  });
}

async function press(key: string, mods: KeyboardEventInit = {}) {
  await act(async () => {
    window.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, ...mods }));
  });
  await flush();
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  server = { frames: new Map(), puts: [] };
  vi.stubGlobal('fetch', fakeFetch(server));
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

describe('LabelingPage', () => {
  it('places nodes by clicking, advances the active node and autosaves', async () => {
    await mount();
    expect($('save-status')!.textContent).toBe('Saved');
    expect($('node-nose')!.dataset.active).toBe('true');
    expect($('frame-counter')!.textContent).toBe('frame 0 / 10');

    await clickCanvas(100.5, 50.25);
    expect($('node-nose')!.dataset.placed).toBe('true');
    expect($('node-head')!.dataset.active).toBe('true');
    expect($('save-status')!.textContent).toBe('Unsaved changes');

    await act(async () => { await vi.advanceTimersByTimeAsync(1600); });
    expect(server.puts).toHaveLength(1);
    expect(server.puts[0]!.body).toEqual({
      version: 0,
      instances: [{ track: null, source: 'human', points: [{ node: 1, x: 100.5, y: 50.25, visibility: 2 }] }],
    });
    expect($('save-status')!.textContent).toBe('Saved');
  });

  it('runs keyboard actions: visibility, undo, save, help, frames', async () => {
    await mount();
    await press('Tab');
    expect($('node-head')!.dataset.active).toBe('true');
    await clickCanvas(10, 10);
    expect($('node-tail')!.dataset.active).toBe('true'); // next unplaced after head
    await press('Tab', { shiftKey: true }); // back to head
    await press('v');
    expect($('node-head')!.dataset.visibility).toBe('1');
    await press('z', { ctrlKey: true });
    expect($('node-head')!.dataset.visibility).toBe('2');
    await press('s', { ctrlKey: true });
    expect(server.puts.at(-1)!.body.instances[0]!.points).toEqual([{ node: 2, x: 10, y: 10, visibility: 2 }]);
    expect($('save-status')!.textContent).toBe('Saved');

    await press('?', { shiftKey: true });
    expect($('help-panel')!.textContent).toContain('Ctrl+Z');

    await press('ArrowRight');
    expect($('frame-counter')!.textContent).toBe('frame 1 / 10');
    expect(location).toBe('/label?frame=1');
    expect($('node-head')!.dataset.placed).toBe('false');
    await press('a');
    expect($('node-head')!.dataset.placed).toBe('true');
  });

  it('shows the conflict panel on 409 and keeps mine on top of their version', async () => {
    await mount();
    await clickCanvas(1, 1);
    server.frames.set(0, {
      id: 1, video: 5, frame_index: 0, status: 'in_progress', version: 3, updated_at: null,
      updated_by: { id: 2, username: 'bob' }, assignee: null, submitted_by: null, locked_by: null, lock_expires_at: null, submitted_at: null, latest_comment: null,
      instances: [{ id: 1, track: null, source: 'human', points: [{ node: 1, x: 9, y: 9, visibility: 2 }] }],
    });
    await act(async () => { $('save-button')!.click(); });
    await flush();
    expect($('save-status')!.textContent).toBe('Conflict');
    expect($('conflict-panel')!.textContent).toContain('bob');
    await act(async () => { $('keep-mine')!.click(); });
    await flush();
    expect(server.puts.at(-1)!.body.version).toBe(3);
    expect(server.frames.get(0)!.instances[0]!.points[0]).toMatchObject({ x: 1, y: 1 });
    expect($('conflict-panel')).toBeNull();
    expect($('save-status')!.textContent).toBe('Saved');
  });

  it('takes theirs on request', async () => {
    await mount();
    await clickCanvas(1, 1);
    server.frames.set(0, {
      id: 1, video: 5, frame_index: 0, status: 'in_progress', version: 3, updated_at: null, updated_by: null,
      assignee: null, submitted_by: null, locked_by: null, lock_expires_at: null, submitted_at: null, latest_comment: null,
      instances: [{ id: 1, track: null, source: 'human', points: [{ node: 3, x: 9, y: 9, visibility: 2 }] }],
    });
    await press('s', { ctrlKey: true });
    await act(async () => { $('take-theirs')!.click(); });
    expect($('node-tail')!.dataset.placed).toBe('true');
    expect($('node-nose')!.dataset.placed).toBe('false');
    expect($('save-status')!.textContent).toBe('Saved');
  });

  it('restores an unsaved draft after a reload', async () => {
    await mount();
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch'); }));
    await clickCanvas(3, 4);
    await press('s', { ctrlKey: true });
    expect($('save-status')!.textContent).toBe('Offline – will retry');
    act(() => root.unmount());
    container.remove();

    vi.stubGlobal('fetch', fakeFetch(server));
    await mount();
    expect($('node-nose')!.dataset.placed).toBe('true');
    expect($('save-status')!.textContent).toBe('Unsaved changes');
    await act(async () => { await vi.advanceTimersByTimeAsync(1600); });
    expect(server.frames.get(0)!.version).toBe(1);
  });

  it('resends when the browser comes back online', async () => {
    await mount();
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch'); }));
    await clickCanvas(3, 4);
    await press('s', { ctrlKey: true });
    expect($('save-status')!.textContent).toBe('Offline – will retry');
    vi.stubGlobal('fetch', fakeFetch(server));
    await act(async () => { window.dispatchEvent(new Event('online')); });
    await flush();
    expect($('save-status')!.textContent).toBe('Saved');
    expect(server.frames.get(0)!.version).toBe(1);
  });

  it('opens the frame from ?frame= and is read-only for viewers', async () => {
    server.frames.set(4, {
      id: 9, video: 5, frame_index: 4, status: 'approved', version: 2, updated_at: null, updated_by: null,
      assignee: null, submitted_by: null, locked_by: null, lock_expires_at: null, submitted_at: null, latest_comment: null,
      instances: [{ id: 3, track: null, source: 'human', points: [{ node: 2, x: 5, y: 5, visibility: 2 }] }],
    });
    await mount('/label?frame=4', 'viewer');
    expect($('frame-counter')!.textContent).toBe('frame 4 / 10');
    expect($('node-head')!.dataset.placed).toBe('true');
    expect(($('save-button') as HTMLButtonElement).disabled).toBe(true);
    await clickCanvas(50, 50);
    expect($('node-nose')!.dataset.placed).toBe('false');
    expect(server.puts).toHaveLength(0);
  });

  it('follows a ?frame= change from outside once, without bouncing between frames', async () => {
    await mount('/label?frame=2');
    const before = labelLoads();
    await act(async () => {
      void navigateTo('/label?frame=7');
      await vi.advanceTimersByTimeAsync(0);
    });
    for (let i = 0; i < 5; i++) await flush();
    expect($('frame-counter')!.textContent).toBe('frame 7 / 10');
    expect(location).toBe('/label?frame=7');
    // The old two-way sync flipped 2 ↔ 7 forever, loading (and locking) a frame each time.
    expect(labelLoads() - before).toBe(1);
  });

  it('shows the shortcut help as a modal that Esc closes', async () => {
    await mount();
    await press('?');
    const dialog = $('help-panel')!;
    expect(dialog.getAttribute('role')).toBe('dialog');
    expect(dialog.closest('.modal-backdrop')).not.toBeNull();
    await press('Escape');
    expect($('help-panel')).toBeNull();
  });
});
