// @vitest-environment jsdom
/** The owner's four-eyes toggle sends the PATCH and shows what the server saved. */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Project } from '../../../types/api';
import { ReviewSettingsPanel } from './ReviewSettingsPanel';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const project = { id: 4, name: 'Open field', allow_self_review: false } as Project;
let root: Root;
let container: HTMLDivElement;
let calls: { method: string; url: string; body: unknown }[];
let status: number;

beforeEach(() => {
  calls = [];
  status = 200;
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body));
    calls.push({ method: init?.method ?? 'GET', url, body });
    const answer = status === 200 ? { ...project, ...body } : { message: 'This needs the owner role or higher in this project.' };
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

const box = () => container.querySelector<HTMLInputElement>('[data-testid="allow-self-review"]')!;
const flush = () => act(async () => { await new Promise((r) => setTimeout(r, 0)); });

describe('ReviewSettingsPanel', () => {
  it('is off by default and turns self-review on with a PATCH', async () => {
    await act(async () => root.render(<ReviewSettingsPanel project={project} />));
    expect(box().checked).toBe(false);
    await act(async () => box().click());
    await flush();
    expect(calls).toEqual([{ method: 'PATCH', url: '/api/projects/4/', body: { allow_self_review: true } }]);
    expect(box().checked).toBe(true);
  });

  it('stays off and shows the message when the server refuses', async () => {
    status = 403;
    await act(async () => root.render(<ReviewSettingsPanel project={project} />));
    await act(async () => box().click());
    await flush();
    expect(box().checked).toBe(false);
    expect(container.textContent).toContain('needs the owner role');
  });
});
