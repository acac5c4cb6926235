/**
 * Team-labeling actions: "next frame for me", submit for review and the
 * per-frame history panel. The first two are effects the page performs
 * (server calls); the panel toggle is UI state.
 */
import { plainKey, type Action } from './types';

export const nextFrameForMe: Action = {
  name: 'nextFrameForMe',
  label: 'Next frame for me: claim and open the next frame that needs labeling',
  short: 'Next frame for me',
  shortcuts: ['N'],
  keyTest: (e) => plainKey(e, 'n'),
  predicate: (s) => s.canLabel,
  perform: (s) => s,
  effect: 'nextForMe',
};

export const submitFrame: Action = {
  name: 'submitFrame',
  label: 'Submit this frame for review (saves first)',
  short: 'Submit',
  shortcuts: ['Ctrl+Enter'],
  keyTest: (e) => (e.ctrlKey || e.metaKey) && !e.altKey && e.key === 'Enter',
  predicate: (s) => s.canLabel && s.editable,
  perform: (s) => s,
  effect: 'submit',
};

export const toggleHistory: Action = {
  name: 'toggleHistory',
  label: 'Show / hide this frame’s history (who changed what)',
  short: 'History',
  shortcuts: ['H'],
  keyTest: (e) => plainKey(e, 'h'),
  perform: (s) => ({ ...s, historyOpen: !s.historyOpen }),
  checked: (s) => s.historyOpen,
};
