/** Active-learning settings: strategy weights, suggestions per run, minimum gap, how a batch
 * is spread. Reviewers and owners edit. */
import { useEffect, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { useAsync } from '../../../lib/useAsync';
import type { ActiveLearningSettings, ALStrategy } from '../../../types/api';
import { getALSettings, putALSettings } from '../api/suggestions';
import { SELECTIONS, STRATEGIES, STRATEGY_HELP, validateSettings, weightShares } from '../logic';

type Draft = Omit<ActiveLearningSettings, 'updated_at'>;

export function ALSettingsPanel({ projectId, canEdit }: { projectId: number; canEdit: boolean }) {
  const loaded = useAsync((signal) => getALSettings(projectId, signal), [projectId]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => {
    if (loaded.data) {
      const { weights, n_suggestions, min_gap, selection } = loaded.data;
      setDraft({ weights: { ...weights }, n_suggestions, min_gap, selection });
    }
  }, [loaded.data]);

  if (loaded.error) return <ErrorMessage error={loaded.error} testId="al-settings-error" />;
  if (!draft) return null;
  const shares = weightShares(draft.weights);
  const setWeight = (k: ALStrategy, v: number) => setDraft({ ...draft, weights: { ...draft.weights, [k]: v } });

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setMessage(null);
    const invalid = validateSettings(draft);
    if (invalid) {
      setError(new Error(invalid));
      return;
    }
    setSaving(true);
    setError(null);
    try {
      loaded.setData(await putALSettings(projectId, draft));
      setMessage('Saved. New runs rank frames with these settings.');
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <details className="card al-settings" data-testid="al-settings">
      <summary>
        <strong>Active-learning settings</strong>{' '}
        <span className="muted small">
          {draft.n_suggestions} per run, ≥ {draft.min_gap} frames apart
        </span>
      </summary>
      <form onSubmit={save}>
        <fieldset disabled={!canEdit || saving}>
          {STRATEGIES.map((k) => (
            <label key={k} className="al-weight">
              <span>
                {k} <span className="muted small">({STRATEGY_HELP[k]})</span>
              </span>
              <input
                type="range"
                min={0}
                max={3}
                step={0.1}
                value={draft.weights[k] ?? 0}
                data-testid={`al-weight-${k}`}
                onChange={(e) => setWeight(k, Number(e.target.value))}
              />
              <span className="al-weight-value">
                {(draft.weights[k] ?? 0).toFixed(1)} <span className="muted small">({shares[k]}%)</span>
              </span>
            </label>
          ))}
          <label>
            Suggestions per run{' '}
            <input
              type="number"
              min={0}
              max={500}
              className="narrow"
              value={draft.n_suggestions}
              data-testid="al-n"
              onChange={(e) => setDraft({ ...draft, n_suggestions: Number(e.target.value) })}
            />
          </label>{' '}
          <label>
            Minimum gap{' '}
            <input
              type="number"
              min={0}
              max={10000}
              className="narrow"
              value={draft.min_gap}
              data-testid="al-min-gap"
              onChange={(e) => setDraft({ ...draft, min_gap: Number(e.target.value) })}
            />{' '}
            frames
          </label>{' '}
          <label>
            Spread a batch{' '}
            <select
              value={draft.selection}
              data-testid="al-selection"
              onChange={(e) => setDraft({ ...draft, selection: e.target.value as Draft['selection'] })}
            >
              {SELECTIONS.map(([value, text]) => (
                <option key={value} value={value}>
                  {text}
                </option>
              ))}
            </select>
          </label>{' '}
          {canEdit && (
            <button type="submit" data-testid="al-save">
              {saving ? 'Saving…' : 'Save settings'}
            </button>
          )}
        </fieldset>
        {!canEdit && <p className="muted small">Only reviewers and owners change these settings.</p>}
        {message && (
          <p className="small" role="status" data-testid="al-saved">
            {message}
          </p>
        )}
        <ErrorMessage error={error} testId="al-save-error" />
      </form>
    </details>
  );
}
