// @vitest-environment jsdom
/**
 * The site-admin page in jsdom: lists accounts, creates one (the form clears
 * only when the server accepted it), deactivates one, and shows a generated
 * password once.
 */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AdminUser } from '../../../types/api';
import { AdminUsersPage } from './AdminUsersPage';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const person = (id: number, username: string, over: Partial<AdminUser> = {}): AdminUser => ({
  id, username, email: '', is_active: true, is_staff: false, is_superuser: false,
  date_joined: '2024-01-01T00:00:00Z', last_login: null, ...over,
});

let root: Root;
let container: HTMLDivElement;
let users: AdminUser[];
let calls: { method: string; url: string; body: unknown }[];
let createAnswer: () => Response;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => container.querySelector<T>(`[data-testid="${id}"]`);
const flush = () => act(async () => { await new Promise((r) => setTimeout(r, 0)); });

function type(name: string, value: string) {
  const input = container.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
  act(() => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

async function submitCreate() {
  await act(async () => $<HTMLButtonElement>('admin-create-submit')!.click());
  await flush();
}

beforeEach(async () => {
  users = [person(1, 'ada', { is_staff: true }), person(2, 'eve')];
  calls = [];
  createAnswer = () => {
    users = [...users, person(3, 'newton')];
    return json(201, users[2]);
  };
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const body = init?.body ? JSON.parse(String(init.body)) : null;
    calls.push({ method, url, body });
    if (url === '/api/admin/users/' && method === 'GET') return json(200, users);
    if (url === '/api/admin/users/' && method === 'POST') return createAnswer();
    if (url === '/api/admin/users/2/' && method === 'PATCH') {
      users = users.map((u) => (u.id === 2 ? { ...u, ...body } : u));
      return json(200, users[1]);
    }
    if (url === '/api/admin/users/2/password/') return json(200, { generated_password: body.password ? null : 'Gen-Pass-1234' });
    return json(404, { message: 'Not found.' });
  }));
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  await act(async () => root.render(<AdminUsersPage meId={1} />));
  await flush();
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('AdminUsersPage', () => {
  it('lists accounts and never lets an admin deactivate themselves', () => {
    expect($('admin-user-ada')!.textContent).toContain('(admin)');
    expect($<HTMLButtonElement>('admin-toggle-ada')!.disabled).toBe(true);
    expect($('admin-status-eve')!.textContent).toBe('active');
  });

  it('creates an account and clears the form only on success', async () => {
    createAnswer = () => json(400, { message: "The username 'eve' is taken.", extra: {} });
    type('new-username', 'eve');
    type('new-password', 'a-long-password-1');
    await submitCreate();
    expect($('admin-error')!.textContent).toContain('taken');
    expect(container.querySelector<HTMLInputElement>('input[name="new-username"]')!.value).toBe('eve');

    createAnswer = () => {
      users = [...users, person(3, 'newton')];
      return json(201, users[2]);
    };
    type('new-username', 'newton');
    await submitCreate();
    expect(calls.filter((c) => c.method === 'POST').at(-1)!.body).toEqual({
      username: 'newton', password: 'a-long-password-1', email: '', is_staff: false,
    });
    expect($('admin-user-newton')).not.toBeNull();
    expect(container.querySelector<HTMLInputElement>('input[name="new-username"]')!.value).toBe('');
  });

  it('deactivates an account', async () => {
    await act(async () => $<HTMLButtonElement>('admin-toggle-eve')!.click());
    await flush();
    expect(calls.find((c) => c.method === 'PATCH')!.body).toEqual({ is_active: false });
    expect($('admin-status-eve')!.textContent).toBe('deactivated');
    expect($('admin-toggle-eve')!.textContent).toBe('Reactivate');
  });

  it('shows a generated password once', async () => {
    vi.spyOn(window, 'prompt').mockReturnValue('');
    await act(async () => $<HTMLButtonElement>('admin-password-eve')!.click());
    await flush();
    expect(calls.find((c) => c.url.endsWith('/password/'))!.body).toEqual({ password: '' });
    expect($('admin-notice')!.textContent).toContain('Gen-Pass-1234');
  });
});
