/**
 * The one list of editor actions. Keyboard handling, the help panel and the
 * toolbar all read from here; add a command by adding an action to the list.
 */
import { fitToScreen, goToFrame, nextFrame, previousFrame, redo, save, toggleHelp, undo } from './editorActions';
import { nextNode, previousNode, selectNode } from './nodeActions';
import { cyclePointVisibility, cycleVisibility, deletePoint, movePoint, placePoint } from './pointActions';
import type { Action, KeyInput } from './types';

/** Gestures shown in the help panel that are not editor actions (view only). */
export const VIEW_GESTURES: readonly { label: string; shortcuts: readonly string[] }[] = [
  { label: 'Zoom around the cursor', shortcuts: ['Mouse wheel'] },
  { label: 'Pan', shortcuts: ['Drag empty space', 'Space+drag', 'Middle-drag'] },
];

// `any` payloads: the list mixes actions with different payload types; each is
// called with its own payload type where it is used.
export const ACTIONS: readonly Action<any>[] = [
  placePoint,
  movePoint,
  cyclePointVisibility,
  selectNode,
  nextNode,
  previousNode,
  cycleVisibility,
  deletePoint,
  nextFrame,
  previousFrame,
  goToFrame,
  undo,
  redo,
  save,
  fitToScreen,
  toggleHelp,
];

/** Actions with a keyboard shortcut (no payload). */
export const KEY_ACTIONS: readonly Action[] = ACTIONS.filter((a) => a.keyTest !== undefined) as Action[];

/** The action whose shortcut matches the key, if any (availability is checked by runAction). */
export function findKeyAction(e: KeyInput): Action | undefined {
  return KEY_ACTIONS.find((a) => a.keyTest?.(e));
}

export {
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
