// @vitest-environment jsdom
/** Skeleton editor in jsdom: edit, save, and the 409 "removes N labels" confirmation. */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Skeleton } from '../../../types/api';
import { SkeletonEditor } from './SkeletonEditor';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const skeleton: Skeleton = {
  nodes: [
    { id: 1, name: 'snout', color: '#ff0000' },
    { id: 2, name: 'left_ear', color: '#00ff00' },
    { id: 3, name: 'right_ear', color: '#0000ff' },
  ],
  edges: [[1, 2], [1, 3]],
  symmetries: [],
};

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

let root: Root;
let container: HTMLDivElement;
let puts: { url: string; body: unknown }[];

beforeEach(() => {
  puts = [];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body)) as { nodes: { id?: number; name: string; color: string }[] };
    puts.push({ url, body });
    if (!url.includes('confirm=true') && body.nodes.length < 3) {
      return json(409, { message: 'Deleting 1 node(s) removes 4 labeled point(s). Send confirm=true to go ahead.', extra: { labels_removed: 4, nodes: [3] } });
    }
    return json(200, { ...skeleton, nodes: body.nodes.map((n, i) => ({ id: n.id ?? 10 + i, name: n.name, color: n.color })), symmetries: [] });
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

const $ = (id: string) => container.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const click = (id: string) => act(async () => $(id)!.click());

describe('SkeletonEditor', () => {
  it('suggests the left/right pair and previews it', async () => {
    await act(async () => root.render(<SkeletonEditor projectId={4} skeleton={skeleton} onSaved={() => undefined} />));
    expect($('suggest-symmetries')!.textContent).toContain('left_ear ↔ right_ear');
    await click('suggest-symmetries');
    expect($('sym-0')!.textContent).toContain('left_ear ↔ right_ear');
    expect(container.querySelectorAll('[data-testid=preview-node]')).toHaveLength(3);
    await click('skeleton-save');
    expect(puts[0]!.body).toMatchObject({ symmetries: [[2, 3]] });
    expect($('skeleton-saved')).not.toBeNull();
  });

  it('asks before deleting labeled nodes, then saves with confirm=true', async () => {
    const saved = vi.fn();
    await act(async () => root.render(<SkeletonEditor projectId={4} skeleton={skeleton} onSaved={saved} />));
    await click('node-remove-2');
    await click('skeleton-save');
    expect(puts[0]!.url).toBe('/api/projects/4/skeleton/');
    expect($('skeleton-confirm')!.textContent).toContain('removes 4 labeled points');
    expect(saved).not.toHaveBeenCalled();
    await click('skeleton-confirm-delete');
    expect(puts[1]!.url).toBe('/api/projects/4/skeleton/?confirm=true');
    expect(saved).toHaveBeenCalledTimes(1);
    expect($('skeleton-confirm')).toBeNull();
  });
});
