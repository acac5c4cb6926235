// @vitest-environment jsdom
/**
 * Team features of the labeling page in jsdom: the lock banner on a 409
 * (read-only until the lock frees up), "next frame for me" (204 → message,
 * 200 → moves there), submit, and the rejected frame's review comment.
 */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router-dom';
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

interface Server {
  lockedBy: string | null;
  next: { video: number; frame_index: number } | null;
  calls: string[];
  frame: Record<string, unknown> | null;
}

let server: Server;
let root: Root;
let container: HTMLDivElement;
let location = '';

function LocationProbe() {
  const loc = useLocation();
  location = loc.pathname + loc.search;
  return null;
}

function fakeFetch() {
  return vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    server.calls.push(`${method} ${url}`);
    if (/\/lock\/$/.test(url)) {
      if (method === 'DELETE') return json(204, null);
      if (server.lockedBy) {
        return json(409, { message: `${server.lockedBy} is working on this frame right now`, extra: { lock: { user: { id: 9, username: server.lockedBy } } } });
      }
      return json(200, { user: { id: 1, username: 'me' }, video: 5, frame_index: 0, since: 'x', expires: 'y' });
    }
    if (url === '/api/projects/1/next-frame/') {
      return server.next ? json(200, { ...server.next, lock_expires_at: 'x', reason: 'todo' }) : json(204, null);
    }
    if (url.endsWith('/submit/')) return json(200, { ...server.frame, status: 'submitted' });
    if (url === '/api/projects/1/presence/') return json(200, server.lockedBy ? [{ user: { id: 9, username: server.lockedBy }, video: 5, frame_index: 0, since: null, expires: null }] : []);
    if (url === '/api/projects/1/my-frames/') return json(200, []);
    if (/\/labels\/$/.test(url)) return server.frame ? json(200, server.frame) : json(404, { message: 'Frame not labeled yet' });
    return json(404, { message: 'not found' });
  });
}

const $ = (testId: string) => container.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
const flush = () => act(async () => { await vi.advanceTimersByTimeAsync(0); });

async function mount(role: 'annotator' | 'reviewer' = 'annotator') {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  await act(async () => {
    root.render(
      <MemoryRouter initialEntries={['/label?frame=0']}>
        <Routes>
          <Route path="/label" element={<><LabelingPage video={video} skeleton={skeleton} role={role} me={{ id: 1, username: 'me' }} /><LocationProbe /></>} />
        </Routes>
      </MemoryRouter>,
    );
  });
  await flush();
  await flush();
}

async function press(key: string, mods: KeyboardEventInit = {}) {
  await act(async () => {
    window.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, ...mods }));
  });
  await flush();
  await flush();
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  server = { lockedBy: null, next: null, calls: [], frame: null };
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

describe('LabelingPage team features', () => {
  it('shows "locked by" and stays read-only until the lock is free', async () => {
    server.lockedBy = 'rita';
    await mount();
    expect($('locked-banner')!.textContent).toContain('Locked by rita');
    expect(($('save-button') as HTMLButtonElement).disabled).toBe(true);
    expect($('edit-anyway')).toBeNull(); // annotators cannot override
    expect($('presence-rita')!.textContent).toContain('frame 0');
    await press('k');
    await press('Enter');
    expect($('node-nose')!.dataset.placed).toBe('false');

    server.lockedBy = null;
    await act(async () => { await vi.advanceTimersByTimeAsync(10_000); });
    await flush();
    expect($('locked-banner')).toBeNull();
    await press('Enter');
    expect($('node-nose')!.dataset.placed).toBe('true');
  });

  it('lets a reviewer edit anyway', async () => {
    server.lockedBy = 'bob';
    await mount('reviewer');
    await act(async () => $('edit-anyway')!.click());
    expect(($('save-button') as HTMLButtonElement).disabled).toBe(false);
    expect($('locked-banner')!.textContent).toContain('editing anyway');
  });

  it('claims the next frame (N) and says when nothing is left', async () => {
    await mount();
    await press('n');
    expect($('team-message')!.textContent).toContain('Nothing left to label');
    server.next = { video: 5, frame_index: 4 };
    await press('n');
    expect(location).toBe('/label?frame=4');
    expect(server.calls).toContain('DELETE /api/videos/5/frames/0/lock/');
  });

  it('submits the frame and shows a reviewer\'s rejection with the pinned node', async () => {
    server.frame = {
      id: 3, video: 5, frame_index: 0, status: 'rejected', version: 2, updated_at: null, updated_by: null,
      instances: [{ track: null, source: 'human', points: [{ node: 2, x: 5, y: 5, visibility: 2 }] }],
      latest_comment: { id: 1, author: { id: 7, username: 'rita' }, decision: 'reject', text: 'head is off', node: 2, created_at: 'x', resolved: false },
    };
    await mount();
    expect($('review-comment')!.textContent).toContain('Rejected by rita · on head');
    expect($('review-comment-text')!.textContent).toBe('head is off');
    await press('Enter', { ctrlKey: true });
    expect(server.calls).toContain('POST /api/videos/5/frames/0/submit/');
    expect($('team-message')!.textContent).toContain('submitted for review');
    expect($('frame-version')!.textContent).toContain('submitted');
  });
});
