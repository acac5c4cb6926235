// @vitest-environment jsdom
/** The review frame and the conflict panel show every animal of a frame, by track name and colour. */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Instance, LabeledFrame, Skeleton } from '../../../types/api';
import { ConflictPanel } from './ConflictPanel';
import { ReadOnlyFrame } from './ReadOnlyFrame';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const skeleton: Skeleton = {
  nodes: [
    { id: 1, name: 'snout', color: '#ff0000' },
    { id: 2, name: 'tail', color: '#00ff00' },
  ],
  edges: [[1, 2]],
  symmetries: [],
};
const tracks = [
  { id: 1, name: 'mouse A', color: '#ff7f0e' },
  { id: 2, name: 'mouse B', color: '#1f77b4' },
];
const inst = (track: string | null, x: number, source: Instance['source'] = 'human'): Instance => ({
  track,
  source,
  points: [
    { node: 1, x, y: 10, visibility: 2 },
    { node: 2, x: x + 5, y: 20, visibility: 2 },
  ],
});
const theirs = (instances: Instance[]): LabeledFrame =>
  ({ version: 4, instances, updated_by: { id: 2, username: 'bob' }, updated_at: null }) as unknown as LabeledFrame;

let root: Root;
let container: HTMLDivElement;
const $ = (id: string) => container.querySelector<HTMLElement>(`[data-testid="${id}"]`);

beforeEach(() => {
  vi.stubGlobal('ResizeObserver', class { observe() {} disconnect() {} });
  HTMLCanvasElement.prototype.getContext = (() => null) as never;
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
});

const frameProps = { videoId: 5, frameIndex: 7, skeleton, size: { width: 640, height: 480 } };

describe('ReadOnlyFrame', () => {
  it('lists every animal of the frame with its track colour and name', () => {
    act(() => root.render(<ReadOnlyFrame {...frameProps} tracks={tracks} instances={[inst('mouse B', 1, 'model'), inst('mouse A', 50), inst(null, 90)]} />));
    const items = [0, 1, 2].map((i) => $(`review-instance-${i}`)!);
    expect(items.map((li) => li.textContent)).toEqual(['mouse B (model)', 'mouse A', 'Instance 3']);
    expect(items[0]!.querySelector<HTMLElement>('.swatch')!.style.background).toBe('rgb(31, 119, 180)');
  });

  it('picks the instance nearest a click, or none away from every animal', () => {
    const picked: (number | null)[] = [];
    const nodes: number[] = [];
    const draw = (selected: number | null) =>
      act(() =>
        root.render(
          <ReadOnlyFrame
            {...frameProps}
            tracks={tracks}
            instances={[inst('mouse A', 1), inst('mouse B', 100)]}
            selectedInstance={selected}
            onPickInstance={(i) => picked.push(i)}
            onPickNode={(n) => nodes.push(n)}
          />,
        ),
      );
    draw(null);
    // No layout in jsdom: the viewport is the identity, so client pixels are image pixels.
    const click = (x: number, y: number) =>
      act(() => {
        const canvas = $('label-canvas')!;
        canvas.dispatchEvent(new MouseEvent('pointerdown', { bubbles: true, clientX: x, clientY: y, button: 0 }));
        canvas.dispatchEvent(new MouseEvent('pointerup', { bubbles: true, clientX: x, clientY: y, button: 0 }));
      });
    click(112, 24); // near mouse B's tail (105, 20), no point under the cursor
    click(300, 300); // far from both
    click(1, 10); // on mouse A's snout (the instance drawn on top)
    draw(1); // mouse B selected: drawn on top now
    click(1, 10); // mouse A's snout, now another instance's point
    expect(picked).toEqual([1, null, 0, 0]);
    expect(nodes).toEqual([]);
  });

  it('keeps the single-animal view plain', () => {
    act(() => root.render(<ReadOnlyFrame {...frameProps} tracks={tracks} instances={[inst(null, 1)]} />));
    expect($('review-frame')!.querySelector('canvas')).not.toBeNull();
    expect($('review-instances')).toBeNull();
  });
});

describe('ConflictPanel', () => {
  const render = (their: Instance[], mine: Instance[]) =>
    act(() =>
      root.render(
        <ConflictPanel skeleton={skeleton} theirs={theirs(their)} mine={mine} tracks={tracks} onKeepMine={() => {}} onTakeTheirs={() => {}} />,
      ),
    );

  it('compares every animal, the same track side by side', () => {
    render([inst('mouse A', 1), inst('mouse B', 100)], [inst('mouse B', 110), inst('mouse A', 1)]);
    const a = $('conflict-instance-0')!;
    const b = $('conflict-instance-1')!;
    expect(a.querySelector('caption')!.textContent).toBe('mouse A');
    expect(a.querySelectorAll('tr.differs')).toHaveLength(0);
    expect(b.querySelector('caption')!.textContent).toBe('mouse B');
    expect([...b.querySelectorAll('tbody tr')].map((tr) => tr.textContent)).toEqual([
      'snout100.0, 10.0110.0, 10.0',
      'tail105.0, 20.0115.0, 20.0',
    ]);
    expect(b.querySelector<HTMLElement>('caption')!.style.color).toBe('rgb(31, 119, 180)');
  });

  it('shows an animal only one side has', () => {
    render([inst('mouse A', 1)], [inst('mouse A', 1), inst('mouse B', 100)]);
    expect($('conflict-instance-1')!.querySelector('caption')!.textContent).toBe('mouse B (only mine)');
    expect($('conflict-instance-1')!.querySelector('tbody td:nth-child(2)')!.textContent).toBe('—');
  });

  it('keeps one plain table for a single-animal frame', () => {
    render([inst(null, 1)], [inst(null, 2)]);
    expect(container.querySelectorAll('table')).toHaveLength(1);
    expect(container.querySelector('caption')).toBeNull();
    expect($('conflict-panel')!.textContent).toContain('1.0, 10.0');
    expect($('conflict-panel')!.textContent).toContain('2.0, 10.0');
  });
});
