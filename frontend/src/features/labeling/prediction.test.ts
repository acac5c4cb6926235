import { describe, expect, it } from 'vitest';
import { findKeyAction, ACTIONS } from './actions/register';
import { currentPrediction, togglePredictions, usePrediction } from './actions/predictionActions';
import { runAction, type KeyInput } from './actions/types';
import { renderPredictions, type Ctx2D } from './canvas/render';
import { hasPredictedPoints, predictionAlpha, predictionFromApi, predictionPose } from './prediction';
import { canUndo, currentPose, editorCreate, editorLoadFrame, historyUndo, type EditorState } from './state';
import { skeleton } from './testFixtures';

const key = (k: string, mods: Partial<KeyInput> = {}): KeyInput => ({
  key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods,
});

const points = [
  { node: 1, x: 10.5, y: 20, score: 0.9 },
  { node: 2, x: 30, y: 40, score: null },
  { node: 99, x: 1, y: 1, score: 0.5 }, // not in the skeleton
];
const api = { run: 5, model_version: { id: 11, number: 2 }, frame_index: 3, instances: [{ track: null, score: 0.7, points }] };
/** A server from before multi-animal predictions: one `points` list. */
const legacyApi = { run: 5, model_version: { id: 11, number: 2 }, frame_index: 3, points };

function editable(frameIndex = 3): EditorState {
  return { ...editorLoadFrame(editorCreate({ skeleton, frameIndex, frameCount: 10 }), []), editable: true };
}

describe('prediction helpers', () => {
  it('keeps only skeleton nodes and converts to a visible pose', () => {
    const p = predictionFromApi(api, [1, 2, 3]);
    expect(p).toEqual({
      frameIndex: 3, run: 5, modelVersionNumber: 2,
      instances: [{ track: null, score: 0.7, points: { 1: { x: 10.5, y: 20, score: 0.9 }, 2: { x: 30, y: 40, score: null } } }],
    });
    expect(predictionFromApi(legacyApi, [1, 2, 3]).instances[0]!.points).toEqual(p.instances[0]!.points);
    expect(predictionPose(p.instances[0]!)).toEqual({ 1: { x: 10.5, y: 20, visibility: 2 }, 2: { x: 30, y: 40, visibility: 2 } });
    expect(hasPredictedPoints(p)).toBe(true);
    expect(hasPredictedPoints({ ...p, instances: [] })).toBe(false);
    expect(hasPredictedPoints(null)).toBe(false);
  });

  it('maps confidence to a faint but visible alpha', () => {
    expect(predictionAlpha(1)).toBeCloseTo(0.8);
    expect(predictionAlpha(0)).toBeCloseTo(0.2);
    expect(predictionAlpha(5)).toBeCloseTo(0.8);
    expect(predictionAlpha(null)).toBe(0.5);
    expect(predictionAlpha(Number.NaN)).toBe(0.5);
  });
});

describe('prediction actions', () => {
  it('are bound to P and U and listed in the registry (help panel)', () => {
    expect(findKeyAction(key('p'))?.name).toBe('togglePredictions');
    expect(findKeyAction(key('U', { shiftKey: true }))?.name).toBe('usePrediction');
    expect(findKeyAction(key('u', { ctrlKey: true }))).toBeUndefined();
    expect(ACTIONS).toContain(usePrediction);
    expect(ACTIONS).toContain(togglePredictions);
  });

  it('toggles the layer', () => {
    const s = editable();
    expect(s.predictionsShown).toBe(true);
    const off = runAction(togglePredictions, s, undefined)!.state;
    expect(off.predictionsShown).toBe(false);
    expect(togglePredictions.checked!(off)).toBe(false);
  });

  it('uses the prediction of the frame on screen as the pose, undoably', () => {
    const placed = {
      ...editable(),
      prediction: predictionFromApi(api, [1, 2, 3]),
    };
    const withOld = runAction(usePrediction, placed, undefined)!.state;
    expect(currentPose(withOld).points).toEqual({ 1: { x: 10.5, y: 20, visibility: 2 }, 2: { x: 30, y: 40, visibility: 2 } });
    expect(withOld.activeNodeId).toBe(3); // the first node the model did not place
    expect(canUndo(withOld.history)).toBe(true);
    expect(currentPose({ ...withOld, history: historyUndo(withOld.history) }).points).toEqual({});
  });

  it('is unavailable without a prediction for this frame, or when read-only', () => {
    const prediction = predictionFromApi(api, [1, 2, 3]);
    expect(runAction(usePrediction, editable(), undefined)).toBeNull();
    expect(runAction(usePrediction, { ...editable(4), prediction }, undefined)).toBeNull(); // another frame's
    expect(currentPrediction({ ...editable(4), prediction })).toBeNull();
    expect(runAction(usePrediction, { ...editable(), prediction, editable: false }, undefined)).toBeNull();
  });
});

describe('renderPredictions', () => {
  it('draws hollow dashed points with confidence as alpha, and dashed edges', () => {
    const calls: { op: string; alpha: number; dash: number[] }[] = [];
    let dash: number[] = [];
    const ctx = { strokeStyle: '', lineWidth: 1, globalAlpha: 1, setLineDash: (d: number[]) => (dash = d) } as Record<string, unknown>;
    for (const op of ['beginPath', 'arc', 'fill', 'stroke', 'moveTo', 'lineTo']) {
      ctx[op] = () => calls.push({ op, alpha: Number(ctx.globalAlpha), dash: [...dash] });
    }
    const points = { 1: { x: 1, y: 1, score: 1 }, 2: { x: 5, y: 5, score: 0 } };
    renderPredictions(ctx as unknown as Ctx2D, skeleton, points, { scale: 1, offsetX: 0, offsetY: 0 }, predictionAlpha);
    expect(calls.some((c) => c.op === 'fill')).toBe(false);
    const arcs = calls.filter((c) => c.op === 'arc');
    expect(arcs).toHaveLength(2);
    const strokes = calls.filter((c) => c.op === 'stroke');
    expect(strokes).toHaveLength(3); // one edge (1-2; 3 has no point) + two circles
    expect(strokes.every((c) => c.dash.length > 0)).toBe(true);
    expect(strokes[1]!.alpha).toBeCloseTo(0.8);
    expect(strokes[2]!.alpha).toBeCloseTo(0.2);
    expect(ctx.globalAlpha).toBe(1);
  });
});
