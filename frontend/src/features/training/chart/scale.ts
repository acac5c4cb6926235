/**
 * Tiny chart math for the inline SVG charts (no chart library): scales,
 * "nice" tick values, log ticks and SVG path strings. Pure functions.
 */

export type Scale = (value: number) => number;

/** Removes float noise (0.30000000000000004 → 0.3). */
const clean = (v: number) => Number(v.toPrecision(12));

/**
 * A step of 1, 2 or 5 × 10^k that cuts `span` into about `count` pieces
 * (the nearest such step on a log scale, as d3's tickStep does).
 */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction >= Math.sqrt(50) ? 10 : fraction >= Math.sqrt(10) ? 5 : fraction >= Math.sqrt(2) ? 2 : 1;
  return clean(nice * power);
}

/**
 * Widens [min, max] outwards to multiples of a nice step. A zero-width or
 * empty domain becomes a usable one around the value.
 */
export function niceDomain(min: number, max: number, count = 5): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    if (min === 0) return [0, 1];
    const pad = Math.abs(min) * 0.5;
    [min, max] = [min - pad, max + pad];
  }
  const step = niceStep(max - min, count);
  return [clean(Math.floor(min / step) * step), clean(Math.ceil(max / step) * step)];
}

/** Nice tick values inside [min, max] (both ends included when they fall on a step). */
export function linearTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min > max) [min, max] = [max, min];
  if (min === max) return [min];
  const step = niceStep(max - min, count);
  const ticks: number[] = [];
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  for (let i = first; i <= last; i++) ticks.push(clean(i * step));
  return ticks;
}

/** Linear map of `domain` onto `range`; a zero-width domain maps to the middle of the range. */
export function linearScale([d0, d1]: readonly [number, number], [r0, r1]: readonly [number, number]): Scale {
  if (d0 === d1) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** Log10 map of a positive `domain` onto `range`; values ≤ 0 are clamped to the domain minimum. */
export function logScale([d0, d1]: readonly [number, number], [r0, r1]: readonly [number, number]): Scale {
  if (!(d0 > 0) || !(d1 > 0)) throw new RangeError('log scale domain must be positive');
  const l0 = Math.log10(d0);
  const l1 = Math.log10(d1);
  if (l0 === l1) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (l1 - l0);
  return (v) => r0 + (Math.log10(v > 0 ? v : d0) - l0) * k;
}

/** Widens a positive [min, max] to whole decades (0.003..0.2 → 0.001..1). */
export function logDomain(min: number, max: number): [number, number] {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) return [1, 10];
  if (min > max) [min, max] = [max, min];
  let lo = Math.floor(Math.log10(min) + 1e-9);
  let hi = Math.ceil(Math.log10(max) - 1e-9);
  if (lo === hi) hi += 1;
  if (hi - lo < 1) lo = hi - 1;
  return [clean(10 ** lo), clean(10 ** hi)];
}

/**
 * Ticks of a log axis: the powers of ten inside [min, max]; when that spans
 * at most two decades, 2× and 5× are added so the axis is not bare.
 */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0)) return [];
  if (min > max) [min, max] = [max, min];
  const lo = Math.floor(Math.log10(min) + 1e-9);
  const hi = Math.ceil(Math.log10(max) - 1e-9);
  const multiples = hi - lo <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let p = lo; p <= hi; p++) {
    for (const m of multiples) {
      const v = clean(m * 10 ** p);
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) ticks.push(v);
    }
  }
  return ticks;
}

/** Short label for a tick value: 0.001, 0.25, 1500, 1e-5, 2e+6. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) {
    const [mantissa = '', exponent = ''] = value.toExponential().split('e');
    return `${Number(Number(mantissa).toPrecision(3))}e${exponent}`;
  }
  return String(Number(value.toPrecision(4)));
}

export interface XY {
  x: number;
  y: number;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

/** SVG path data for polylines: each segment starts with M; empty segments are skipped. */
export function linePath(segments: readonly (readonly XY[])[]): string {
  return segments
    .filter((s) => s.length > 0)
    .map((s) => s.map((p, i) => `${i === 0 ? 'M' : 'L'}${r2(p.x)},${r2(p.y)}`).join(''))
    .join('');
}
