import { describe, expect, it } from 'vitest';
import type { TrackEditInfo } from '../../types/api';
import { framesText, historyRows, opText, whenText } from './history';

const edit = (over: Partial<TrackEditInfo>): TrackEditInfo => ({
  id: 1, version: 1, user: 'bob', op: { op: 'swap', tracks: ['a', 'b'], start: 30, stop: null }, start: 30, stop: 60,
  undoes: null, undone: false, created_at: '2026-12-01T06:00:00+00:00', ...over,
});

describe('edit history', () => {
  it('describes each op in words', () => {
    expect(opText({ op: 'swap', tracks: ['mouse-a', 'mouse-b'] })).toBe('swapped mouse-a ⇄ mouse-b');
    expect(opText({ op: 'assign', frame: 3, slot: 1, track: 'mouse-c' })).toBe('gave an instance track mouse-c');
    expect(opText({ op: 'assign', frame: 3, slot: 1, track: null })).toBe('took the track off an instance');
    expect(opText({ op: 'merge', track: 'b', into: 'a' })).toBe('merged b into a');
    expect(opText({ op: 'split', track: 'a', frame: 9, new_track: 'a2' })).toBe('split a (new track a2)');
    expect(opText({ op: 'split', track: 'a', frame: 9 })).toBe('split a');
    expect(opText({ op: 'delete', frame: 3, slot: 0 })).toBe('deleted an instance');
    expect(opText({ op: 'set_tracks', runs: [] })).toBe('set_tracks');
  });

  it("shows today's edits by time, older ones with their date", () => {
    const at = new Date(2026, 11, 1, 6, 5);
    expect(whenText(at.toISOString(), new Date(2026, 11, 1, 23, 0))).not.toContain(at.toLocaleDateString());
    expect(whenText(at.toISOString(), new Date(2026, 11, 3, 9, 0))).toContain(at.toLocaleDateString());
  });

  it('counts frames as people do, last inclusive', () => {
    expect(framesText(7, 8)).toBe('frame 7');
    expect(framesText(30, 60)).toBe('frames 30–59');
  });

  it('names the user (you for me), marks undone edits and describes an undo by what it undid', () => {
    const rows = historyRows(
      [
        edit({ id: 3, version: 3, user: 'alice', op: { op: 'set_tracks', runs: [] }, undoes: 2 }),
        edit({ id: 2, version: 2, user: 'alice', op: { op: 'merge', track: 'b', into: 'a' }, undone: true, start: 0, stop: 60 }),
        edit({ id: 1, version: 1 }),
        edit({ id: 0, version: 0, user: null, undoes: 99 }),
      ],
      'bob',
    );
    expect(rows.map((r) => [r.version, r.who, r.what, r.frames, r.undone, r.isUndo])).toEqual([
      [3, 'alice', 'undid “merged b into a” (v2)', 'frames 30–59', false, true],
      [2, 'alice', 'merged b into a', 'frames 0–59', true, false],
      [1, 'you', 'swapped a ⇄ b', 'frames 30–59', false, false],
      [0, 'someone (account removed)', 'undid edit #99', 'frames 30–59', false, true],
    ]);
  });
});
