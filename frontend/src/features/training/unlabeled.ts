/**
 * The unlabeled-frame options of a training job (ml_worker TrainConfig
 * `use_pretrained_encoder`, `pseudo_labels`, `pseudo_label_threshold`) and
 * the texts that say what a pretraining or a job took from unlabeled frames.
 */
import type { PretrainJob, TrainConfig, TrainingJob } from '../../types/api';

export interface UnlabeledChoice {
  /** Start the encoders from the project's latest finished pretraining, if any. */
  pretrained: boolean;
  /** Add the latest model's confident predictions to the training frames. */
  pseudo: boolean;
  /** Minimum instance score of a pseudo-labeled animal, as typed. */
  threshold: string;
}

/** The form's starting point: the preset's values. */
export function unlabeledDefaults(preset: TrainConfig | undefined): UnlabeledChoice {
  return {
    pretrained: (preset?.use_pretrained_encoder ?? 'off') === 'auto',
    pseudo: preset?.pseudo_labels ?? false,
    threshold: String(preset?.pseudo_label_threshold ?? 0.5),
  };
}

/** `advanced` plus the choices that differ from the preset; an error for a bad threshold. */
export function withUnlabeled(
  advanced: Record<string, unknown>,
  preset: TrainConfig | undefined,
  choice: UnlabeledChoice,
): { advanced: Record<string, unknown>; error?: string } {
  const base = unlabeledDefaults(preset);
  const out = { ...advanced };
  if (choice.pretrained !== base.pretrained) out.use_pretrained_encoder = choice.pretrained ? 'auto' : 'off';
  if (choice.pseudo !== base.pseudo) out.pseudo_labels = choice.pseudo;
  if (choice.pseudo) {
    const t = Number(choice.threshold.trim());
    if (choice.threshold.trim() === '' || !Number.isFinite(t) || t < 0 || t > 1) {
      return { advanced: out, error: `pseudo_label_threshold: expected a number from 0 to 1, got "${choice.threshold}"` };
    }
    if (t !== Number(base.threshold)) out.pseudo_label_threshold = t;
  }
  return { advanced: out };
}

/** One line on a pretraining job: what it is doing or what it made. */
export function pretrainSummary(job: PretrainJob): string {
  if (job.status === 'succeeded' && job.result) {
    const { frames, steps, initial_loss: first, final_loss: last } = job.result;
    const loss = first != null && last != null ? `, loss ${first.toFixed(4)} → ${last.toFixed(4)}` : '';
    return `${frames} frames, ${steps} steps${loss}`;
  }
  if (job.status === 'failed') return job.error.split('\n')[0] || 'failed';
  return job.message;
}

/** What a training job took from unlabeled frames, e.g. "encoder from pretraining #3, 12 pseudo-labeled frames". */
export function unlabeledText(job: Pick<TrainingJob, 'unlabeled'>): string {
  const parts: string[] = [];
  const encoder = job.unlabeled?.pretrained_encoder as { job?: number | null } | undefined;
  if (encoder) parts.push(encoder.job != null ? `encoder from pretraining #${encoder.job}` : 'no matching pretraining');
  const pseudo = job.unlabeled?.pseudo_labels as { frames?: number; model_version?: number } | undefined;
  if (pseudo) {
    parts.push(pseudo.frames != null ? `${pseudo.frames} pseudo-labeled frames (model v${pseudo.model_version})` : 'no inference run for pseudo-labels');
  }
  return parts.join(', ');
}
