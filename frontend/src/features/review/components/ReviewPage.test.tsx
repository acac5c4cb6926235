// @vitest-environment jsdom
/**
 * Four-eyes review in the review page: on a frame the reviewer submitted, Approve is
 * disabled with the reason (and the A key sends nothing); on someone else's frame, or
 * when the project allows self-review, it approves.
 */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FrameSummary } from '../../../types/api';
import { ReviewPage } from './ReviewPage';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const rita = { id: 3, username: 'rita' };
const bob = { id: 2, username: 'bob' };
const summary = (by: typeof rita): FrameSummary => ({
  id: 11, video: 5, video_name: 'mouse.mp4', frame_index: 7, status: 'submitted', version: 2,
  assignee: by, submitted_at: '2024-01-01T00:00:00Z', submitted_by: by, updated_by: by, latest_comment: null,
});

let root: Root;
let container: HTMLDivElement;
let posts: unknown[];
let queue: FrameSummary[];

const $ = (id: string) => container.querySelector<HTMLButtonElement>(`[data-testid="${id}"]`);
const flush = () => act(async () => { await new Promise((r) => setTimeout(r, 0)); });

beforeEach(() => {
  posts = [];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    if (init?.method === 'POST') {
      posts.push(JSON.parse(String(init.body)));
      return json(200, {});
    }
    if (url === '/api/projects/1/review-queue/') return json(200, queue);
    if (url === '/api/videos/5/frames/7/labels/') return json(200, { version: 2, instances: [] });
    if (url === '/api/videos/5/') return json(200, { id: 5, width: 640, height: 480 });
    return json(404, { message: 'Not found.' });
  }));
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
});

async function render(meId: number, allowSelfReview: boolean) {
  await act(async () =>
    root.render(
      <MemoryRouter>
        <ReviewPage
          projectId={1}
          skeleton={{ nodes: [], edges: [], symmetries: [] }}
          renderFrame={() => null}
          labelHref={() => '/'}
          meId={meId}
          allowSelfReview={allowSelfReview}
        />
      </MemoryRouter>,
    ),
  );
  await flush();
  await flush();
}

describe('ReviewPage four-eyes review', () => {
  it('disables Approve with the reason on my own submission', async () => {
    queue = [summary(rita)];
    await render(rita.id, false);
    expect($('approve')!.disabled).toBe(true);
    expect($('approve-blocked')!.textContent).toContain('another reviewer has to approve it');
    await act(async () => window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' })));
    await flush();
    expect(posts).toEqual([]);
    expect($('reject')!.disabled).toBe(false);
  });

  it("approves someone else's submission", async () => {
    queue = [summary(bob)];
    await render(rita.id, false);
    expect($('approve-blocked')).toBeNull();
    await act(async () => $('approve')!.click());
    await flush();
    expect(posts).toEqual([{ decision: 'approve', comment: '', node: null, version: 2 }]);
  });

  it('approves my own submission when the project allows self-review', async () => {
    queue = [summary(rita)];
    await render(rita.id, true);
    expect($('approve')!.disabled).toBe(false);
  });
});
