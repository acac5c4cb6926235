import type { TrainConfig } from '../../../types/api';
import { ADVANCED_FIELDS, fieldValue, type AdvancedEdits } from '../advanced';

interface Props {
  preset: TrainConfig | undefined;
  edits: AdvancedEdits;
  onChange: (edits: AdvancedEdits) => void;
}

/** Disclosure with a few common config fields; untouched fields follow the preset. */
export function AdvancedSettings({ preset, edits, onChange }: Props) {
  const edited = Object.keys(edits).length;
  return (
    <details className="advanced" data-testid="advanced-settings">
      <summary>Advanced settings{edited > 0 && <span className="muted small"> ({edited} changed)</span>}</summary>
      <div className="advanced-fields">
        {ADVANCED_FIELDS.map((field) => {
          const value = fieldValue(field, preset, edits);
          return (
            <label key={field.name}>
              {field.label}
              {field.kind === 'bool' ? (
                <input
                  type="checkbox"
                  name={field.name}
                  checked={value === true}
                  onChange={(e) => onChange({ ...edits, [field.name]: e.target.checked })}
                />
              ) : (
                <input
                  type="text"
                  inputMode="decimal"
                  name={field.name}
                  value={String(value)}
                  placeholder={field.hint}
                  onChange={(e) => onChange({ ...edits, [field.name]: e.target.value })}
                />
              )}
            </label>
          );
        })}
        {edited > 0 && (
          <button type="button" className="secondary" onClick={() => onChange({})}>
            Reset to preset
          </button>
        )}
      </div>
    </details>
  );
}
