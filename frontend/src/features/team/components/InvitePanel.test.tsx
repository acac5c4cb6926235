// @vitest-environment jsdom
/**
 * Owner-side of invitations in jsdom: creating a link shows it once with the
 * chosen role, pending links list and revoke, and direct add offers only
 * co-workers (never the owner role).
 */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Invitation } from '../../../types/api';
import { InvitePanel } from './InvitePanel';
import { MembersPanel } from './MembersPanel';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(body === null ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

let root: Root;
let container: HTMLDivElement;
let calls: { method: string; url: string; body: unknown }[];
let pending: Invitation[];
let candidates: { id: number; username: string }[];

const $ = <T extends HTMLElement = HTMLElement>(id: string) => container.querySelector<T>(`[data-testid="${id}"]`);
const flush = () => act(async () => { await new Promise((r) => setTimeout(r, 0)); });

function choose(id: string, value: string) {
  const select = $<HTMLSelectElement>(id)!;
  act(() => {
    select.value = value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
  });
}

const invitation = (id: number, role: Invitation['role']): Invitation => ({
  id, role, created_by: { id: 1, username: 'alice' }, created_at: '2024-01-01T00:00:00Z',
  expires_at: new Date(Date.now() + 72 * 3_600_000).toISOString(),
});

beforeEach(() => {
  calls = [];
  pending = [];
  candidates = [{ id: 8, username: 'carol' }];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    calls.push({ method, url, body: init?.body ? JSON.parse(String(init.body)) : null });
    if (url === '/api/projects/4/invitations/' && method === 'POST') {
      const created = { ...invitation(21, 'reviewer'), token: 'tok-123' };
      pending = [created];
      return json(201, created);
    }
    if (url === '/api/projects/4/invitations/') return json(200, pending);
    if (url === '/api/projects/4/invitations/21/' && method === 'DELETE') {
      pending = [];
      return json(204, null);
    }
    if (url === '/api/projects/4/members/' && method === 'GET') {
      return json(200, [{ id: 1, user: { id: 1, username: 'alice' }, role: 'owner' }]);
    }
    if (url === '/api/projects/4/member-candidates/') return json(200, candidates);
    if (url === '/api/projects/4/members/') return json(201, { id: 2, user: { id: 8, username: 'carol' }, role: 'viewer' });
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

describe('InvitePanel', () => {
  it('creates a link with the chosen role, shows it once, and revokes it', async () => {
    await act(async () => root.render(<InvitePanel projectId={4} />));
    await flush();
    expect($('invites-pending')).toBeNull();
    choose('invite-role', 'reviewer');
    await act(async () => $<HTMLButtonElement>('invite-create')!.click());
    await flush();
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ role: 'reviewer' });
    expect($<HTMLInputElement>('invite-link')!.value).toBe(`${window.location.origin}/invite/tok-123`);
    expect($('invite-21')!.textContent).toContain('reviewer');
    expect($('invite-21')!.textContent).toContain('expires in');
    await act(async () => $<HTMLButtonElement>('invite-revoke-21')!.click());
    await flush();
    expect(calls.some((c) => c.method === 'DELETE' && c.url === '/api/projects/4/invitations/21/')).toBe(true);
    expect($('invites-pending')).toBeNull();
  });
});

describe('MembersPanel direct add', () => {
  it('offers only co-workers, and never the owner role', async () => {
    await act(async () => root.render(<MembersPanel projectId={4} canManage meId={1} />));
    await flush();
    const people = [...$<HTMLSelectElement>('member-username')!.options].map((o) => o.value);
    expect(people).toEqual(['', 'carol']);
    const roles = [...$<HTMLSelectElement>('member-new-role')!.options].map((o) => o.value);
    expect(roles).not.toContain('owner');
    choose('member-username', 'carol');
    choose('member-new-role', 'viewer');
    await act(async () => $<HTMLButtonElement>('member-add')!.click());
    await flush();
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ username: 'carol', role: 'viewer' });
  });

  it('points to invite links when there is nobody to add', async () => {
    candidates = [];
    await act(async () => root.render(<MembersPanel projectId={4} canManage meId={1} />));
    await flush();
    expect($('member-username')).toBeNull();
    expect($('no-candidates')!.textContent).toContain('Invite people by link');
  });

  it('does not ask for candidates when the viewer is not an owner', async () => {
    await act(async () => root.render(<MembersPanel projectId={4} canManage={false} meId={1} />));
    await flush();
    expect(calls.map((c) => c.url)).toEqual(['/api/projects/4/members/']);
  });
});
