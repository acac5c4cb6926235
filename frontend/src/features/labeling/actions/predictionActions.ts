/**
 * The model's prediction layer: P shows / hides it, U turns it into editable
 * instances in one step (undoable: Ctrl+Z brings back what was there).
 *
 * Single-animal: U makes the best predicted instance the pose. Several
 * animals: U uses the predicted instance picked by a click, or every
 * predicted instance when none is picked; a prediction replaces the instance
 * with its track, else fills the empty active instance, else is added
 * (within the project's animal count).
 */
import { hasPredictedPoints, predictionPose, type PredictedInstance } from '../prediction';
import {
  currentDoc,
  editorCommit,
  editorCommitDoc,
  freeTrack,
  isMultiAnimal,
  nextUnplacedNode,
  type EditorState,
  type InstanceDoc,
} from '../state';
import { followActive } from './keyboardActions';
import { plainKey, type Action } from './types';

/** The prediction of the frame on screen, if any. */
export function currentPrediction(s: EditorState) {
  return s.prediction && s.prediction.frameIndex === s.frameIndex ? s.prediction : null;
}

export const togglePredictions: Action = {
  name: 'togglePredictions',
  label: 'Show / hide the model’s prediction (faint, hollow points; opacity = confidence)',
  short: 'Prediction',
  shortcuts: ['P'],
  keyTest: (e) => plainKey(e, 'p'),
  perform: (s) => ({ ...s, predictionsShown: !s.predictionsShown }),
  checked: (s) => s.predictionsShown,
};

/** Click a predicted instance: U then uses only it. */
export const selectPrediction: Action<{ index: number | null }> = {
  name: 'selectPrediction',
  label: 'Pick a predicted instance for U',
  shortcuts: ['Click a predicted instance'],
  predicate: (s, { index }) => index === null || (currentPrediction(s)?.instances[index] !== undefined),
  perform: (s, { index }) => ({ ...s, activePrediction: index }),
};

const isEmpty = (inst: InstanceDoc | undefined) => inst !== undefined && Object.keys(inst.points).length === 0;

/** The frame's instances with the chosen predictions applied; `active` is the last instance written. */
function applyPredictions(s: EditorState, chosen: readonly PredictedInstance[]) {
  const instances = [...currentDoc(s).instances];
  let active = s.activeInstance;
  const trackOk = (t: string | null) => t !== null && (s.tracks.length === 0 || s.tracks.some((k) => k.name === t));
  for (const p of chosen) {
    const points = predictionPose(p);
    let i = trackOk(p.track) ? instances.findIndex((d) => d.track === p.track) : -1;
    if (i < 0 && chosen.length === 1 && isEmpty(instances[s.activeInstance])) i = s.activeInstance;
    if (i >= 0) {
      instances[i] = { ...instances[i]!, points };
    } else {
      if (s.maxInstances !== null && instances.length >= s.maxInstances) continue;
      const track = trackOk(p.track) ? p.track : freeTrack(s, { instances });
      instances.push({ track, points, origin: null });
      i = instances.length - 1;
    }
    active = i;
  }
  return { instances, active };
}

export const usePrediction: Action = {
  name: 'usePrediction',
  label: 'Use the model’s prediction as editable instances (the clicked one, else all; undoable)',
  short: 'Use prediction',
  shortcuts: ['U'],
  keyTest: (e) => plainKey(e, 'u'),
  predicate: (s) => s.editable && hasPredictedPoints(currentPrediction(s)),
  perform(s) {
    const prediction = currentPrediction(s);
    if (!hasPredictedPoints(prediction)) return s;
    let next: EditorState;
    if (!isMultiAnimal(s)) {
      next = editorCommit(s, { points: predictionPose(prediction.instances[0]!) });
    } else {
      const picked = s.activePrediction === null ? undefined : prediction.instances[s.activePrediction];
      const { instances, active } = applyPredictions(s, picked ? [picked] : prediction.instances);
      next = { ...editorCommitDoc(s, { instances }, active), activePrediction: null };
    }
    return followActive({ ...next, activeNodeId: nextUnplacedNode(next, null) ?? s.activeNodeId });
  },
};
