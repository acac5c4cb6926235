import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../lib/api';
import type { Instance, LabeledFrame, LabelsPut } from '../../types/api';
import { draftFrames, readDraft, writeDraft, type DraftStorage } from './drafts';
import { FrameSync, resendDrafts, SAVE_STATUS_TEXT, type SyncDeps } from './sync';

function memoryStorage(): DraftStorage {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
    key: (i) => [...m.keys()][i] ?? null,
    get length() {
      return m.size;
    },
  };
}

const inst = (x: number): Instance[] => [{ id: 1, track: null, source: 'human', points: [{ node: 1, x, y: x, visibility: 2 }] }];

const frame = (version: number, instances: LabelsPut['instances']): LabeledFrame => ({
  id: 1,
  video: 5,
  frame_index: 0,
  status: 'in_progress',
  version,
  updated_at: null,
  updated_by: { id: 2, username: 'bob' },
  assignee: null,
  submitted_by: null,
  locked_by: null,
  lock_expires_at: null,
  submitted_at: null,
  latest_comment: null,
  instances: instances.map((inst, i) => ({
    id: i + 1, track: null, source: 'human', ...inst,
    points: inst.points.map((pt) => ({ visibility: 2, ...pt })),
  })),
});

/** A fake server holding one frame with optimistic concurrency. */
function fakeServer(initial: LabeledFrame | null) {
  let current = initial;
  let offline = false;
  const puts: LabelsPut[] = [];
  const deps: SyncDeps = {
    storage: memoryStorage(),
    load: async () => current,
    save: async (_v, _f, body) => {
      puts.push(body);
      if (offline) throw new ApiError(0, 'Network error');
      const version = current?.version ?? 0;
      if (body.version !== version) throw new ApiError(409, 'Version conflict', { current });
      current = frame(version + 1, body.instances);
      return current;
    },
  };
  return {
    deps,
    puts,
    setOffline: (v: boolean) => (offline = v),
    setCurrent: (f: LabeledFrame) => (current = f),
    get current() {
      return current;
    },
  };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('FrameSync', () => {
  it('treats a never-labeled frame as empty at version 0', async () => {
    const srv = fakeServer(null);
    const sync = new FrameSync(5, 0, srv.deps);
    expect(await sync.load()).toEqual({ instances: [], restoredDraft: false });
    expect(sync.snapshot.version).toBe(0);
    expect(SAVE_STATUS_TEXT[sync.snapshot.status]).toBe('Saved');
  });

  it('autosaves 1.5 s after the last edit and stores the new version', async () => {
    const srv = fakeServer(null);
    const sync = new FrameSync(5, 0, srv.deps);
    await sync.load();
    sync.edit(inst(1));
    await vi.advanceTimersByTimeAsync(1000);
    sync.edit(inst(2));
    expect(SAVE_STATUS_TEXT[sync.snapshot.status]).toBe('Unsaved changes');
    await vi.advanceTimersByTimeAsync(1000);
    expect(srv.puts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(600);
    expect(srv.puts).toEqual([{ version: 0, instances: inst(2) }]);
    expect(sync.snapshot.status).toBe('saved');
    expect(sync.snapshot.version).toBe(1);
    expect(readDraft(srv.deps.storage, 5, 0)).toBeNull();
  });

  it('shows a conflict with their version and keeps mine on request', async () => {
    const srv = fakeServer(frame(1, inst(1)));
    const sync = new FrameSync(5, 0, srv.deps);
    await sync.load();
    srv.setCurrent(frame(2, inst(9))); // someone else saved meanwhile
    sync.edit(inst(3));
    await sync.saveNow();
    expect(SAVE_STATUS_TEXT[sync.snapshot.status]).toBe('Conflict');
    expect(sync.snapshot.conflict?.version).toBe(2);
    expect(srv.current?.instances).toEqual(inst(9)); // not overwritten
    await vi.advanceTimersByTimeAsync(5000);
    expect(srv.puts).toHaveLength(1); // no autosave while in conflict
    await sync.keepMine();
    expect(srv.puts[1]).toEqual({ version: 2, instances: inst(3) });
    expect(sync.snapshot.status).toBe('saved');
    expect(srv.current?.version).toBe(3);
  });

  it('takes theirs and drops the draft', async () => {
    const srv = fakeServer(frame(1, inst(1)));
    const sync = new FrameSync(5, 0, srv.deps);
    await sync.load();
    srv.setCurrent(frame(2, inst(9)));
    sync.edit(inst(3));
    await sync.saveNow();
    expect(sync.takeTheirs()).toEqual(inst(9));
    expect(sync.snapshot).toMatchObject({ status: 'saved', version: 2, conflict: null, mine: null });
    expect(readDraft(srv.deps.storage, 5, 0)).toBeNull();
  });

  it('goes offline on network errors, keeps the draft and retries', async () => {
    const srv = fakeServer(null);
    const sync = new FrameSync(5, 0, { ...srv.deps, retryMs: 3000 });
    await sync.load();
    srv.setOffline(true);
    sync.edit(inst(4));
    await sync.saveNow();
    expect(SAVE_STATUS_TEXT[sync.snapshot.status]).toBe('Offline – will retry');
    expect(readDraft(srv.deps.storage, 5, 0)?.instances).toEqual(inst(4));
    srv.setOffline(false);
    await vi.advanceTimersByTimeAsync(3000);
    expect(sync.snapshot.status).toBe('saved');
    expect(srv.current?.instances).toEqual(inst(4));
  });

  it('restores a draft after a reload and saves it', async () => {
    const srv = fakeServer(frame(1, inst(1)));
    writeDraft(srv.deps.storage, 5, 0, { version: 1, instances: inst(7) });
    const sync = new FrameSync(5, 0, srv.deps);
    expect(await sync.load()).toEqual({ instances: inst(7), restoredDraft: true });
    expect(sync.snapshot.status).toBe('dirty');
    await vi.advanceTimersByTimeAsync(1500);
    expect(srv.current).toMatchObject({ version: 2, instances: inst(7) });
    expect(draftFrames(srv.deps.storage, 5)).toEqual([]);
  });

  it('turns a stale draft into a conflict instead of overwriting', async () => {
    const srv = fakeServer(frame(4, inst(1)));
    writeDraft(srv.deps.storage, 5, 0, { version: 2, instances: inst(7) });
    const sync = new FrameSync(5, 0, srv.deps);
    await sync.load();
    await sync.saveNow();
    expect(sync.snapshot.status).toBe('conflict');
    expect(srv.current?.version).toBe(4);
  });

  it('keeps edits made while a save is in flight', async () => {
    const srv = fakeServer(null);
    let release: () => void = () => {};
    const slowSave: SyncDeps['save'] = (v, f, body) =>
      new Promise((resolve, reject) => {
        release = () => srv.deps.save(v, f, body).then(resolve, reject);
      });
    const sync = new FrameSync(5, 0, { ...srv.deps, save: slowSave });
    await sync.load();
    sync.edit(inst(1));
    const first = sync.saveNow();
    sync.edit(inst(2));
    expect(sync.snapshot.status).toBe('saving');
    release();
    await first;
    expect(sync.snapshot).toMatchObject({ status: 'dirty', version: 1 });
    expect(readDraft(srv.deps.storage, 5, 0)?.version).toBe(1);
    const second = sync.saveNow();
    release();
    await second;
    expect(srv.current).toMatchObject({ version: 2, instances: inst(2) });
  });

  it('shows the server message on other errors and does not retry', async () => {
    const srv = fakeServer(null);
    const sync = new FrameSync(5, 0, {
      ...srv.deps,
      save: async () => {
        throw new ApiError(403, 'You cannot label in this project.');
      },
    });
    await sync.load();
    sync.edit(inst(1));
    await sync.saveNow();
    expect(sync.snapshot).toMatchObject({ status: 'dirty', error: 'You cannot label in this project.' });
  });

  it('is clean again after undoing back to the server state', async () => {
    const srv = fakeServer(frame(1, inst(1)));
    const sync = new FrameSync(5, 0, srv.deps);
    await sync.load();
    sync.edit(inst(2));
    sync.edit(inst(1));
    expect(sync.snapshot.status).toBe('saved');
    await vi.advanceTimersByTimeAsync(2000);
    expect(srv.puts).toHaveLength(0);
  });
});

describe('resendDrafts', () => {
  it('sends old drafts of other frames and keeps conflicting ones', async () => {
    const srv = fakeServer(frame(1, inst(1)));
    const storage = srv.deps.storage;
    writeDraft(storage, 5, 3, { version: 1, instances: inst(3) }); // ok
    writeDraft(storage, 5, 4, { version: 0, instances: inst(4) }); // stale → 409
    writeDraft(storage, 5, 0, { version: 1, instances: inst(0) }); // current frame, skipped
    vi.advanceTimersByTime(60_000);
    // every frame shares the fake server's single version counter: frame 3 goes first
    expect(await resendDrafts(5, 0, srv.deps)).toEqual([3]);
    expect(draftFrames(storage, 5)).toEqual([0, 4]);
  });
});
