// @vitest-environment jsdom
/**
 * The invite page in jsdom against a fake API: a logged-out visitor creates an
 * account (the request body is checked), a logged-in one accepts with one
 * click, a dead link shows the server's message and no form, and a refused
 * sign-up keeps the form with the server's reason.
 */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InviteAccepted, User } from '../../../types/api';
import { InviteAccept } from './InviteAccept';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const DEAD = 'This invite link is no longer valid: it was already used, has expired or was revoked.';
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

let root: Root;
let container: HTMLDivElement;
let posts: { url: string; body: unknown }[];
let acceptAnswer: Response;
let accepted: InviteAccepted[];

const $ = <T extends HTMLElement = HTMLElement>(id: string) => container.querySelector<T>(`[data-testid="${id}"]`);
const flush = () => act(async () => { await new Promise((r) => setTimeout(r, 0)); });

function type(name: string, value: string) {
  const input = container.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
  act(() => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

async function mount(token: string, user: User | null) {
  await act(async () =>
    root.render(
      <MemoryRouter>
        <InviteAccept token={token} user={user} loginHref="/login?next=x" onAccepted={(r) => accepted.push(r)} />
      </MemoryRouter>,
    ),
  );
  await flush();
}

beforeEach(() => {
  posts = [];
  accepted = [];
  acceptAnswer = json(200, { project: 7, role: 'reviewer', user: { id: 3, username: 'newton', is_staff: false } });
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    if (init?.method === 'POST') {
      posts.push({ url, body: JSON.parse(String(init.body ?? '{}')) });
      return acceptAnswer;
    }
    if (url === '/api/invitations/good/') {
      return json(200, { project_name: 'Open field', role: 'reviewer', invited_by: 'alice', expires_at: '2099-01-01T00:00:00Z' });
    }
    return json(404, { message: DEAD, extra: {} });
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

describe('InviteAccept', () => {
  it('shows project and role, then creates an account and joins', async () => {
    await mount('good', null);
    expect($('invite-project')!.textContent).toBe('Open field');
    expect($('invite-role')!.textContent).toBe('reviewer');
    expect($('invite-summary')!.textContent).toContain('alice invites you');
    type('username', ' newton ');
    type('password', 'a-long-password-1');
    type('password2', 'a-long-password-1');
    await act(async () => $<HTMLButtonElement>('invite-signup-submit')!.click());
    await flush();
    expect(posts).toEqual([{ url: '/api/invitations/good/accept/', body: { username: 'newton', password: 'a-long-password-1' } }]);
    expect(accepted.map((a) => [a.project, a.role, a.user.username])).toEqual([[7, 'reviewer', 'newton']]);
  });

  it('refuses to send two different passwords', async () => {
    await mount('good', null);
    type('username', 'newton');
    type('password', 'a-long-password-1');
    type('password2', 'a-long-password-2');
    await flush();
    expect(container.textContent).toContain('The two passwords differ.');
    expect($<HTMLButtonElement>('invite-signup-submit')!.disabled).toBe(true);
    expect(posts).toEqual([]);
  });

  it('keeps the form and shows why when the server refuses the account', async () => {
    acceptAnswer = json(400, { message: 'This password is too short.', extra: {} });
    await mount('good', null);
    type('username', 'newton');
    type('password', 'short');
    type('password2', 'short');
    await act(async () => $<HTMLButtonElement>('invite-signup-submit')!.click());
    await flush();
    expect($('invite-error')!.textContent).toBe('This password is too short.');
    expect($('invite-signup')).not.toBeNull();
    expect(accepted).toEqual([]);
  });

  it('lets a logged-in user accept with one click', async () => {
    await mount('good', { id: 5, username: 'eve' });
    expect($('invite-signup')).toBeNull();
    expect(container.textContent).toContain('logged in as eve');
    await act(async () => $<HTMLButtonElement>('invite-accept')!.click());
    await flush();
    expect(posts).toEqual([{ url: '/api/invitations/good/accept/', body: {} }]);
    expect(accepted).toHaveLength(1);
  });

  it('shows one clear message for a dead link and no form', async () => {
    await mount('used-up', null);
    expect($('invite-error')!.textContent).toBe(DEAD);
    expect($('invite-signup')).toBeNull();
    expect($('invite-accept')).toBeNull();
  });
});
