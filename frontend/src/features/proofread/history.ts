/**
 * The proofreading edit history as people read it (pure): who did what to
 * which frames, and whether it still stands. An undo is itself an edit (it
 * applies the inverse), so it is described by the edit it undid.
 */
import type { TrackEditInfo } from '../../types/api';

export interface HistoryRow {
  id: number;
  /** The tracks version this edit made. */
  version: number;
  who: string;
  what: string;
  /** "frame 7" / "frames 30–59". */
  frames: string;
  start: number;
  when: string;
  undone: boolean;
  isUndo: boolean;
}

const str = (v: unknown, fallback = '?') => (typeof v === 'string' && v !== '' ? v : fallback);

/** One applied op (`edit.op`) in words. */
export function opText(op: TrackEditInfo['op']): string {
  const tracks = Array.isArray(op.tracks) ? op.tracks.map((t) => str(t)) : [];
  switch (op.op) {
    case 'swap':
      return `swapped ${tracks[0] ?? '?'} ⇄ ${tracks[1] ?? '?'}`;
    case 'assign':
      return op.track == null ? 'took the track off an instance' : `gave an instance track ${str(op.track)}`;
    case 'merge':
      return `merged ${str(op.track)} into ${str(op.into)}`;
    case 'split':
      return `split ${str(op.track)}${typeof op.new_track === 'string' ? ` (new track ${op.new_track})` : ''}`;
    case 'rename':
      return `renamed ${str(op.track)} to ${str(op.to)}`;
    case 'delete':
      return 'deleted an instance';
    default:
      return str(op.op, 'edit');
  }
}

/** When an edit was made: the time for today's, the date and time for older ones. */
export function whenText(iso: string, now: Date = new Date()): string {
  const at = new Date(iso);
  const time = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return at.toDateString() === now.toDateString() ? time : `${at.toLocaleDateString()} ${time}`;
}

export const framesText = (start: number, stop: number) =>
  stop - start <= 1 ? `frame ${start}` : `frames ${start}–${stop - 1}`;

/** The rows of the history, newest first as the server sends them. */
export function historyRows(edits: readonly TrackEditInfo[], me: string | null): HistoryRow[] {
  const byId = new Map(edits.map((e) => [e.id, e]));
  return edits.map((e) => {
    const undid = e.undoes === null ? null : byId.get(e.undoes);
    const what =
      e.undoes === null ? opText(e.op) : `undid ${undid ? `“${opText(undid.op)}” (v${undid.version})` : `edit #${e.undoes}`}`;
    return {
      id: e.id,
      version: e.version,
      who: e.user === null ? 'someone (account removed)' : e.user === me ? 'you' : e.user,
      what,
      frames: framesText(e.start, e.stop),
      start: e.start,
      when: e.created_at,
      undone: e.undone,
      isUndo: e.undoes !== null,
    };
  });
}
