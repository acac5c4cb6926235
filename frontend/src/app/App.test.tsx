// @vitest-environment jsdom
/** Auth flow: anonymous → /login?next=…, log in, land back where we were; log out. */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthProvider } from './auth';
import { AppRoutes } from './router';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(body === null ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const project = {
  id: 1, name: 'Mice', description: '', created_at: '', my_role: 'owner',
  counts: { videos: 0, labeled_frames: 0, instances: 0, by_status: { in_progress: 0, submitted: 0, approved: 0, rejected: 0 } },
};

let user: { id: number; username: string } | null = null;
let videoPolls = 0;
let root: Root;
let container: HTMLDivElement;

beforeEach(() => {
  user = null;
  videoPolls = 0;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const body = init?.body ? JSON.parse(String(init.body)) : null;
      if (url === '/api/auth/me/') return json(200, { user });
      if (url === '/api/auth/login/') {
        if (body.password !== 'secret') return json(400, { message: 'Invalid username or password.', extra: {} });
        user = { id: 1, username: body.username };
        return json(200, { user });
      }
      if (url === '/api/auth/logout/') {
        user = null;
        return json(204, null);
      }
      if (url === '/api/projects/' && init?.method === 'POST') return json(201, { ...project, id: 2, name: body.name });
      if (url === '/api/projects/') return json(200, [project]);
      if (url === '/api/projects/1/') return json(200, project);
      if (url === '/api/projects/1/skeleton/') {
        return json(200, { nodes: [{ id: 1, name: 'snout', color: '#ff0000' }, { id: 2, name: 'tail', color: '#00ff00' }], edges: [[1, 2]], symmetries: [] });
      }
      if (url === '/api/projects/1/videos/') {
        videoPolls++;
        const status = videoPolls >= 2 ? 'ready' : 'processing';
        return json(200, [{
          id: 7, project: 1, name: 'mouse.mp4', size_bytes: 2_500_000, fps: 30, frame_count: videoPolls >= 2 ? 300 : null,
          width: 640, height: 480, codec: 'h264', status, error: '', thumbnail_url: '/api/videos/7/thumbnail.jpg',
          created_at: '', labeled_frames: 4,
        }]);
      }
      return json(404, { message: 'Not found.' });
    }),
  );
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
});

async function mount(entry: string) {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  await act(async () => {
    root.render(
      <MemoryRouter initialEntries={[entry]}>
        <AuthProvider>
          <AppRoutes />
        </AuthProvider>
      </MemoryRouter>,
    );
  });
}

const q = <T extends Element = HTMLElement>(sel: string) => container.querySelector<T & HTMLElement>(sel);

function typeInto(input: HTMLInputElement, value: string) {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
  setter.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

async function submitLogin(password: string) {
  await act(async () => {
    typeInto(q<HTMLInputElement>('input[name=username]')!, 'alice');
    typeInto(q<HTMLInputElement>('input[name=password]')!, password);
  });
  await act(async () => q('button[type=submit]')!.click());
}

describe('app auth flow', () => {
  it('shows the backend message on a bad login, then logs in and lists projects', async () => {
    await mount('/');
    expect(q('input[name=username]')).not.toBeNull();
    await submitLogin('wrong');
    expect(container.textContent).toContain('Invalid username or password.');
    await submitLogin('secret');
    expect(q('[data-testid=current-user]')!.textContent).toBe('alice');
    const link = [...container.querySelectorAll('a')].find((a) => a.textContent === 'Mice');
    expect(link?.getAttribute('href')).toBe('/projects/1');

    await act(async () => {
      typeInto(q<HTMLInputElement>('input[name=project-name]')!, 'Rats');
    });
    const create = [...container.querySelectorAll('button')].find((b) => b.textContent === 'Create')!;
    await act(async () => create.click());
    expect([...container.querySelectorAll('a')].some((a) => a.textContent === 'Rats')).toBe(true);

    await act(async () => q('[data-testid=logout]')!.click());
    expect(q('input[name=username]')).not.toBeNull();
  });
});

describe('project page', () => {
  it('redirects to login and back, lists videos with Label links, upload form, and polls while processing', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      await mount('/projects/1');
      await submitLogin('secret');
      expect(q('[data-testid=project-name]')!.textContent).toBe('Mice');
      expect(q('[data-testid=skeleton]')!.textContent).toContain('snout – tail');
      const label = q<HTMLAnchorElement>('[data-testid=label-video-7]')!;
      expect(label.textContent).toBe('Label');
      expect(label.getAttribute('href')).toBe('/projects/1/videos/7/label');
      expect(q('input[type=file][name=video]')).not.toBeNull();
      expect(q<HTMLImageElement>('img.thumb')!.getAttribute('src')).toBe('/api/videos/7/thumbnail.jpg');
      expect(q('[data-testid=video-status-7]')!.textContent).toBe('processing');
      await act(async () => {
        await vi.advanceTimersByTimeAsync(2000);
      });
      expect(q('[data-testid=video-status-7]')!.textContent).toBe('ready');
      expect(q('[data-testid=video-7]')!.textContent).toContain('2.4 MB');
    } finally {
      vi.useRealTimers();
    }
  });
});
