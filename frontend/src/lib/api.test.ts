import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, errorFromBody, getCookie } from './api';

afterEach(() => vi.unstubAllGlobals());

describe('getCookie', () => {
  it('reads one cookie among several', () => {
    expect(getCookie('csrftoken', 'sessionid=abc; csrftoken=t0k%3Den; x=1')).toBe('t0k=en');
    expect(getCookie('missing', 'a=b')).toBe('');
  });
});

describe('errorFromBody', () => {
  it('uses the backend {message, extra} shape', () => {
    const err = errorFromBody(400, 'Bad Request', { message: 'Invalid data', extra: { fields: { name: ['Required.'] } } });
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.message).toBe('Invalid data');
    expect(err.fieldMessages).toEqual(['name: Required.']);
  });

  it('falls back to DRF detail or the status text', () => {
    expect(errorFromBody(403, 'Forbidden', { detail: 'No.' }).message).toBe('No.');
    expect(errorFromBody(502, 'Bad Gateway', '<html>').message).toBe('Bad Gateway');
  });
});

describe('apiRequest', () => {
  it('sends same-origin credentials, JSON and the CSRF header on unsafe methods', async () => {
    vi.stubGlobal('document', { cookie: 'csrftoken=abc' });
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ ok: 1 }), { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    await expect(api.put('/api/x/', { a: 1 })).resolves.toEqual({ ok: 1 });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/x/');
    expect(init.credentials).toBe('same-origin');
    expect(init.headers).toMatchObject({ 'X-CSRFToken': 'abc', 'Content-Type': 'application/json' });
    expect(init.body).toBe('{"a":1}');
  });

  it('does not send the CSRF header on GET', async () => {
    vi.stubGlobal('document', { cookie: 'csrftoken=abc' });
    const fetchMock = vi.fn(async () => new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetchMock);
    await expect(api.get('/api/y/')).resolves.toBeNull();
    const [, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(init.headers).not.toHaveProperty('X-CSRFToken');
  });

  it('throws ApiError with the backend message, and status 0 when offline', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ message: 'Nope', extra: { a: 1 } }), { status: 409 })));
    await expect(api.get('/api/z/')).rejects.toMatchObject({ status: 409, message: 'Nope', extra: { a: 1 } });
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch'); }));
    const err = await api.get('/api/z/').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).isNetworkError).toBe(true);
  });
});
