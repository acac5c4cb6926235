import { describe, expect, it } from 'vitest';
import type { Instance } from '../../../types/api';
import { meanPoseTemplate } from '../meanPose';
import { predictionFromApi } from '../prediction';
import {
  currentDoc,
  currentPose,
  editorCreate,
  editorInstances,
  editorLoadFrame,
  previousLabeledPose,
  type EditorState,
} from '../state';
import { skeleton } from '../testFixtures';
import { findKeyAction } from './register';
import { moveInstance, selectInstance, setTrack } from './instanceActions';
import { placePoint } from './pointActions';
import { selectPrediction, usePrediction } from './predictionActions';
import { runAction, type Action, type KeyInput } from './types';

const tracks = [
  { id: 1, name: 'A', color: '#ff7f0e' },
  { id: 2, name: 'B', color: '#1f77b4' },
];

const key = (k: string, mods: Partial<KeyInput> = {}): KeyInput => ({
  key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods,
});

function multi(instances: Instance[] = [], maxInstances: number | null = 2): EditorState {
  const s = editorCreate({ skeleton, frameIndex: 3, frameCount: 10, frameSize: { width: 160, height: 120 }, maxInstances, tracks });
  return editorLoadFrame(s, instances);
}

function press(s: EditorState, k: string, mods: Partial<KeyInput> = {}): EditorState {
  const e = key(k, mods);
  const action = findKeyAction(e, s);
  if (!action) return s;
  return runAction(action, s, action.fromKey?.(e))?.state ?? s;
}

const run = <P,>(s: EditorState, a: Action<P>, p: P) => runAction(a, s, p)?.state ?? s;
const click = (s: EditorState, x: number, y: number) => run(s, placePoint, { point: { x, y } as never });

function labelAll(s: EditorState, x0: number): EditorState {
  return [0, 1, 2].reduce((acc, i) => click(acc, x0 + i * 10, 50), s);
}

const human = (track: string | null, x: number, id?: number): Instance => ({
  ...(id === undefined ? {} : { id }),
  track,
  source: 'human',
  points: [1, 2, 3].map((node, i) => ({ node, x: x + i * 10, y: 50, visibility: 2 as const })),
});

describe('instances on a multi-animal frame', () => {
  it('labels two animals click by click, each with the next free track', () => {
    let s = labelAll(multi(), 10); // the first click creates instance 1
    s = press(s, 'i'); // new instance, active, first node
    expect(s.activeInstance).toBe(1);
    expect(s.activeNodeId).toBe(1);
    s = labelAll(s, 90);
    expect(editorInstances(s)).toEqual([
      { track: 'A', source: 'human', points: human('A', 10).points },
      { track: 'B', source: 'human', points: human('B', 90).points },
    ]);
    expect(runAction(findKeyAction(key('i'), s)!, s, undefined)).toBeNull(); // the cap: 2 animals
  });

  it('picks instances with Tab, Shift+Tab and number keys; Tab still picks nodes in keyboard mode', () => {
    const s = multi([human('A', 10, 1), human('B', 90, 2)]);
    expect(press(s, 'Tab').activeInstance).toBe(1);
    expect(press(press(s, 'Tab'), 'Tab', { shiftKey: true }).activeInstance).toBe(0);
    expect(press(s, '2').activeInstance).toBe(1);
    expect(press(s, '3').activeInstance).toBe(0); // no third instance
    expect(currentPose(press(s, '2')).points[1]).toEqual({ x: 90, y: 50, visibility: 2 });
    const keyboardMode = press(s, 'k');
    expect(press(keyboardMode, 'Tab').activeInstance).toBe(0);
    expect(press(keyboardMode, 'Tab').activeNodeId).not.toBe(keyboardMode.activeNodeId);
  });

  it('keeps the single-animal workspace when the project allows one animal', () => {
    const s = multi([human(null, 10, 1)], 1);
    expect(findKeyAction(key('Tab'), s)?.name).toBe('nextNode');
    expect(runAction(findKeyAction(key('i'), s)!, s, undefined)).toBeNull();
    expect(findKeyAction(key('2'), s)?.predicate?.(s, { index: 1 })).toBe(false);
  });

  it('deletes the active instance (Shift+Delete), undoably, keeping the other saved one with its id', () => {
    const s = press(multi([human('A', 10, 1), human('B', 90, 2)]), '1');
    const deleted = press(s, 'Delete', { shiftKey: true });
    expect(editorInstances(deleted)).toEqual([human('B', 90, 2)]);
    expect(editorInstances(press(deleted, 'z', { ctrlKey: true }))).toEqual([human('A', 10, 1), human('B', 90, 2)]);
  });

  it('sets a track from the list, and moves a whole instance', () => {
    let s = multi([human(null, 10, 1)]);
    expect(runAction(setTrack, s, { index: 0, track: 'Z' })).toBeNull(); // not in the project's list
    s = run(s, setTrack, { index: 0, track: 'B' });
    s = run(s, moveInstance, { index: 0, dx: 5, dy: -10 });
    expect(editorInstances(s)[0]).toMatchObject({ id: 1, track: 'B', points: [{ node: 1, x: 15, y: 40 }, { node: 2, x: 25, y: 40 }, { node: 3, x: 35, y: 40 }] });
    expect(run(s, selectInstance, { index: 0, nodeId: 3 }).activeNodeId).toBe(3);
  });

  it('stamps the mean pose of the labels so far (Shift+I)', () => {
    const template = meanPoseTemplate([{ 1: { x: 0, y: 0, visibility: 2 }, 2: { x: 10, y: 0, visibility: 2 }, 3: { x: 20, y: 0, visibility: 2 } }], [1, 2, 3]);
    const s = press({ ...multi(), meanPose: template }, 'I', { shiftKey: true });
    const points = currentPose(s).points;
    expect(points[2]!.x - points[1]!.x).toBeCloseTo(10);
    expect(points[3]!.y).toBeCloseTo(points[1]!.y);
    expect(currentDoc(s).instances[0]!.track).toBe('A');
  });

  it('copies every instance of the previous labeled frame (C)', () => {
    const frames = [{ frame_index: 1, instances: [human('A', 10, 1), human('B', 90, 2)] }];
    const s = press({ ...multi(), previous: previousLabeledPose(frames, 3, [1, 2, 3]) }, 'c');
    expect(editorInstances(s)).toEqual([
      { track: 'A', source: 'human', points: human('A', 10).points },
      { track: 'B', source: 'human', points: human('B', 90).points },
    ]);
  });
});

describe('predicted instances', () => {
  const api = {
    run: 5, model_version: { id: 11, number: 2 }, frame_index: 3,
    instances: [
      { track: 'B', score: 0.9, points: [{ node: 1, x: 100, y: 10, score: 0.9 }] },
      { track: null, score: 0.5, points: [{ node: 1, x: 20, y: 30, score: 0.5 }] },
    ],
  };

  it('U turns every predicted instance into an editable one, matching tracks', () => {
    const s = { ...multi([human('B', 90, 7)], null), prediction: predictionFromApi(api, [1, 2, 3]) };
    const out = editorInstances(press(s, 'u'));
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ id: 7, track: 'B', points: [{ node: 1, x: 100, y: 10, visibility: 2 }] });
    expect(out[1]).toMatchObject({ track: 'A', points: [{ node: 1, x: 20, y: 30, visibility: 2 }] });
  });

  it('U with one predicted instance picked uses only that one', () => {
    let s: EditorState = { ...multi([], null), prediction: predictionFromApi(api, [1, 2, 3]) };
    s = run(s, selectPrediction, { index: 1 });
    const out = editorInstances(run(s, usePrediction, undefined));
    expect(out).toEqual([{ track: 'A', source: 'human', points: [{ node: 1, x: 20, y: 30, visibility: 2 }] }]);
  });
});
