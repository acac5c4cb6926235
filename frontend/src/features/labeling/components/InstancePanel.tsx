/**
 * Side panel of a multi-animal frame: one row per instance (click to make it
 * active, its track from the project's list, delete), and the buttons that add
 * one. Everything it does goes through editor actions.
 */
import type { Action } from '../actions/types';
import { addInstance, deleteInstance, selectInstance, setTrack, stampInstance } from '../actions/register';
import { instanceStyle } from '../instanceStyle';
import { canAddInstance, currentDoc, type EditorState } from '../state';

export interface InstancePanelProps {
  editor: EditorState;
  nodeCount: number;
  dispatch<P>(action: Action<P>, payload: P): void;
}

export function InstancePanel({ editor, nodeCount, dispatch }: InstancePanelProps) {
  const instances = currentDoc(editor).instances;
  const cap = editor.maxInstances;
  const run = (e: React.MouseEvent<HTMLButtonElement>, action: Action) => {
    dispatch(action, undefined);
    e.currentTarget.blur(); // keep Tab / Enter for the canvas shortcuts
  };
  return (
    <section className="instance-panel" data-testid="instance-panel">
      <h2>
        Instances{' '}
        <span className="muted small" data-testid="instance-count">
          {instances.length}
          {cap === null ? '' : ` / ${cap}`}
        </span>
      </h2>
      <ol className="instance-list">
        {instances.map((inst, index) => {
          const style = instanceStyle(editor, inst, index);
          const active = index === editor.activeInstance;
          const placed = Object.keys(inst.points).length;
          return (
            <li key={index} className={active ? 'instance-row active' : 'instance-row'} data-testid={`instance-${index}`} data-active={active}>
              <button
                type="button"
                className="instance-pick"
                data-testid={`instance-pick-${index}`}
                onClick={(e) => {
                  dispatch(selectInstance, { index });
                  e.currentTarget.blur();
                }}
              >
                <span className="swatch" style={{ background: style.color }} />
                <span>{index < 9 ? `${index + 1}. ` : ''}{style.label}</span>
                <span className="muted small">
                  {placed}/{nodeCount}
                </span>
              </button>
              <select
                aria-label={`Track of instance ${index + 1}`}
                data-testid={`instance-track-${index}`}
                value={inst.track ?? ''}
                disabled={!editor.editable}
                onChange={(e) => {
                  dispatch(setTrack, { index, track: e.target.value === '' ? null : e.target.value });
                  e.currentTarget.blur();
                }}
              >
                <option value="">No track</option>
                {editor.tracks.map((t) => (
                  <option key={t.name} value={t.name}>
                    {t.name}
                  </option>
                ))}
                {inst.track !== null && !editor.tracks.some((t) => t.name === inst.track) && (
                  <option value={inst.track}>{inst.track} (not in the project’s list)</option>
                )}
              </select>
            </li>
          );
        })}
      </ol>
      {instances.length === 0 && <p className="muted small">No instance yet: click the image to place the first one’s nodes.</p>}
      <div className="instance-actions">
        {[addInstance, stampInstance].map((action) => (
          <button
            key={action.name}
            type="button"
            className="secondary"
            data-testid={`action-${action.name}`}
            title={`${action.label} (${action.shortcuts.join(', ')})`}
            disabled={!editor.editable || !canAddInstance(editor)}
            onClick={(e) => run(e, action)}
          >
            {action.short ?? action.label}
          </button>
        ))}
        {instances[editor.activeInstance] && (
          <button
            type="button"
            className="secondary"
            data-testid="delete-instance"
            title={`${deleteInstance.label} (${deleteInstance.shortcuts.join(', ')})`}
            disabled={!editor.editable}
            onClick={(e) => run(e, deleteInstance)}
          >
            Delete instance {editor.activeInstance + 1}
          </button>
        )}
      </div>
      <p className="muted small">Tab / 1–9 pick an instance · Shift+drag a point moves the whole instance.</p>
    </section>
  );
}
