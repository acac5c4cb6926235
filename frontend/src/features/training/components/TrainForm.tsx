import { useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import type { TrainingJobCreate, TrainingPresets, TrainPreset } from '../../../types/api';
import {
  buildAdvanced,
  DEFAULT_IDENTITY,
  DEFAULT_MODEL_KIND,
  IDENTITY_MODES,
  MODEL_KINDS,
  withIdentity,
  withModelKind,
  type AdvancedEdits,
  type IdentityMode,
  type ModelKind,
} from '../advanced';
import { formatBudget } from '../format';
import { unlabeledDefaults, withUnlabeled, type UnlabeledChoice } from '../unlabeled';
import { AdvancedSettings } from './AdvancedSettings';

export const PRESET_NAMES: readonly TrainPreset[] = ['fast', 'balanced', 'accurate'];

export interface VersionOption {
  id: number;
  number: number;
}

interface Props {
  presets: TrainingPresets | undefined;
  /** Model versions to warm start from, newest first. */
  versions: readonly VersionOption[];
  onStart: (body: TrainingJobCreate) => Promise<unknown>;
  starting: boolean;
  /** Error of the last start (the backend's 400 message). */
  error: unknown;
}

/** Preset choice, model kind, identities, "include unreviewed", advanced overrides, warm start and the Train button. */
export function TrainForm({ presets, versions, onStart, starting, error }: Props) {
  const [preset, setPreset] = useState<TrainPreset>('balanced');
  const [includeUnreviewed, setIncludeUnreviewed] = useState(true);
  const [edits, setEdits] = useState<AdvancedEdits>({});
  const [modelKind, setModelKind] = useState<ModelKind>(DEFAULT_MODEL_KIND);
  const [identity, setIdentity] = useState<IdentityMode>(DEFAULT_IDENTITY);
  const [parent, setParent] = useState('');
  const [localError, setLocalError] = useState<Error | null>(null);
  // null: follow the preset's defaults until the user ticks something
  const [unlabeledEdit, setUnlabeled] = useState<UnlabeledChoice | null>(null);
  const unlabeled = unlabeledEdit ?? unlabeledDefaults(presets?.[preset]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const built = buildAdvanced(presets?.[preset], edits);
    const { errors } = built;
    const withKind = withIdentity(withModelKind(built.advanced, presets?.[preset], modelKind), presets?.[preset], modelKind, identity);
    const { advanced, error: unlabeledError } = withUnlabeled(withKind, presets?.[preset], unlabeled);
    if (unlabeledError) errors.push(unlabeledError);
    if (errors.length) {
      setLocalError(new Error(`Invalid training settings: ${errors.join('; ')}`));
      return;
    }
    setLocalError(null);
    const body: TrainingJobCreate = { preset, include_unreviewed: includeUnreviewed };
    if (Object.keys(advanced).length) body.advanced = advanced;
    if (parent) body.parent_version = Number(parent);
    await onStart(body);
  };

  return (
    <form className="train-form" onSubmit={submit} data-testid="train-form">
      <fieldset className="presets">
        <legend>Preset</legend>
        {PRESET_NAMES.map((name) => (
          <label key={name}>
            <input
              type="radio"
              name="preset"
              value={name}
              checked={preset === name}
              onChange={() => setPreset(name)}
              data-testid={`preset-${name}`}
            />
            {name}
            {presets?.[name] && <span className="muted small"> ({formatBudget(presets[name].max_seconds)})</span>}
          </label>
        ))}
      </fieldset>
      <label>
        Model{' '}
        <select
          name="model_kind"
          value={modelKind}
          onChange={(e) => setModelKind(e.target.value as ModelKind)}
          data-testid="model-kind"
        >
          {MODEL_KINDS.map((k) => (
            <option key={k.kind} value={k.kind} title={k.hint}>
              {k.label}
            </option>
          ))}
        </select>{' '}
        <span className="muted small">{MODEL_KINDS.find((k) => k.kind === modelKind)?.hint}</span>
      </label>
      <label>
        Identities{' '}
        <select
          name="identity"
          value={identity}
          disabled={modelKind !== 'top_down'}
          onChange={(e) => setIdentity(e.target.value as IdentityMode)}
          data-testid="identity-mode"
        >
          {IDENTITY_MODES.map((m) => (
            <option key={m.mode} value={m.mode} title={m.hint}>
              {m.label}
            </option>
          ))}
        </select>{' '}
        <span className="muted small" data-testid="identity-hint">
          {modelKind === 'top_down' ? IDENTITY_MODES.find((m) => m.mode === identity)?.hint : 'top-down models only'}
        </span>
      </label>
      <label>
        <input
          type="checkbox"
          name="include_unreviewed"
          checked={includeUnreviewed}
          onChange={(e) => setIncludeUnreviewed(e.target.checked)}
        />
        include unreviewed labels
      </label>
      {versions.length > 0 && (
        <label>
          Warm start from{' '}
          <select name="parent_version" value={parent} onChange={(e) => setParent(e.target.value)} data-testid="warm-start">
            <option value="">none (train from scratch)</option>
            {versions.map((v) => (
              <option key={v.id} value={v.id}>
                v{v.number}
              </option>
            ))}
          </select>
        </label>
      )}
      <fieldset className="unlabeled-options" data-testid="unlabeled-options">
        <legend>Unlabeled frames</legend>
        <label>
          <input
            type="checkbox"
            name="use_pretrained_encoder"
            checked={unlabeled.pretrained}
            onChange={(e) => setUnlabeled({ ...unlabeled, pretrained: e.target.checked })}
            data-testid="use-pretrained-encoder"
          />
          start from the pretrained encoder <span className="muted small">(the latest finished pretraining, if any)</span>
        </label>
        <label>
          <input
            type="checkbox"
            name="pseudo_labels"
            checked={unlabeled.pseudo}
            onChange={(e) => setUnlabeled({ ...unlabeled, pseudo: e.target.checked })}
            data-testid="pseudo-labels"
          />
          pseudo-labels from the latest model&apos;s confident predictions
        </label>
        {unlabeled.pseudo && (
          <label>
            minimum score{' '}
            <input
              type="text"
              inputMode="decimal"
              name="pseudo_label_threshold"
              value={unlabeled.threshold}
              onChange={(e) => setUnlabeled({ ...unlabeled, threshold: e.target.value })}
              data-testid="pseudo-label-threshold"
            />
          </label>
        )}
      </fieldset>
      <AdvancedSettings preset={presets?.[preset]} edits={edits} onChange={setEdits} />
      <div>
        <button type="submit" disabled={starting} data-testid="train-button">
          {starting ? 'Starting…' : 'Train'}
        </button>
      </div>
      <ErrorMessage error={localError ?? error} testId="train-error" />
    </form>
  );
}
