/** Actions that choose the active node (UI state, not undoable). */
import { stepNode } from '../state';
import { followActive } from './keyboardActions';
import { type Action } from './types';

export const selectNode: Action<{ nodeId: number }> = {
  name: 'selectNode',
  label: 'Make a node active',
  shortcuts: ['Click node in list'],
  predicate: (s, { nodeId }) => s.nodeIds.includes(nodeId),
  perform: (s, { nodeId }) => followActive({ ...s, activeNodeId: nodeId }),
};

export const nextNode: Action = {
  name: 'nextNode',
  label: 'Next node',
  shortcuts: ['Tab'],
  keyTest: (e) => e.key === 'Tab' && !e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey,
  predicate: (s) => s.nodeIds.length > 0,
  perform: (s) => followActive({ ...s, activeNodeId: stepNode(s, s.activeNodeId, 1) }),
};

export const previousNode: Action = {
  name: 'previousNode',
  label: 'Previous node',
  shortcuts: ['Shift+Tab'],
  keyTest: (e) => e.key === 'Tab' && e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey,
  predicate: (s) => s.nodeIds.length > 0,
  perform: (s) => followActive({ ...s, activeNodeId: stepNode(s, s.activeNodeId, -1) }),
};
