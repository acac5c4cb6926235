// @vitest-environment jsdom
/** The owner's test-set panel: loads the set, pins N seeded random frames, unpins one, clears. */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TestSet } from '../../../types/api';
import { TestSetPanel } from './TestSetPanel';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const frame = (id: number, index: number) => ({ id, video: 3, frame_index: index, status: 'approved' });
let root: Root;
let container: HTMLDivElement;
let calls: { method: string; url: string; body: unknown }[];
let answers: (TestSet | { message: string; status: number })[];

beforeEach(() => {
  calls = [];
  answers = [];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    calls.push({ method: init?.method ?? 'GET', url, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    const answer = answers.shift()!;
    const status = 'status' in answer ? answer.status : 200;
    return new Response(JSON.stringify(answer), { status, headers: { 'Content-Type': 'application/json' } });
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

const $ = (testId: string) => container.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
const flush = () => act(async () => { await new Promise((r) => setTimeout(r, 0)); });
const type = async (testId: string, value: string) => {
  const input = $(testId) as HTMLInputElement;
  await act(async () => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
};

describe('TestSetPanel', () => {
  it('pins seeded random frames, unpins one and clears', async () => {
    answers = [{ frames: [], eligible_frames: 12 }, { frames: [frame(7, 5), frame(9, 40)], eligible_frames: 12 }];
    await act(async () => root.render(<TestSetPanel projectId={4} videoName={() => 'mouse.mp4'} />));
    await flush();
    expect($('test-set-summary')!.textContent).toBe('0 of 12 labeled frames pinned as the test set.');
    await type('test-set-count', '2');
    await type('test-set-seed', '7');
    await act(async () => $('test-set-pin')!.click());
    await flush();
    expect(calls[1]).toEqual({ method: 'POST', url: '/api/projects/4/test-set/', body: { count: 2, seed: 7 } });
    expect($('test-set-frames')!.textContent).toContain('mouse.mp4, frame 40');

    answers = [{ frames: [frame(7, 5)], eligible_frames: 12 }, { frames: [], eligible_frames: 12 }];
    await act(async () => container.querySelector<HTMLButtonElement>('[aria-label="Unpin mouse.mp4 frame 40"]')!.click());
    await flush();
    expect(calls[2]).toMatchObject({ method: 'DELETE', url: '/api/projects/4/test-set/frames/9/' });
    expect($('test-set-summary')!.textContent).toBe('1 of 12 labeled frames pinned as the test set.');
    await act(async () => $('test-set-clear')!.click());
    await flush();
    expect(calls[3]).toMatchObject({ method: 'DELETE', url: '/api/projects/4/test-set/' });
    expect($('test-set-frames')).toBeNull();
  });

  it('shows the server message when too many frames are asked for', async () => {
    answers = [{ frames: [], eligible_frames: 3 }, { message: 'Cannot pin 5 test frames: at most 1.', status: 400 }];
    await act(async () => root.render(<TestSetPanel projectId={4} />));
    await flush();
    await type('test-set-count', '5');
    await act(async () => $('test-set-pin')!.click());
    await flush();
    expect(container.textContent).toContain('Cannot pin 5 test frames');
    expect($('test-set-summary')!.textContent).toBe('0 of 3 labeled frames pinned as the test set.');
  });
});
