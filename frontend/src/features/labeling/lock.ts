/**
 * The lock on the frame being labeled: acquire on open, heartbeat while the
 * page is open, release on leave. No React; the page subscribes.
 *
 * Locks are advisory (saves are still decided by `version`), so a lock the
 * server refuses (409, someone else holds it) makes the page read-only with a
 * "locked by X" banner, and we keep asking every few seconds: when the other
 * person leaves, the frame becomes editable by itself. A network failure does
 * not block editing (offline labeling keeps working); we retry quietly.
 */
import { ApiError } from '../../lib/api';
import type { FrameLock, User } from '../../types/api';

export type LockStatus = 'acquiring' | 'held' | 'locked' | 'error' | 'released';

export interface LockSnapshot {
  status: LockStatus;
  /** Who holds the lock when status is "locked". */
  holder: User | null;
  /** Server message of the last refusal / failure. */
  message: string | null;
  expires: string | null;
}

export interface LockDeps {
  lock(videoId: number, frameIndex: number): Promise<FrameLock>;
  unlock(videoId: number, frameIndex: number): Promise<unknown>;
  heartbeatMs?: number;
  retryMs?: number;
}

export const HEARTBEAT_MS = 30_000;
export const LOCKED_RETRY_MS = 10_000;

/** The holder named by a 409 of POST lock (`extra.lock.user`). */
export function lockHolder(err: unknown): User | null {
  if (!(err instanceof ApiError) || err.status !== 409) return null;
  const lock = err.extra.lock as Partial<FrameLock> | undefined;
  return lock?.user ?? null;
}

export class FrameLockKeeper {
  private snap: LockSnapshot = { status: 'acquiring', holder: null, message: null, expires: null };
  private listeners = new Set<(s: LockSnapshot) => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;
  /** True once the server granted the lock at least once (so leaving must release it). */
  private granted = false;

  constructor(
    readonly videoId: number,
    readonly frameIndex: number,
    private readonly deps: LockDeps,
  ) {}

  get snapshot(): LockSnapshot {
    return this.snap;
  }

  get isHeld(): boolean {
    return this.granted;
  }

  subscribe(listener: (s: LockSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Acquire (or renew) now; schedules the next heartbeat / retry. */
  async acquire(): Promise<LockSnapshot> {
    this.clearTimer();
    if (this.disposed) return this.snap;
    try {
      const lock = await this.deps.lock(this.videoId, this.frameIndex);
      if (this.disposed) {
        // Left while the request was in flight: give it back at once.
        void this.deps.unlock(this.videoId, this.frameIndex).catch(() => undefined);
        return this.snap;
      }
      this.granted = true;
      this.set({ status: 'held', holder: lock.user, message: null, expires: lock.expires });
      this.schedule(this.deps.heartbeatMs ?? HEARTBEAT_MS);
    } catch (err) {
      if (this.disposed) return this.snap;
      if (err instanceof ApiError && err.status === 409) {
        this.granted = false;
        this.set({ status: 'locked', holder: lockHolder(err), message: err.message, expires: null });
      } else {
        this.set({ status: 'error', message: err instanceof Error ? err.message : String(err) });
      }
      this.schedule(this.deps.retryMs ?? LOCKED_RETRY_MS);
    }
    return this.snap;
  }

  /** Stop the heartbeat and give the lock back (if we had it). */
  dispose(release = true): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clearTimer();
    this.listeners.clear();
    if (release && this.granted) void this.deps.unlock(this.videoId, this.frameIndex).catch(() => undefined);
    this.snap = { ...this.snap, status: 'released' };
  }

  private schedule(ms: number): void {
    this.clearTimer();
    if (this.disposed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.acquire();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private set(patch: Partial<LockSnapshot>): void {
    this.snap = { ...this.snap, ...patch };
    for (const l of this.listeners) l(this.snap);
  }
}
