import { describe, expect, it } from 'vitest';
import type { SuspiciousSpot } from '../../types/api';
import { keyCommand, lockAt, lockText, nextSpot, previousSpot, spotsAt, spotText, stepFrame } from './navigation';

const spots: SuspiciousSpot[] = [
  { frame: 2, kind: 'end', tracks: ['b'] },
  { frame: 4, kind: 'spawn', tracks: ['b'] },
  { frame: 4, kind: 'jump', tracks: ['a'] },
  { frame: 9, kind: 'swap_candidate', tracks: ['a', 'b'] },
];

describe('suspicious navigation', () => {
  it('goes to the first spot after the frame, so N on a spot moves on', () => {
    expect(nextSpot(spots, 0)?.frame).toBe(2);
    expect(nextSpot(spots, 2)?.frame).toBe(4);
    expect(nextSpot(spots, 4)?.frame).toBe(9);
    expect(nextSpot(spots, 9)).toBeNull();
  });

  it('goes back to the last spot before the frame', () => {
    expect(previousSpot(spots, 9)?.frame).toBe(4);
    expect(previousSpot(spots, 4)?.frame).toBe(2);
    expect(previousSpot(spots, 2)).toBeNull();
  });

  it('walks every stop forward and back again', () => {
    const forward: number[] = [];
    for (let f = -1, s = nextSpot(spots, f); s; s = nextSpot(spots, f)) forward.push((f = s.frame));
    const back: number[] = [];
    for (let f = 100, s = previousSpot(spots, f); s; s = previousSpot(spots, f)) back.push((f = s.frame));
    expect(forward).toEqual([2, 4, 9]);
    expect(back).toEqual([9, 4, 2]);
  });

  it('lists every spot of a frame in words', () => {
    expect(spotsAt(spots, 4).map(spotText)).toEqual(['track starts: b', 'jump: a']);
    expect(spotText(spots[3]!)).toBe('possible swap: a, b');
  });
});

describe('stepFrame', () => {
  it('stays within the predicted frames', () => {
    expect(stepFrame(5, 1, [0, 10])).toBe(6);
    expect(stepFrame(9, 1, [0, 10])).toBe(9);
    expect(stepFrame(0, -1, [0, 10])).toBe(0);
    expect(stepFrame(50, 0, [0, 10])).toBe(9);
  });
});

describe('keyCommand', () => {
  const key = (k: string, mods: Partial<{ shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) =>
    keyCommand({ key: k, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...mods });

  it('maps N, Shift+N, the arrows and Ctrl+Z', () => {
    expect(key('n')).toBe('next-spot');
    expect(key('N', { shiftKey: true })).toBe('previous-spot');
    expect(key('ArrowRight')).toBe('next-frame');
    expect(key('ArrowLeft')).toBe('previous-frame');
    expect(key('z', { ctrlKey: true })).toBe('undo');
    expect(key('z', { metaKey: true })).toBe('undo');
  });

  it('leaves other keys and browser shortcuts alone', () => {
    expect(key('n', { ctrlKey: true })).toBeNull();
    expect(key('x')).toBeNull();
    expect(key('n', { altKey: true })).toBeNull();
  });
});

describe('locks', () => {
  const locks = [
    { user: 'bob', start: 0, stop: 50, since: '', expires: '' },
    { user: 'alice', start: 50, stop: 60, since: '', expires: '' },
  ];

  it('finds who holds a frame and says it as people count frames', () => {
    expect(lockAt(locks, 49)?.user).toBe('bob');
    expect(lockAt(locks, 50)?.user).toBe('alice');
    expect(lockAt(locks, 60)).toBeNull();
    expect(lockText(locks[0]!, 'alice')).toBe('bob: frames 0–49');
    expect(lockText(locks[1]!, 'alice')).toBe('you: frames 50–59');
  });
});
