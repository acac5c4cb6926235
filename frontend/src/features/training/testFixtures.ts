/** Test data for the training feature (not imported by app code). */
import type { TrainingJob, TrainingPresets } from '../../types/api';

export const presets: TrainingPresets = {
  fast: { preset: 'fast', max_seconds: 120, batch_size: 8, learning_rate: 0.003, max_steps: 20000, seed: 0, aug_flip: true },
  balanced: { preset: 'balanced', max_seconds: 600, batch_size: 8, learning_rate: 0.003, max_steps: 20000, seed: 0, aug_flip: true },
  accurate: { preset: 'accurate', max_seconds: 1800, batch_size: 8, learning_rate: 0.003, max_steps: 20000, seed: 0, aug_flip: true },
};

export function makeJob(overrides: Partial<TrainingJob> = {}): TrainingJob {
  return {
    id: 1, project: 1, status: 'queued', preset: 'balanced', config: {}, progress: 0, stage: '', epoch: 0, step: 0,
    total_steps: 0, eta_seconds: null, history: [], message: 'Waiting for a worker', error: '', worker: '', attempt: 1,
    cancel_requested: false, heartbeat_at: null, memory_mb: null, created_at: '2024-05-01T10:00:00Z', started_at: null, finished_at: null,
    created_by: 'alice', parent_version: null, snapshot: { id: 1, sha256: 'abc', frame_count: 12 },
    split: { train: ['a', 'b'], val: ['c'] }, model_version: null, unlabeled: {},
    ...overrides,
  };
}
