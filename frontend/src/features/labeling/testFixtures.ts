/** Shared fixtures for the labeling unit tests. */
import type { Skeleton } from '../../types/api';

export const skeleton: Skeleton = {
  nodes: [
    { id: 1, name: 'nose', color: '#ff0000' },
    { id: 2, name: 'head', color: '#00ff00' },
    { id: 3, name: 'tail', color: '#0000ff' },
  ],
  edges: [
    [1, 2],
    [2, 3],
  ],
  symmetries: [],
};
