import { describe, expect, it } from 'vitest';
import { skeleton } from '../testFixtures';
import { renderHalo, renderSkeleton, withoutNode, type Ctx2D } from './render';

/** A fake 2D context that records the calls render.ts makes. */
function recorder() {
  const calls: { op: string; args: unknown[]; dash: number[]; fill: string; stroke: string }[] = [];
  let dash: number[] = [];
  const ctx = {
    fillStyle: '',
    strokeStyle: '',
    lineWidth: 1,
    globalAlpha: 1,
    font: '',
    setLineDash: (d: number[]) => {
      dash = d;
    },
  } as Record<string, unknown>;
  for (const op of ['beginPath', 'arc', 'fill', 'stroke', 'moveTo', 'lineTo', 'fillText', 'strokeText', 'strokeRect']) {
    ctx[op] = (...args: unknown[]) =>
      calls.push({ op, args, dash: [...dash], fill: String(ctx.fillStyle), stroke: String(ctx.strokeStyle) });
  }
  return { ctx: ctx as unknown as Ctx2D, calls };
}

const vp = { scale: 1, offsetX: 0, offsetY: 0 };

describe('renderSkeleton', () => {
  it('draws visible nodes filled, occluded hollow and dashed, hidden not at all', () => {
    const { ctx, calls } = recorder();
    renderSkeleton(ctx, skeleton, {
      1: { x: 10, y: 10, visibility: 2 },
      2: { x: 20, y: 20, visibility: 1 },
      3: { x: 30, y: 30, visibility: 0 },
    }, vp);
    const arcs = calls.filter((c) => c.op === 'arc').map((c) => c.args.slice(0, 2));
    expect(arcs).toEqual([[10, 10], [20, 20]]);
    expect(calls.filter((c) => c.op === 'fill')).toHaveLength(1);
    expect(calls.filter((c) => c.op === 'fillText').map((c) => c.args[0])).toEqual(['nose', 'head']);
    // edge nose-head is dashed (head occluded); head-tail is skipped (tail not in frame)
    const lines = calls.filter((c) => c.op === 'lineTo');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.args).toEqual([20, 20]);
    const edgeStroke = calls.find((c) => c.op === 'stroke');
    expect(edgeStroke?.dash.length).toBeGreaterThan(0);
  });
});

describe('renderHalo', () => {
  it('widens the visible edges and rings the visible points in the instance colour', () => {
    const { ctx, calls } = recorder();
    renderHalo(ctx, skeleton, {
      1: { x: 10, y: 10, visibility: 2 },
      2: { x: 20, y: 20, visibility: 2 },
      3: { x: 30, y: 30, visibility: 0 },
    }, vp, '#ff7f0e');
    expect(calls.filter((c) => c.op === 'lineTo').map((c) => c.args)).toEqual([[20, 20]]); // head–tail: tail hidden
    expect(calls.filter((c) => c.op === 'arc').map((c) => c.args.slice(0, 2))).toEqual([[10, 10], [20, 20]]);
    expect(calls.filter((c) => c.op === 'stroke' && c.stroke === '#ff7f0e')).toHaveLength(2);
    const box = calls.find((c) => c.op === 'strokeRect')!;
    expect(box.args).toEqual([-5, -5, 40, 40]); // the visible points, 15 px around
    expect([box.stroke, box.dash.length > 0]).toEqual(['#ff7f0e', true]);
    expect(ctx.lineCap).toBe('butt'); // restored for the drawing that follows
  });
});

describe('withoutNode', () => {
  it('removes one node and leaves the input alone', () => {
    const pts = { 1: { x: 0, y: 0, visibility: 2 as const }, 2: { x: 1, y: 1, visibility: 2 as const } };
    expect(Object.keys(withoutNode(pts, 1))).toEqual(['2']);
    expect(Object.keys(pts)).toEqual(['1', '2']);
    expect(withoutNode(pts, null)).toBe(pts);
  });
});
