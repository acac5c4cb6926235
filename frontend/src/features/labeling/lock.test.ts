import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../lib/api';
import type { FrameLock } from '../../types/api';
import { FrameLockKeeper, lockHolder, type LockDeps } from './lock';

const grant = (user = { id: 1, username: 'me' }): FrameLock => ({ user, video: 1, frame_index: 2, since: 'a', expires: 'b' });
const refuse = () =>
  new ApiError(409, 'rita is working on this frame right now', { lock: { user: { id: 7, username: 'rita' } } });

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function deps(lock: LockDeps['lock']) {
  return { lock: vi.fn(lock), unlock: vi.fn(async () => null), heartbeatMs: 30_000, retryMs: 10_000 };
}

describe('FrameLockKeeper', () => {
  it('acquires, renews every 30 s and releases on dispose', async () => {
    const d = deps(async () => grant());
    const k = new FrameLockKeeper(1, 2, d);
    await k.acquire();
    expect(k.snapshot.status).toBe('held');
    await vi.advanceTimersByTimeAsync(29_000);
    expect(d.lock).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(d.lock).toHaveBeenCalledTimes(2);
    k.dispose();
    expect(d.unlock).toHaveBeenCalledWith(1, 2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(d.lock).toHaveBeenCalledTimes(2);
  });

  it('reports the holder on 409, retries, and takes the lock when it is free', async () => {
    let free = false;
    const d = deps(async () => {
      if (!free) throw refuse();
      return grant();
    });
    const k = new FrameLockKeeper(1, 2, d);
    const seen: string[] = [];
    k.subscribe((s) => seen.push(s.status));
    await k.acquire();
    expect(k.snapshot).toMatchObject({ status: 'locked', holder: { username: 'rita' } });
    free = true;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(k.snapshot.status).toBe('held');
    expect(seen).toEqual(['locked', 'held']);
  });

  it('does not release a lock it never had; network errors do not block', async () => {
    const d = deps(async () => {
      throw new ApiError(0, 'Network error');
    });
    const k = new FrameLockKeeper(1, 2, d);
    await k.acquire();
    expect(k.snapshot.status).toBe('error');
    k.dispose();
    expect(d.unlock).not.toHaveBeenCalled();
  });

  it('gives back a lock granted after it was disposed', async () => {
    let resolve!: (l: FrameLock) => void;
    const d = deps(() => new Promise<FrameLock>((r) => (resolve = r)));
    const k = new FrameLockKeeper(1, 2, d);
    const pending = k.acquire();
    k.dispose();
    resolve(grant());
    await pending;
    expect(d.unlock).toHaveBeenCalledTimes(1);
  });

  it('reads the holder only from a 409', () => {
    expect(lockHolder(refuse())?.username).toBe('rita');
    expect(lockHolder(new ApiError(404, 'x'))).toBeNull();
  });
});
