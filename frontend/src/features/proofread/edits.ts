/**
 * The edit requests the proofreading controls send (pure): each op's body
 * built from what the user picked, checked for what the server would refuse
 * anyway (so most mistakes need no round trip), with the tracks `version` the
 * user saw. Ranges are typed as people count frames, first and last
 * inclusive, and sent as `[start, stop)`.
 */
import type { TrackEditRequest } from '../../types/api';

export type Built = { request: TrackEditRequest; error: null } | { request: null; error: string };

const ok = (request: TrackEditRequest): Built => ({ request, error: null });
const fail = (error: string): Built => ({ request: null, error });

/** A whole frame number typed by the user, or null (empty or not a number ≥ 0). */
export function frameNumber(text: string): number | null {
  const n = Number(text);
  return text.trim() !== '' && Number.isInteger(n) && n >= 0 ? n : null;
}

/** Swap two tracks from `from` on (`last` empty) or over frames `from`..`last`. */
export function swapEdit(a: string, b: string, from: string, last: string, version: number): Built {
  if (!a || !b || a === b) return fail('Pick two different tracks to swap.');
  const start = frameNumber(from);
  if (start === null) return fail('Swap from which frame?');
  if (last.trim() === '') return ok({ op: 'swap', tracks: [a, b], start, stop: null, version });
  const end = frameNumber(last);
  if (end === null || end < start) return fail('The last frame of the swap comes at or after its first.');
  return ok({ op: 'swap', tracks: [a, b], start, stop: end + 1, version });
}

/** Give instance `instance` of `frame` the track `track` ('' : no track; a new name makes a new track). */
export function assignEdit(frame: number, instance: number | null, track: string, version: number): Built {
  if (instance === null) return fail('Pick an instance on the frame first.');
  return ok({ op: 'assign', frame, instance, track: track.trim() === '' ? null : track.trim(), version });
}

export function mergeEdit(track: string, into: string, version: number): Built {
  if (!track || !into || track === into) return fail('Pick two different tracks to merge.');
  return ok({ op: 'merge', track, into, version });
}

/** From `frame` on, `track` is a new track (named `newTrack`, or by the server when empty). */
export function splitEdit(track: string, frame: number, newTrack: string, version: number): Built {
  if (!track) return fail('Pick the track to split.');
  const name = newTrack.trim();
  return ok({ op: 'split', track, frame, ...(name ? { new_track: name } : {}), version });
}

export function deleteEdit(frame: number, instance: number | null, version: number): Built {
  if (instance === null) return fail('Pick an instance on the frame first.');
  return ok({ op: 'delete', frame, instance, version });
}

/** A frame range typed as first..last (inclusive) → `[start, stop)`, or an error. */
export function frameRange(first: string, last: string): { start: number; stop: number } | string {
  const start = frameNumber(first);
  const end = frameNumber(last);
  if (start === null || end === null) return 'Type the first and last frame.';
  if (end < start) return 'The last frame comes at or after the first.';
  return { start, stop: end + 1 };
}

/** What to tell the user after the server refused an edit; a 409 means the page reloaded the tracks. */
export function refusalText(status: number, message: string, version: number | null): string {
  if (status !== 409) return message;
  return `${message} The tracks were reloaded${version === null ? '' : ` (version ${version})`}; check them and edit again.`;
}
