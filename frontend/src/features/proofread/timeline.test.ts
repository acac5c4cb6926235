import { describe, expect, it } from 'vitest';
import type { TrackRow } from '../../types/api';
import { frameAtX, frameX, gapsBetween, layoutTimeline, MIN_SPAN_WIDTH, ROW_GAP, ROW_HEIGHT, seenOn, TRACK_PALETTE, trackColors } from './timeline';

const row = (track: string, segments: number[][], low: number[][] = []): TrackRow => ({
  track, frames: 0, mean_score: 0.8, segments, low_confidence: low,
});

describe('trackColors', () => {
  it('uses the project colour of a track it names and the palette for the others', () => {
    const colors = trackColors([row('mouse A', []), row('track_1', [])], [{ id: 1, name: 'mouse A', color: '#123456' }]);
    expect(colors.get('mouse A')).toBe('#123456');
    expect(colors.get('track_1')).toBe(TRACK_PALETTE[1]);
  });
});

describe('frame <-> x', () => {
  it('maps frames [first, stop) onto the width and back', () => {
    expect(frameX(0, [0, 100], 1000)).toBe(0);
    expect(frameX(50, [0, 100], 1000)).toBe(500);
    expect(frameAtX(505, [0, 100], 1000)).toBe(50);
    expect(frameAtX(999.9, [0, 100], 1000)).toBe(99);
  });

  it('clamps a click outside the bars to the first or last frame', () => {
    expect(frameAtX(-20, [10, 20], 100)).toBe(10);
    expect(frameAtX(5000, [10, 20], 100)).toBe(19);
  });
});

describe('gapsBetween', () => {
  it('lists the frames no segment covers, at both ends too', () => {
    expect(gapsBetween([[2, 5], [8, 9]], [0, 12])).toEqual([[0, 2], [5, 8], [9, 12]]);
    expect(gapsBetween([[0, 12]], [0, 12])).toEqual([]);
    expect(gapsBetween([], [0, 3])).toEqual([[0, 3]]);
  });
});

describe('layoutTimeline', () => {
  const rows = [row('a', [[0, 100]], [[40, 46]]), row('b', [[0, 20], [23, 100]])];
  const layout = layoutTimeline(rows, [0, 100], 1000, trackColors(rows, []));

  it('draws one row per track, stacked', () => {
    expect(layout.rows.map((r) => [r.track, r.y])).toEqual([['a', 0], ['b', ROW_HEIGHT + ROW_GAP]]);
    expect(layout.height).toBe(2 * (ROW_HEIGHT + ROW_GAP));
  });

  it('shows where a track is seen, its gaps and its low-confidence stretches', () => {
    const [a, b] = layout.rows;
    expect(a!.seen).toEqual([{ start: 0, stop: 100, x: 0, width: 1000 }]);
    expect(a!.gaps).toEqual([]);
    expect(a!.low).toEqual([{ start: 40, stop: 46, x: 400, width: 60 }]);
    expect(b!.gaps).toEqual([{ start: 20, stop: 23, x: 200, width: 30 }]);
  });

  it('keeps a one-frame stretch of a long video visible', () => {
    const long = layoutTimeline([row('a', [[0, 50_000], [50_001, 100_000]])], [0, 100_000], 1000, new Map());
    expect(long.rows[0]!.gaps[0]!.width).toBe(MIN_SPAN_WIDTH);
  });
});

describe('seenOn', () => {
  it('is true inside a segment and false in a gap (stop is exclusive)', () => {
    const b = row('b', [[0, 3], [4, 10]]);
    expect([2, 3, 4, 10].map((f) => seenOn(b, f))).toEqual([true, false, true, false]);
  });
});
