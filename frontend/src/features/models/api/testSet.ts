/** A project's pinned test set: labeled frames no training run sees, scored on every new model. */
import { api } from '../../../lib/api';
import type { TestSet, TestSetPin } from '../../../types/api';

const url = (projectId: number) => `/api/projects/${projectId}/test-set/`;

export const getTestSet = (projectId: number, signal?: AbortSignal) => api.get<TestSet>(url(projectId), signal);

/** Replace the test set with `count` labeled frames drawn at random with `seed`. */
export const pinTestSet = (projectId: number, body: TestSetPin) => api.post<TestSet>(url(projectId), body);

export const clearTestSet = (projectId: number) => api.delete<TestSet>(url(projectId));

/** Pin (or unpin) one labeled frame by its id. */
export const setTestFrame = (projectId: number, frameId: number, pinned: boolean) =>
  pinned
    ? api.put<TestSet>(`${url(projectId)}frames/${frameId}/`)
    : api.delete<TestSet>(`${url(projectId)}frames/${frameId}/`);
