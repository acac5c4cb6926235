/**
 * Frame navigation, history, save, view and help actions. Frame changes only
 * move `frameIndex`; the page notices and loads the new frame. Save and fit
 * are declared as effects the page performs.
 */
import { canRedo, canUndo, historyRedo, historyUndo, withActiveInRange, type EditorState } from '../state';
import { modKey, plainKey, type Action } from './types';

const lastFrame = (s: EditorState) => (s.frameCount ?? Infinity) - 1;

export const nextFrame: Action = {
  name: 'nextFrame',
  label: 'Next frame',
  shortcuts: ['→', 'D'],
  keyTest: (e) => plainKey(e, 'ArrowRight', 'd'),
  predicate: (s) => s.frameIndex < lastFrame(s),
  perform: (s) => ({ ...s, frameIndex: s.frameIndex + 1 }),
};

export const previousFrame: Action = {
  name: 'previousFrame',
  label: 'Previous frame',
  shortcuts: ['←', 'A'],
  keyTest: (e) => plainKey(e, 'ArrowLeft', 'a'),
  predicate: (s) => s.frameIndex > 0,
  perform: (s) => ({ ...s, frameIndex: s.frameIndex - 1 }),
};

/** Jump to a frame (frame number input). */
export const goToFrame: Action<{ frameIndex: number }> = {
  name: 'goToFrame',
  label: 'Go to frame',
  shortcuts: ['Frame number box'],
  predicate: (s, { frameIndex }) =>
    Number.isInteger(frameIndex) && frameIndex >= 0 && frameIndex <= lastFrame(s) && frameIndex !== s.frameIndex,
  perform: (s, { frameIndex }) => ({ ...s, frameIndex }),
};

export const undo: Action = {
  name: 'undo',
  label: 'Undo',
  shortcuts: ['Ctrl+Z'],
  keyTest: (e) => modKey(e, 'z', false),
  predicate: (s) => s.editable && canUndo(s.history),
  perform: (s) => withActiveInRange({ ...s, history: historyUndo(s.history) }),
};

export const redo: Action = {
  name: 'redo',
  label: 'Redo',
  shortcuts: ['Ctrl+Shift+Z', 'Ctrl+Y'],
  keyTest: (e) => modKey(e, 'z', true) || modKey(e, 'y', false),
  predicate: (s) => s.editable && canRedo(s.history),
  perform: (s) => withActiveInRange({ ...s, history: historyRedo(s.history) }),
};

export const save: Action = {
  name: 'save',
  label: 'Save now',
  shortcuts: ['Ctrl+S'],
  keyTest: (e) => modKey(e, 's', false),
  predicate: (s) => s.editable,
  perform: (s) => s,
  effect: 'save',
};

export const fitToScreen: Action = {
  name: 'fitToScreen',
  label: 'Fit frame to screen',
  short: 'Fit',
  shortcuts: ['F'],
  keyTest: (e) => plainKey(e, 'f'),
  perform: (s) => s,
  effect: 'fit',
};

export const toggleHelp: Action = {
  name: 'toggleHelp',
  label: 'Show / hide this help',
  short: 'Help',
  shortcuts: ['?'],
  keyTest: (e) => e.key === '?' && !e.ctrlKey && !e.metaKey && !e.altKey,
  perform: (s) => ({ ...s, helpOpen: !s.helpOpen }),
  checked: (s) => s.helpOpen,
};

/** Esc closes the shortcut help (a modal overlay) before it does anything else. */
export const closeHelp: Action = {
  name: 'closeHelp',
  label: 'Close this help',
  shortcuts: ['Esc'],
  keyTest: (e) => plainKey(e, 'Escape'),
  modal: true,
  predicate: (s) => s.helpOpen,
  perform: (s) => ({ ...s, helpOpen: false }),
};
