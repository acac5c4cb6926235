/**
 * Unsaved edits kept in localStorage, one entry per video+frame, so a reload or
 * a dropped connection does not lose work. A draft remembers the version it
 * was based on: resending it on top of a newer server version gets a 409 and
 * the user decides, we never overwrite silently.
 */
import type { Instance } from '../../types/api';

export type DraftStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem' | 'key' | 'length'>;

export interface Draft {
  version: number;
  instances: Instance[];
  savedAt: string;
}

const PREFIX = 'poseforge:draft:';

export const draftKey = (videoId: number, frameIndex: number) => `${PREFIX}${videoId}:${frameIndex}`;

export function readDraft(storage: DraftStorage | null, videoId: number, frameIndex: number): Draft | null {
  const raw = storage?.getItem(draftKey(videoId, frameIndex));
  if (!raw) return null;
  try {
    const d = JSON.parse(raw) as Draft;
    return typeof d.version === 'number' && Array.isArray(d.instances) ? d : null;
  } catch {
    return null;
  }
}

export function writeDraft(storage: DraftStorage | null, videoId: number, frameIndex: number, draft: Omit<Draft, 'savedAt'>): void {
  try {
    storage?.setItem(draftKey(videoId, frameIndex), JSON.stringify({ ...draft, savedAt: new Date().toISOString() }));
  } catch {
    // Quota exceeded or storage disabled: the edit still lives in memory.
  }
}

export function removeDraft(storage: DraftStorage | null, videoId: number, frameIndex: number): void {
  storage?.removeItem(draftKey(videoId, frameIndex));
}

/** Frame indexes of the video that have a draft. */
export function draftFrames(storage: DraftStorage | null, videoId: number): number[] {
  if (!storage) return [];
  const prefix = `${PREFIX}${videoId}:`;
  const frames: number[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (key?.startsWith(prefix)) frames.push(Number(key.slice(prefix.length)));
  }
  return frames.filter(Number.isInteger).sort((a, b) => a - b);
}

/** Browser localStorage, or null where it is unavailable. */
export function browserStorage(): DraftStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** Instances equal for saving purposes (server-assigned ids ignored). */
export function sameInstances(a: readonly Instance[], b: readonly Instance[]): boolean {
  const norm = (list: readonly Instance[]) =>
    JSON.stringify(
      list.map((i) => ({
        track: i.track,
        source: i.source,
        points: i.points.map((p) => [p.node, p.x, p.y, p.visibility]),
      })),
    );
  return norm(a) === norm(b);
}
