/**
 * The track timeline of the proofreading page, as pure functions: where each
 * track is seen (bars), where it is not (gaps), where it is seen with a low
 * confidence (a lighter shade), in SVG units; the frame under a click; each
 * track's colour.
 *
 * Frames are video frame indices; every range is `[start, stop)` as the
 * server sends it (`GET /api/inference-runs/{id}/tracks/`).
 */
import type { Track, TrackRow } from '../../types/api';

/** Colours for tracks the project does not name, distinct from the untracked greys of the labeling page. */
export const TRACK_PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324'];

/** Each track's colour: the project's colour for a track it names, else one from the palette by row. */
export function trackColors(rows: readonly Pick<TrackRow, 'track'>[], projectTracks: readonly Track[]): Map<string, string> {
  const named = new Map(projectTracks.map((t) => [t.name, t.color]));
  return new Map(rows.map((r, i) => [r.track, named.get(r.track) ?? TRACK_PALETTE[i % TRACK_PALETTE.length]!]));
}

/** One horizontal stretch of a row, in SVG units and in frames. */
export interface Span {
  start: number;
  stop: number;
  x: number;
  width: number;
}

export interface TimelineRowLayout {
  track: string;
  color: string;
  y: number;
  seen: Span[];
  gaps: Span[];
  low: Span[];
}

export interface TimelineLayout {
  width: number;
  height: number;
  /** `[first, last + 1]` predicted frames. */
  frames: [number, number];
  rows: TimelineRowLayout[];
}

export const ROW_HEIGHT = 18;
export const ROW_GAP = 4;
/** A stretch is never drawn thinner than this, so a one-frame blip stays visible on an hour of video. */
export const MIN_SPAN_WIDTH = 1;

/** X of the left edge of `frame` on a timeline `width` wide showing frames `[first, stop)`. */
export function frameX(frame: number, [first, stop]: readonly [number, number], width: number): number {
  const n = Math.max(1, stop - first);
  return ((frame - first) / n) * width;
}

/** The frame under `x` (clamped into `[first, stop - 1]`). */
export function frameAtX(x: number, [first, stop]: readonly [number, number], width: number): number {
  const n = Math.max(1, stop - first);
  const frame = first + Math.floor((x / Math.max(1, width)) * n);
  return Math.min(Math.max(frame, first), Math.max(first, stop - 1));
}

const span = (start: number, stop: number, frames: readonly [number, number], width: number): Span => {
  const x = frameX(start, frames, width);
  return { start, stop, x, width: Math.max(MIN_SPAN_WIDTH, frameX(stop, frames, width) - x) };
};

/** The frames of `[first, stop)` no segment covers (segments sorted, disjoint). */
export function gapsBetween(segments: readonly (readonly number[])[], [first, stop]: readonly [number, number]): [number, number][] {
  const out: [number, number][] = [];
  let at = first;
  for (const [s, e] of segments) {
    if (s! > at) out.push([at, s!]);
    at = Math.max(at, e!);
  }
  if (at < stop) out.push([at, stop]);
  return out;
}

/** Bars, gaps and low-confidence stretches of every track, one row each. */
export function layoutTimeline(
  rows: readonly TrackRow[],
  frames: readonly number[],
  width: number,
  colors: ReadonlyMap<string, string>,
): TimelineLayout {
  const range: [number, number] = [frames[0] ?? 0, frames[1] ?? 0];
  const toSpan = ([s, e]: readonly number[]) => span(s!, e!, range, width);
  return {
    width,
    height: rows.length * (ROW_HEIGHT + ROW_GAP),
    frames: range,
    rows: rows.map((row, i) => ({
      track: row.track,
      color: colors.get(row.track) ?? TRACK_PALETTE[i % TRACK_PALETTE.length]!,
      y: i * (ROW_HEIGHT + ROW_GAP),
      seen: row.segments.map(toSpan),
      gaps: gapsBetween(row.segments, range).map(toSpan),
      low: row.low_confidence.map(toSpan),
    })),
  };
}

/** Whether `track` is seen on `frame` (segments sorted). */
export function seenOn(row: Pick<TrackRow, 'segments'>, frame: number): boolean {
  return row.segments.some(([s, e]) => s! <= frame && frame < e!);
}
