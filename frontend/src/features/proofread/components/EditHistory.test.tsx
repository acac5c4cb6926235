// @vitest-environment jsdom
/** The edit history panel against a fake backend: read only once opened, again when the version moves. */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TrackEditInfo } from '../../../types/api';
import { EditHistory } from './EditHistory';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const swap: TrackEditInfo = {
  id: 4, version: 1, user: 'bob', op: { op: 'swap', tracks: ['mouse-a', 'mouse-b'], start: 30, stop: null }, start: 30, stop: 60,
  undoes: null, undone: false, created_at: '2026-12-01T06:00:00+00:00',
};
const merge: TrackEditInfo = { ...swap, id: 5, version: 2, user: 'alice', op: { op: 'merge', track: 'mouse-b', into: 'mouse-a' }, start: 0 };

let root: Root;
let container: HTMLDivElement;
let edits: TrackEditInfo[];
let gets: string[];
const frames: number[] = [];
const $ = (id: string) => container.querySelector<HTMLElement>(`[data-testid="${id}"]`);

beforeEach(() => {
  edits = [swap];
  gets = [];
  frames.length = 0;
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    gets.push(url);
    return new Response(JSON.stringify({ edits }), { status: 200, headers: { 'Content-Type': 'application/json' } });
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

const draw = (version: number) =>
  act(async () => root.render(<EditHistory runId={9} version={version} me="bob" onFrame={(f) => frames.push(f)} />));

describe('EditHistory', () => {
  it('lists who did what only once opened, and reads again after each new version', async () => {
    await draw(1);
    expect($('edit-history')!.querySelector('summary')!.textContent).toContain('1 edit so far');
    expect(gets).toEqual([]);

    const details = $('edit-history') as HTMLDetailsElement;
    await act(async () => {
      details.open = true;
      details.dispatchEvent(new Event('toggle'));
    });
    expect(gets).toEqual(['/api/inference-runs/9/tracks/edits/']);
    expect($('edit-1')!.textContent).toContain('you swapped mouse-a ⇄ mouse-b');
    expect($('edit-1')!.textContent).toContain('frames 30–59');

    // Alice merged meanwhile; bob's swap was undone. The page's version moves: the list follows.
    edits = [merge, { ...swap, undone: true }];
    await draw(2);
    expect(gets).toHaveLength(2);
    expect($('edit-2')!.textContent).toContain('alice merged mouse-b into mouse-a');
    expect($('edit-1')!.dataset.undone).toBe('true');
    expect($('edit-1')!.textContent).toContain('undone');

    await act(async () => $('edit-2')!.querySelector('button')!.click());
    expect(frames).toEqual([0]);
  });
});
