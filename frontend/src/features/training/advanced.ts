/**
 * The "Advanced settings" fields of the train form. The form keeps only the
 * fields the user edited (as typed); `buildAdvanced` turns them into the
 * `advanced` overrides, keeping only values that differ from the preset.
 */
import type { TrainConfig } from '../../types/api';

export type AdvancedKind = 'seconds' | 'int' | 'float' | 'bool';

export interface AdvancedField {
  name: 'max_seconds' | 'batch_size' | 'learning_rate' | 'seed' | 'aug_flip' | 'identity_loss_weight';
  label: string;
  kind: AdvancedKind;
  hint?: string;
}

export const ADVANCED_FIELDS: readonly AdvancedField[] = [
  { name: 'max_seconds', label: 'Time budget (s)', kind: 'seconds', hint: 'empty = no time limit' },
  { name: 'batch_size', label: 'Batch size', kind: 'int' },
  { name: 'learning_rate', label: 'Learning rate', kind: 'float' },
  { name: 'seed', label: 'Random seed', kind: 'int' },
  { name: 'aug_flip', label: 'Flip augmentation', kind: 'bool' },
  { name: 'identity_loss_weight', label: 'Identity loss weight', kind: 'float', hint: 'weight of the identity head (0.01–100)' },
];

/** What the user typed / ticked, by field name; absent = follows the preset. */
export type AdvancedEdits = Partial<Record<AdvancedField['name'], string | boolean>>;

/** The value a field shows: the edit if any, else the preset's value. */
export function fieldValue(field: AdvancedField, preset: TrainConfig | undefined, edits: AdvancedEdits): string | boolean {
  const edit = edits[field.name];
  if (edit !== undefined) return edit;
  const base = preset?.[field.name];
  if (field.kind === 'bool') return base === true;
  return base == null ? '' : String(base);
}

function parseField(field: AdvancedField, raw: string | boolean): { value?: unknown; error?: string } {
  if (field.kind === 'bool') return { value: raw === true };
  const text = String(raw).trim();
  if (text === '') return field.kind === 'seconds' ? { value: null } : { error: `${field.name}: required` };
  const n = Number(text);
  if (!Number.isFinite(n)) return { error: `${field.name}: expected a number, got "${text}"` };
  if (field.kind === 'int' && !Number.isInteger(n)) return { error: `${field.name}: expected an integer, got "${text}"` };
  return { value: n };
}

/**
 * The `advanced` object to send: only edited fields whose parsed value differs
 * from the preset. Parse errors are returned instead of guessing.
 */
export function buildAdvanced(
  preset: TrainConfig | undefined,
  edits: AdvancedEdits,
): { advanced: Record<string, unknown>; errors: string[] } {
  const advanced: Record<string, unknown> = {};
  const errors: string[] = [];
  for (const field of ADVANCED_FIELDS) {
    const raw = edits[field.name];
    if (raw === undefined) continue;
    const { value, error } = parseField(field, raw);
    if (error) errors.push(error);
    else if (value !== (preset?.[field.name] ?? (field.kind === 'seconds' ? null : undefined))) advanced[field.name] = value;
  }
  return { advanced, errors };
}

export type ModelKind = NonNullable<TrainConfig['model_kind']>;

/**
 * The model kinds the form offers, default first. Top-down (centroid, then a
 * crop per animal) is the default: it is the one the single-animal projects
 * and small label sets train well with; bottom-up (part affinity fields) is
 * the choice for many animals that touch or overlap.
 */
export const MODEL_KINDS: readonly { kind: ModelKind; label: string; hint: string }[] = [
  { kind: 'top_down', label: 'Top-down', hint: 'find each animal, then its pose in a crop (default; best for one or a few animals)' },
  { kind: 'bottom_up', label: 'Bottom-up', hint: 'all body parts at once, grouped into animals (crowded or touching animals)' },
];

export const DEFAULT_MODEL_KIND: ModelKind = 'top_down';

/** `advanced` with `model_kind` when it differs from the preset's (presets default to top-down). */
export function withModelKind(advanced: Record<string, unknown>, preset: TrainConfig | undefined, kind: ModelKind): Record<string, unknown> {
  return kind === (preset?.model_kind ?? DEFAULT_MODEL_KIND) ? advanced : { ...advanced, model_kind: kind };
}

export type IdentityMode = NonNullable<TrainConfig['identity']>;

/**
 * The "Identities" choices (ml_worker TrainConfig.identity): whether a top-down
 * model also learns which named animal it sees, from the labels' track names.
 */
export const IDENTITY_MODES: readonly { mode: IdentityMode; label: string; hint: string }[] = [
  { mode: 'auto', label: 'Auto', hint: 'use the track names as identities when they are consistent across frames (default)' },
  { mode: 'on', label: 'On', hint: 'learn identities whenever the labels name two animals or more' },
  { mode: 'off', label: 'Off', hint: 'no identities: tracks are matched on position and pose only' },
];

export const DEFAULT_IDENTITY: IdentityMode = 'auto';

/**
 * `advanced` with `identity` when it differs from the preset's. Only top-down
 * models have an identity head, so a bottom-up job never sends it.
 */
export function withIdentity(
  advanced: Record<string, unknown>,
  preset: TrainConfig | undefined,
  kind: ModelKind,
  mode: IdentityMode,
): Record<string, unknown> {
  if (kind !== 'top_down' || mode === (preset?.identity ?? DEFAULT_IDENTITY)) return advanced;
  return { ...advanced, identity: mode };
}
