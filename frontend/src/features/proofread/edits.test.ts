import { describe, expect, it } from 'vitest';
import type { PredictionRange } from '../../types/api';
import { assignEdit, deleteEdit, frameRange, mergeEdit, refusalText, splitEdit, swapEdit } from './edits';
import { chunkOf, frameInstances } from './frames';

describe('edit requests', () => {
  it('swaps from a frame to the end, or over an inclusive range sent as [start, stop)', () => {
    expect(swapEdit('a', 'b', '30', '', 3).request).toEqual({ op: 'swap', tracks: ['a', 'b'], start: 30, stop: null, version: 3 });
    expect(swapEdit('a', 'b', '30', '39', 3).request).toEqual({ op: 'swap', tracks: ['a', 'b'], start: 30, stop: 40, version: 3 });
  });

  it('refuses a swap the server would refuse, saying why', () => {
    expect(swapEdit('a', 'a', '3', '', 0).error).toBe('Pick two different tracks to swap.');
    expect(swapEdit('a', 'b', 'x', '', 0).error).toBe('Swap from which frame?');
    expect(swapEdit('a', 'b', '9', '3', 0).error).toMatch(/last frame/);
  });

  it('assigns and deletes the selected instance by its position on the frame', () => {
    expect(assignEdit(7, 1, ' mouse-c ', 2).request).toEqual({ op: 'assign', frame: 7, instance: 1, track: 'mouse-c', version: 2 });
    expect(assignEdit(7, 1, '', 2).request?.track).toBeNull();
    expect(assignEdit(7, null, 'a', 2).error).toMatch(/Pick an instance/);
    expect(deleteEdit(7, 0, 2).request).toEqual({ op: 'delete', frame: 7, instance: 0, version: 2 });
  });

  it('merges two different tracks and splits with an optional new name', () => {
    expect(mergeEdit('b', 'a', 1).request).toEqual({ op: 'merge', track: 'b', into: 'a', version: 1 });
    expect(mergeEdit('a', 'a', 1).error).toMatch(/two different/);
    expect(splitEdit('a', 12, '', 1).request).toEqual({ op: 'split', track: 'a', frame: 12, version: 1 });
    expect(splitEdit('a', 12, 'a2', 1).request).toEqual({ op: 'split', track: 'a', frame: 12, new_track: 'a2', version: 1 });
  });

  it('reads a typed frame range', () => {
    expect(frameRange('10', '19')).toEqual({ start: 10, stop: 20 });
    expect(frameRange('10', '9')).toMatch(/last frame/);
    expect(frameRange('', '9')).toMatch(/first and last/);
  });

  it('tells the user a conflict reloaded the tracks, and passes other refusals on as they are', () => {
    expect(refusalText(409, 'bob changed frames 5–9.', 4)).toBe(
      'bob changed frames 5–9. The tracks were reloaded (version 4); check them and edit again.',
    );
    expect(refusalText(400, 'There is no track x.', null)).toBe('There is no track x.');
  });
});

describe('frameInstances', () => {
  const range: PredictionRange = {
    run: 1, model_version: 1, smoothed: false, node_names: ['snout', 'tail', 'gone'], node_ids: [11, 12, null],
    start: 0, stop: 2,
    frames: [{ frame_index: 1, instances: [
      { track: 'a', score: 0.9, points: [[10, 20, 0.9], null, [1, 1, 1]] },
      { track: 'b', score: null, points: [null, null, [5, 5, 1]] },
    ] }],
  };

  it('keeps each instance at its position (the edit index) with its drawable points', () => {
    const instances = frameInstances(range, 1);
    expect(instances.map((i) => [i.index, i.track])).toEqual([[0, 'a'], [1, 'b']]);
    expect(instances[0]!.instance).toEqual({ track: 'a', source: 'model', points: [{ node: 11, x: 10, y: 20, visibility: 2 }] });
    expect(instances[1]!.instance.points).toEqual([]);
    expect(frameInstances(range, 0)).toEqual([]);
  });

  it('fetches frames in chunks around the current one', () => {
    expect(chunkOf(0)).toEqual([0, 100]);
    expect(chunkOf(250)).toEqual([200, 300]);
  });
});
