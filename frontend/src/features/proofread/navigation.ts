/**
 * Moving through a run's suspicious spots (pure): the server lists them sorted
 * by frame (`spawn`, `end`, `jump`, `swap_candidate`, `identity`); "next" is
 * the first spot after the current frame, "previous" the last one before it,
 * so pressing N on a spot moves on to the following one. Several spots can
 * share a frame: they are one stop.
 */
import type { SuspiciousSpot, TrackLockInfo } from '../../types/api';

export const SPOT_LABELS: Record<SuspiciousSpot['kind'], string> = {
  spawn: 'track starts',
  end: 'track ends',
  jump: 'jump',
  swap_candidate: 'possible swap',
  identity: 'identity disagreement',
};

/** The first spot after `frame`, or null past the last one. */
export function nextSpot(spots: readonly SuspiciousSpot[], frame: number): SuspiciousSpot | null {
  return spots.find((s) => s.frame > frame) ?? null;
}

/** The last spot before `frame`, or null before the first one. */
export function previousSpot(spots: readonly SuspiciousSpot[], frame: number): SuspiciousSpot | null {
  for (let i = spots.length - 1; i >= 0; i--) if (spots[i]!.frame < frame) return spots[i]!;
  return null;
}

/** Every spot on `frame`. */
export const spotsAt = (spots: readonly SuspiciousSpot[], frame: number): SuspiciousSpot[] => spots.filter((s) => s.frame === frame);

/** "possible swap: mouse-a, mouse-b" */
export const spotText = (spot: SuspiciousSpot): string => `${SPOT_LABELS[spot.kind]}: ${spot.tracks.join(', ')}`;

/** `frame` moved by `step`, kept inside the predicted frames `[first, stop)`. */
export function stepFrame(frame: number, step: number, [first, stop]: readonly number[]): number {
  return Math.min(Math.max(frame + step, first ?? 0), Math.max(first ?? 0, (stop ?? 1) - 1));
}

/** What a key press does on the page, or null when the page ignores it. */
export type KeyCommand = 'next-spot' | 'previous-spot' | 'next-frame' | 'previous-frame' | 'undo';

export function keyCommand(e: { key: string; shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; altKey: boolean }): KeyCommand | null {
  if (e.altKey) return null;
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z' && !e.shiftKey) return 'undo';
  if (e.ctrlKey || e.metaKey) return null;
  if (e.key === 'n' || e.key === 'N') return e.shiftKey ? 'previous-spot' : 'next-spot';
  if (e.key === 'ArrowRight') return 'next-frame';
  if (e.key === 'ArrowLeft') return 'previous-frame';
  return null;
}

/** The live lock covering `frame`, if any. */
export const lockAt = (locks: readonly TrackLockInfo[], frame: number): TrackLockInfo | null =>
  locks.find((l) => l.start <= frame && frame < l.stop) ?? null;

/** "bob: frames 0–99" (stop is exclusive on the wire, inclusive for people). */
export const lockText = (lock: Pick<TrackLockInfo, 'user' | 'start' | 'stop'>, me: string | null): string =>
  `${lock.user === me ? 'you' : lock.user}: frames ${lock.start}–${lock.stop - 1}`;
