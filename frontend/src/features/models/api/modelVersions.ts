/** Model version endpoints. */
import { api } from '../../../lib/api';
import type { ModelVersion } from '../../../types/api';

export const getModelVersions = (projectId: number, signal?: AbortSignal) =>
  api.get<ModelVersion[]>(`/api/projects/${projectId}/model-versions/`, signal);

export const getModelVersion = (versionId: number, signal?: AbortSignal) =>
  api.get<ModelVersion>(`/api/model-versions/${versionId}/`, signal);
