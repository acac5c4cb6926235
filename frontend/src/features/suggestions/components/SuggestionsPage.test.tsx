// @vitest-environment jsdom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Role, Skeleton, Suggestion } from '../../../types/api';
import { SuggestionsPage } from './SuggestionsPage';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const skeleton: Skeleton = {
  nodes: [
    { id: 1, name: 'snout', color: '#ff0000' },
    { id: 2, name: 'tail', color: '#00ff00' },
  ],
  edges: [[1, 2]],
  symmetries: [],
};

const suggestion = (over: Partial<Suggestion>): Suggestion => ({
  id: 1, run: 9, video: 7, video_name: 'mouse.mp4', frame_index: 12, score: 0.5,
  subscores: { uncertainty: 0.8, disagreement: 0, temporal: 0.4, diversity: 0.3 },
  reasons: ['low confidence on tail (0.21)'], status: 'pending', model_version: 3, model_version_number: 2,
  assignee: null, decided_by: null, decided_at: null, labeled_frame: null, provenance: {}, created_at: '', ...over,
});

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

let root: Root;
let container: HTMLDivElement;
let posts: { url: string; method: string; body: unknown }[];
let rows: Suggestion[];

beforeEach(() => {
  posts = [];
  rows = [
    suggestion({ id: 1, frame_index: 12, score: 0.5 }),
    suggestion({ id: 2, frame_index: 40, score: 0.9, reasons: ['jump of 0.8 body lengths at tail', 'unlike labeled frames'] }),
    suggestion({ id: 3, frame_index: 30, score: 0.7, assignee: 'bob' }),
  ];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    if (method !== 'GET') posts.push({ url, method, body });
    if (url.startsWith('/api/projects/4/suggestions/?status=pending')) return json(200, rows);
    if (url === '/api/projects/4/videos/') return json(200, [{ id: 7, name: 'mouse.mp4', width: 160, height: 120 }]);
    if (url === '/api/projects/4/members/') {
      return json(200, [
        { id: 1, user: { id: 1, username: 'alice' }, role: 'owner' },
        { id: 2, user: { id: 2, username: 'bob' }, role: 'annotator' },
        { id: 3, user: { id: 3, username: 'vic' }, role: 'viewer' },
      ]);
    }
    if (url === '/api/projects/4/active-learning-settings/') {
      if (method === 'PUT') return json(200, { ...body, updated_at: 'now' });
      return json(200, { weights: { uncertainty: 1, disagreement: 1, temporal: 1, diversity: 1, instance_count: 0 }, n_suggestions: 20, min_gap: 10, selection: 'greedy' });
    }
    const frame = url.match(/^\/api\/inference-runs\/9\/predictions\/\?start=(\d+)&stop=(\d+)$/);
    if (frame) {
      const index = Number(frame[1]);
      const one = [{ track: null, score: 0.6, points: [[10, 20, 0.9], [50, 60, 0.2]] }];
      const two = [
        { track: 'mouse A', score: 0.9, points: [[10, 20, 0.9], [50, 60, 0.8]] },
        { track: 'mouse B', score: 0.4, points: [[100, 20, 0.5], [140, 60, 0.3]] },
      ];
      return json(200, {
        run: 9, model_version: 2, smoothed: false, node_names: ['snout', 'tail'], node_ids: [1, 2],
        start: index, stop: Number(frame[2]),
        frames: [{ frame_index: index, instances: index === 50 ? two : one }],
      });
    }
    const decision = url.match(/^\/api\/suggestions\/(\d+)\/(accept|dismiss|assign)\/$/);
    if (decision && method === 'POST') {
      const row = rows.find((r) => r.id === Number(decision[1]))!;
      if (decision[2] === 'assign') return json(200, { ...row, assignee: body.username });
      return json(200, { ...row, status: decision[2] === 'accept' ? 'accepted' : 'dismissed' });
    }
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

const $ = <T extends HTMLElement = HTMLElement>(id: string) => container.querySelector<T>(`[data-testid="${id}"]`);
const cards = () => [...container.querySelectorAll<HTMLElement>('[data-testid^="suggestion-"][data-frame]')];

async function mount(role: Role, me = 'alice', maxInstances: number | null = null) {
  await act(async () =>
    root.render(
      <MemoryRouter>
        <SuggestionsPage
          projectId={4}
          role={role}
          me={me}
          skeleton={skeleton}
          tracks={[{ id: 1, name: 'mouse A', color: '#ff7f0e' }, { id: 2, name: 'mouse B', color: '#1f77b4' }]}
          maxInstances={maxInstances}
          frameUrl={(v, i) => `/api/videos/${v}/frames/${i}.jpg`}
          correctHref={(v, i, s) => `/projects/4/videos/${v}/label?frame=${i}&suggestion=${s}`}
        />
      </MemoryRouter>,
    ),
  );
  await act(async () => {
    await new Promise((r) => setTimeout(r, 0));
  });
}

describe('SuggestionsPage', () => {
  it('labels a suggestion picked to fix tracking', async () => {
    rows[2] = suggestion({
      id: 3, frame_index: 30, score: 0.95, subscores: { uncertainty: 0.1, swap_candidate: 1 },
      reasons: ['mouse-a and mouse-b come close and separate: identities may switch here'],
    });
    await mount('owner');
    expect(cards()[0]!.dataset.testid).toBe('suggestion-3');
    expect($('suggestion-swap_candidate-3')!.textContent).toBe('Swap candidate');
    expect($('suggestion-identity_disagreement-3')).toBeNull();
    expect($('suggestion-swap_candidate-2')).toBeNull();
  });

  it('lists suggestions by score with the frame, predicted skeleton, sub-scores and reasons', async () => {
    await mount('owner');
    expect(cards().map((c) => c.dataset.testid)).toEqual(['suggestion-2', 'suggestion-3', 'suggestion-1']);
    expect($('suggestions-count')!.textContent).toBe('3 pending');
    expect($('suggestion-score-2')!.textContent).toBe('score 0.90');
    expect([...$('suggestion-reasons-2')!.querySelectorAll('li')].map((li) => li.textContent)).toEqual([
      'jump of 0.8 body lengths at tail',
      'unlike labeled frames',
    ]);
    const bars = $('suggestion-subscores-2')!.querySelectorAll('li');
    expect(bars).toHaveLength(4);
    expect(bars[0]!.querySelector<HTMLElement>('.subscore-fill')!.style.width).toBe('80%');
    const frame = $('suggestion-frame-2')!;
    expect(frame.querySelector('img')!.getAttribute('src')).toBe('/api/videos/7/frames/40.jpg');
    expect(frame.querySelector('svg')!.getAttribute('viewBox')).toBe('0 0 160 120');
    const circles = [...frame.querySelectorAll('circle[data-node]')];
    expect(circles.map((c) => [c.getAttribute('cx'), c.getAttribute('cy')])).toEqual([['10', '20'], ['50', '60']]);
    expect(Number(circles[0]!.getAttribute('opacity'))).toBeGreaterThan(Number(circles[1]!.getAttribute('opacity')));
    expect(frame.querySelectorAll('line')).toHaveLength(1);
    expect($<HTMLAnchorElement>('correct-2')!.getAttribute('href')).toBe('/projects/4/videos/7/label?frame=40&suggestion=2');
  });

  it('accepts, dismisses and assigns', async () => {
    await mount('owner');
    await act(async () => $('accept-2')!.click());
    expect(posts).toEqual([{ url: '/api/suggestions/2/accept/', method: 'POST', body: {} }]);
    expect($('suggestion-2')).toBeNull();
    expect($('suggestion-message')!.textContent).toContain('Accepted frame 40');

    await act(async () => $('dismiss-1')!.click());
    expect(posts[1]).toEqual({ url: '/api/suggestions/1/dismiss/', method: 'POST', body: undefined });
    expect(cards().map((c) => c.dataset.testid)).toEqual(['suggestion-3']);

    const select = $<HTMLSelectElement>('assign-3')!;
    expect([...select.options].map((o) => o.value)).toEqual(['', 'alice', 'bob']); // no viewers
    expect(select.value).toBe('bob');
    await act(async () => {
      select.value = 'alice';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(posts[2]).toEqual({ url: '/api/suggestions/3/assign/', method: 'POST', body: { username: 'alice' } });
    expect($<HTMLSelectElement>('assign-3')!.value).toBe('alice');
  });

  it('lets annotators only take suggestions themselves, and viewers only look', async () => {
    await mount('annotator', 'bob');
    expect([...$<HTMLSelectElement>('assign-1')!.options].map((o) => o.value)).toEqual(['', 'bob']);
    expect($<HTMLButtonElement>('al-save')).toBeNull();
    act(() => root.unmount());
    root = createRoot(container);
    await mount('viewer', 'vic');
    expect($('suggestion-2')).not.toBeNull();
    expect($('accept-2')).toBeNull();
    expect($('dismiss-2')).toBeNull();
  });

  it('saves active-learning settings for reviewers', async () => {
    await mount('reviewer', 'rita');
    const slider = $<HTMLInputElement>('al-weight-temporal')!;
    await act(async () => {
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
      setter.call(slider, '2.5');
      slider.dispatchEvent(new Event('input', { bubbles: true }));
    });
    const spread = $<HTMLSelectElement>('al-selection')!;
    expect([...spread.options].map((o) => o.value)).toEqual(['greedy', 'clusters']);
    expect(spread.value).toBe('greedy');
    await act(async () => {
      spread.value = 'clusters';
      spread.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await act(async () => $<HTMLButtonElement>('al-save')!.click());
    expect(posts).toEqual([{
      url: '/api/projects/4/active-learning-settings/',
      method: 'PUT',
      body: { weights: { uncertainty: 1, disagreement: 1, temporal: 2.5, diversity: 1, instance_count: 0 }, n_suggestions: 20, min_gap: 10, selection: 'clusters' },
    }]);
    expect($('al-saved')).not.toBeNull();
  });

  it('draws every predicted animal in its track colour and accepts the ticked ones', async () => {
    rows = [suggestion({ id: 5, frame_index: 50, score: 0.8 })];
    await mount('owner');
    const frame = $('suggestion-frame-5')!;
    const animals = [...frame.querySelectorAll('g[data-animal]')];
    expect(animals).toHaveLength(2);
    expect(animals.map((g) => g.querySelectorAll('circle[data-node]').length)).toEqual([2, 2]);
    expect(animals.map((g) => g.querySelector('circle[data-node]')!.getAttribute('stroke'))).toEqual(['#ff7f0e', '#1f77b4']);
    expect([...frame.querySelectorAll('text')].map((t) => t.textContent)).toEqual(['mouse A', 'mouse B']);
    expect($('suggestion-animals-5')!.textContent).toContain('mouse B (0.40)');

    // Untick mouse A: it fades on the frame, and Accept adds mouse B alone.
    await act(async () => $<HTMLInputElement>('suggestion-animal-5-0')!.click());
    expect(frame.querySelector('g[data-animal="0"]')!.getAttribute('data-faded')).toBe('true');
    await act(async () => $('accept-5')!.click());
    expect(posts).toEqual([{ url: '/api/suggestions/5/accept/', method: 'POST', body: { instances: [1] } }]);
    expect($('suggestion-message')!.textContent).toContain('1 predicted animal(s) added');
  });

  it('ticks no more animals than the project allows, and will not accept none', async () => {
    rows = [suggestion({ id: 5, frame_index: 50, score: 0.8 })];
    await mount('owner', 'alice', 1);
    expect($<HTMLInputElement>('suggestion-animal-5-0')!.checked).toBe(true);
    expect($<HTMLInputElement>('suggestion-animal-5-1')!.checked).toBe(false);
    await act(async () => $<HTMLInputElement>('suggestion-animal-5-0')!.click());
    expect($<HTMLButtonElement>('accept-5')!.disabled).toBe(true);
    await act(async () => $<HTMLInputElement>('suggestion-animal-5-1')!.click());
    await act(async () => $('accept-5')!.click());
    expect(posts).toEqual([{ url: '/api/suggestions/5/accept/', method: 'POST', body: { instances: [1] } }]);
  });
});
