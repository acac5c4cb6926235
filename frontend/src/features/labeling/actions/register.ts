/**
 * The one list of editor actions. Keyboard handling, the help panel and the
 * toolbar all read from here; add a command by adding an action to the list.
 */
import { closeHelp, fitToScreen, goToFrame, nextFrame, previousFrame, redo, save, toggleHelp, undo } from './editorActions';
import { nextNode, previousNode, selectNode } from './nodeActions';
import {
  copyPrevious,
  leaveKeyboardMode,
  moveCrosshair,
  placeAtCrosshair,
  toggleKeyboardMode,
} from './keyboardActions';
import {
  addInstance,
  deleteInstance,
  moveInstance,
  nextInstance,
  previousInstance,
  selectInstance,
  selectInstanceByNumber,
  setTrack,
  stampInstance,
} from './instanceActions';
import { cyclePointVisibility, cycleVisibility, deletePoint, movePoint, placePoint } from './pointActions';
import { selectPrediction, togglePredictions, usePrediction } from './predictionActions';
import { nextFrameForMe, submitFrame, toggleHistory } from './teamActions';
import type { Action, KeyInput } from './types';
import type { EditorState } from '../state';

/** Gestures shown in the help panel that are not editor actions (view only). */
export const VIEW_GESTURES: readonly { label: string; shortcuts: readonly string[] }[] = [
  { label: 'Zoom around the cursor', shortcuts: ['Mouse wheel'] },
  { label: 'Pan', shortcuts: ['Drag empty space', 'Space+drag', 'Middle-drag'] },
];

// `any` payloads: the list mixes actions with different payload types; each is
// called with its own payload type where it is used.
export const ACTIONS: readonly Action<any>[] = [
  placePoint,
  toggleKeyboardMode,
  moveCrosshair,
  placeAtCrosshair,
  closeHelp,
  leaveKeyboardMode,
  movePoint,
  cyclePointVisibility,
  selectNode,
  nextNode,
  previousNode,
  cycleVisibility,
  deletePoint,
  addInstance,
  stampInstance,
  selectInstance,
  nextInstance,
  previousInstance,
  selectInstanceByNumber,
  moveInstance,
  setTrack,
  deleteInstance,
  copyPrevious,
  usePrediction,
  selectPrediction,
  togglePredictions,
  nextFrame,
  previousFrame,
  goToFrame,
  nextFrameForMe,
  submitFrame,
  toggleHistory,
  undo,
  redo,
  save,
  fitToScreen,
  toggleHelp,
];

/** Actions with a keyboard shortcut (their payload, if any, comes from `fromKey`). */
export const KEY_ACTIONS: readonly Action<any>[] = ACTIONS.filter((a) => a.keyTest !== undefined);

/**
 * The action whose shortcut matches the key, if any (availability is checked by
 * runAction). Modal actions (keyboard placement mode) share keys with ordinary
 * ones: given the state, a modal action wins only while it is available;
 * without a state, the ordinary action is returned.
 */
export function findKeyAction(e: KeyInput, s?: EditorState): Action<any> | undefined {
  const matches = KEY_ACTIONS.filter((a) => a.keyTest?.(e));
  if (s) {
    const modal = matches.find((a) => a.modal && (!a.predicate || a.predicate(s, a.fromKey?.(e))));
    if (modal) return modal;
  }
  return matches.find((a) => !a.modal) ?? (s ? undefined : matches[0]);
}

export {
  addInstance,
  deleteInstance,
  moveInstance,
  nextInstance,
  previousInstance,
  selectInstance,
  selectInstanceByNumber,
  selectPrediction,
  setTrack,
  stampInstance,
  closeHelp,
  copyPrevious,
  leaveKeyboardMode,
  moveCrosshair,
  nextFrameForMe,
  placeAtCrosshair,
  submitFrame,
  toggleHistory,
  toggleKeyboardMode,
  togglePredictions,
  usePrediction,
  cyclePointVisibility,
  cycleVisibility,
  deletePoint,
  fitToScreen,
  goToFrame,
  movePoint,
  nextFrame,
  nextNode,
  placePoint,
  previousFrame,
  previousNode,
  redo,
  save,
  selectNode,
  toggleHelp,
  undo,
};
