/**
 * The model's prediction layer: P shows / hides it, U turns it into the
 * editable pose in one step (undoable: Ctrl+Z brings back what was there).
 */
import { hasPredictedPoints, predictionPose } from '../prediction';
import { editorCommit, nextUnplacedNode, type EditorState } from '../state';
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

export const usePrediction: Action = {
  name: 'usePrediction',
  label: 'Use the model’s prediction as this frame’s pose (undoable)',
  short: 'Use prediction',
  shortcuts: ['U'],
  keyTest: (e) => plainKey(e, 'u'),
  predicate: (s) => s.editable && hasPredictedPoints(currentPrediction(s)),
  perform(s) {
    const prediction = currentPrediction(s);
    if (!hasPredictedPoints(prediction)) return s;
    const next = editorCommit(s, { points: predictionPose(prediction) });
    return followActive({ ...next, activeNodeId: nextUnplacedNode(next, null) ?? s.activeNodeId });
  },
};
