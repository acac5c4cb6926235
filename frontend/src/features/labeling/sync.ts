/**
 * Saving one frame's labels: autosave, optimistic concurrency, conflicts,
 * offline retry and the localStorage draft. No React; the page subscribes.
 *
 * Flow: `load()` → server labels (404 = empty, version 0), or a draft that
 * differs from them → `edit(instances)` on every pose change writes the draft
 * and autosaves 1.5 s after the last edit → PUT `{version, instances}`:
 *   200 → remember the new version, drop the draft;
 *   409 → status "conflict" with their frame (`extra.current`) until the user
 *         picks `keepMine()` (resend on top of their version) or `takeTheirs()`;
 *   network error / 5xx → "offline", retried every few seconds and on `retry()`
 *         (the page calls it on the browser's `online` event);
 *   other 4xx → stays unsaved, with the server's message in `error`.
 */
import { ApiError } from '../../lib/api';
import type { Instance, LabeledFrame, LabelsPut } from '../../types/api';
import { draftFrames, type DraftStorage, readDraft, removeDraft, sameInstances, writeDraft } from './drafts';

export type SaveStatus = 'saved' | 'dirty' | 'saving' | 'conflict' | 'offline';

/** The exact texts of the save-status element. */
export const SAVE_STATUS_TEXT: Record<SaveStatus, string> = {
  saved: 'Saved',
  dirty: 'Unsaved changes',
  saving: 'Saving…',
  conflict: 'Conflict',
  offline: 'Offline – will retry',
};

export interface SyncDeps {
  load(videoId: number, frameIndex: number): Promise<LabeledFrame | null>;
  save(videoId: number, frameIndex: number, body: LabelsPut): Promise<LabeledFrame>;
  storage: DraftStorage | null;
  isOnline?: () => boolean;
  autosaveMs?: number;
  retryMs?: number;
}

export interface SyncSnapshot {
  status: SaveStatus;
  /** The version our next PUT is based on. */
  version: number;
  /** Last labels known from the server (null before load / when never labeled). */
  server: LabeledFrame | null;
  /** Their frame after a 409, until resolved. */
  conflict: LabeledFrame | null;
  /** Local instances not saved yet. */
  mine: Instance[] | null;
  /** Server message of the last failed save (conflicts included; not offline). */
  error: string | null;
}

export const AUTOSAVE_MS = 1500;
export const RETRY_MS = 5000;

export class FrameSync {
  private snap: SyncSnapshot = { status: 'saved', version: 0, server: null, conflict: null, mine: null, error: null };
  private listeners = new Set<(s: SyncSnapshot) => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inflight = false;
  private again = false;
  /** Bumped on each edit, so a save knows whether newer edits arrived meanwhile. */
  private seq = 0;
  private disposed = false;

  constructor(
    readonly videoId: number,
    readonly frameIndex: number,
    private readonly deps: SyncDeps,
  ) {}

  get snapshot(): SyncSnapshot {
    return this.snap;
  }

  subscribe(listener: (s: SyncSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Load the frame; returns the instances to edit (a pending draft wins over the server). */
  async load(): Promise<{ instances: Instance[]; restoredDraft: boolean }> {
    const server = await this.deps.load(this.videoId, this.frameIndex);
    const version = server?.version ?? 0;
    const serverInstances = server?.instances ?? [];
    const draft = readDraft(this.deps.storage, this.videoId, this.frameIndex);
    if (draft && !sameInstances(draft.instances, serverInstances)) {
      this.set({ server, version: draft.version, mine: draft.instances, status: 'dirty' });
      this.schedule(this.autosaveMs);
      return { instances: draft.instances, restoredDraft: true };
    }
    removeDraft(this.deps.storage, this.videoId, this.frameIndex);
    this.set({ server, version, mine: null, status: 'saved' });
    return { instances: serverInstances, restoredDraft: false };
  }

  /** Record a local change (the full instances list to save). */
  edit(instances: Instance[]): void {
    this.seq++;
    const serverInstances = this.snap.server?.instances ?? [];
    if (!this.inflight && !this.snap.conflict && sameInstances(instances, serverInstances)) {
      // Back to what the server has (e.g. undo): nothing to save.
      this.clearTimer();
      removeDraft(this.deps.storage, this.videoId, this.frameIndex);
      this.set({ mine: null, status: 'saved', error: null });
      return;
    }
    writeDraft(this.deps.storage, this.videoId, this.frameIndex, { version: this.snap.version, instances });
    if (this.snap.conflict) {
      this.set({ mine: instances });
      return;
    }
    this.set({ mine: instances, status: this.inflight ? 'saving' : 'dirty' });
    this.schedule(this.autosaveMs);
  }

  /** Save now (Ctrl+S, autosave timer, retry). Resolves when this attempt settles. */
  async saveNow(): Promise<void> {
    this.clearTimer();
    const mine = this.snap.mine;
    if (!mine || this.snap.conflict) return;
    if (this.inflight) {
      this.again = true;
      return;
    }
    if (this.deps.isOnline && !this.deps.isOnline()) {
      this.set({ status: 'offline' });
      this.schedule(this.retryMs);
      return;
    }
    this.inflight = true;
    const sentSeq = this.seq;
    this.set({ status: 'saving', error: null });
    try {
      const saved = await this.deps.save(this.videoId, this.frameIndex, { version: this.snap.version, instances: mine });
      this.onSaved(saved, sentSeq);
    } catch (err) {
      this.onFailed(err);
    } finally {
      this.inflight = false;
    }
    if (this.again) {
      this.again = false;
      if (this.snap.status === 'dirty') await this.saveNow();
    }
  }

  private onSaved(saved: LabeledFrame, sentSeq: number): void {
    if (sentSeq === this.seq) {
      removeDraft(this.deps.storage, this.videoId, this.frameIndex);
      this.set({ server: saved, version: saved.version, mine: null, status: 'saved' });
      return;
    }
    // Edits arrived while saving: keep them, now based on the version we just wrote.
    const mine = this.snap.mine ?? [];
    writeDraft(this.deps.storage, this.videoId, this.frameIndex, { version: saved.version, instances: mine });
    this.set({ server: saved, version: saved.version, status: 'dirty' });
    this.schedule(this.autosaveMs);
  }

  private onFailed(err: unknown): void {
    if (err instanceof ApiError && err.status === 409) {
      const current = (err.extra as { current?: LabeledFrame }).current ?? null;
      this.set({ status: 'conflict', conflict: current ?? this.snap.server, error: err.message });
      return;
    }
    if (!(err instanceof ApiError) || err.status === 0 || err.status >= 500) {
      this.set({ status: 'offline' });
      this.schedule(this.retryMs);
      return;
    }
    this.set({ status: 'dirty', error: err.message });
  }

  /** Conflict: resend my instances on top of their version. */
  async keepMine(): Promise<void> {
    const theirs = this.snap.conflict;
    if (!theirs) return;
    const mine = this.snap.mine ?? [];
    writeDraft(this.deps.storage, this.videoId, this.frameIndex, { version: theirs.version, instances: mine });
    this.set({ conflict: null, server: theirs, version: theirs.version, mine, status: 'dirty', error: null });
    await this.saveNow();
  }

  /** Conflict: drop my edits and adopt theirs; returns their instances for the editor. */
  takeTheirs(): Instance[] {
    const theirs = this.snap.conflict;
    if (!theirs) return this.snap.mine ?? this.snap.server?.instances ?? [];
    this.clearTimer();
    removeDraft(this.deps.storage, this.videoId, this.frameIndex);
    this.set({ conflict: null, server: theirs, version: theirs.version, mine: null, status: 'saved', error: null });
    return theirs.instances;
  }

  /**
   * The server's frame changed without new labels (submit / review moved its
   * status): show it. Ignored if it is not the version our edits are based on.
   */
  setServerFrame(frame: LabeledFrame): void {
    if (frame.version !== this.snap.version) return;
    this.set({ server: frame });
  }

  /** Try again now if something is waiting (browser came back online). */
  retry(): void {
    if (this.snap.mine && (this.snap.status === 'offline' || this.snap.status === 'dirty')) void this.saveNow();
  }

  /** Stop timers and listeners; pending edits are flushed once (and stay in the draft anyway). */
  dispose(): void {
    this.listeners.clear();
    this.disposed = true;
    if (this.snap.mine && !this.snap.conflict && this.snap.status !== 'offline') void this.saveNow();
    this.clearTimer();
  }

  private get autosaveMs() {
    return this.deps.autosaveMs ?? AUTOSAVE_MS;
  }

  private get retryMs() {
    return this.deps.retryMs ?? RETRY_MS;
  }

  private schedule(ms: number): void {
    this.clearTimer();
    if (this.disposed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.saveNow();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private set(patch: Partial<SyncSnapshot>): void {
    this.snap = { ...this.snap, ...patch };
    for (const l of this.listeners) l(this.snap);
  }
}

/**
 * Resend drafts of other frames of the video (e.g. edits made offline before a
 * reload). A draft is dropped only after a 200; a 409 leaves it for the
 * conflict panel when that frame is opened; a network error stops the pass.
 * Drafts younger than `minAgeMs` may belong to a live editor and are skipped.
 */
export async function resendDrafts(
  videoId: number,
  exceptFrame: number,
  deps: Pick<SyncDeps, 'save' | 'storage'>,
  minAgeMs = 10_000,
): Promise<number[]> {
  const sent: number[] = [];
  for (const frameIndex of draftFrames(deps.storage, videoId)) {
    const draft = readDraft(deps.storage, videoId, frameIndex);
    if (frameIndex === exceptFrame || !draft) continue;
    if (Date.now() - Date.parse(draft.savedAt) < minAgeMs) continue;
    try {
      await deps.save(videoId, frameIndex, { version: draft.version, instances: draft.instances });
      removeDraft(deps.storage, videoId, frameIndex);
      sent.push(frameIndex);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status === 0 || err.status >= 500) break;
    }
  }
  return sent;
}
