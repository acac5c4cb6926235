/**
 * The one HTTP client of the SPA.
 *
 * Same-origin fetch with the session cookie. Django's CSRF protection wants the
 * `csrftoken` cookie echoed in `X-CSRFToken` on unsafe methods; the cookie is set
 * by GET /api/auth/me/, which the app calls first. Every non-2xx answer becomes
 * an `ApiError` carrying the backend's `{message, extra}`; network failures
 * become an `ApiError` with status 0 so callers can tell "offline" apart.
 */

export class ApiError extends Error {
  readonly status: number;
  readonly extra: Record<string, unknown>;

  constructor(status: number, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.extra = extra;
  }

  /** True when the request never got an HTTP answer (offline, DNS, CORS...). */
  get isNetworkError(): boolean {
    return this.status === 0;
  }

  /** Validation messages from `extra.fields`, flattened to "field: msg". */
  get fieldMessages(): string[] {
    const fields = this.extra.fields;
    if (!fields || typeof fields !== 'object') return [];
    return Object.entries(fields as Record<string, unknown>).flatMap(([field, msgs]) =>
      (Array.isArray(msgs) ? msgs : [msgs]).map((m) => `${field}: ${String(m)}`),
    );
  }
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Read one cookie from `document.cookie` (empty string when absent or outside a browser). */
export function getCookie(name: string, cookieString?: string): string {
  const source = cookieString ?? (typeof document === 'undefined' ? '' : document.cookie);
  for (const part of source.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return '';
}

/** Headers to add for a method: the CSRF token on unsafe ones. */
export function csrfHeaders(method: string): Record<string, string> {
  if (!UNSAFE_METHODS.has(method.toUpperCase())) return {};
  const token = getCookie('csrftoken');
  return token ? { 'X-CSRFToken': token } : {};
}

/** Turn a non-2xx response body into an ApiError (tolerates non-JSON bodies). */
export function errorFromBody(status: number, statusText: string, body: unknown): ApiError {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const extra = (b.extra && typeof b.extra === 'object' ? b.extra : {}) as Record<string, unknown>;
    if (typeof b.message === 'string') return new ApiError(status, b.message, extra);
    if (typeof b.detail === 'string') return new ApiError(status, b.detail, extra);
  }
  return new ApiError(status, statusText || `Request failed (${status})`);
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
}

/** Call the API; resolves with the parsed JSON (or null for empty bodies). */
export async function apiRequest<T>(url: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json', ...csrfHeaders(method) };
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) {
    body = options.body;
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body, credentials: 'same-origin', signal: options.signal });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'Network error: could not reach the server');
  }
  const data = await readBody(response);
  if (!response.ok) throw errorFromBody(response.status, response.statusText, data);
  return data as T;
}

export const api = {
  get: <T>(url: string, signal?: AbortSignal) => apiRequest<T>(url, { signal }),
  post: <T>(url: string, body?: unknown) => apiRequest<T>(url, { method: 'POST', body }),
  put: <T>(url: string, body?: unknown) => apiRequest<T>(url, { method: 'PUT', body }),
  patch: <T>(url: string, body?: unknown) => apiRequest<T>(url, { method: 'PATCH', body }),
  delete: <T>(url: string) => apiRequest<T>(url, { method: 'DELETE' }),
};

/** Message to show for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
