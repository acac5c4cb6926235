import type { Action } from '../actions/types';
import type { EditorState } from '../state';

/** Buttons for payload-less actions, generated from the action objects. */
export function Toolbar({ actions, state, run }: { actions: readonly Action[]; state: EditorState; run(a: Action): void }) {
  return (
    <div className="toolbar" role="toolbar">
      {actions.map((a) => (
        <button
          key={a.name}
          type="button"
          className={a.checked?.(state) ? 'secondary checked' : 'secondary'}
          data-testid={`action-${a.name}`}
          title={`${a.label} (${a.shortcuts.join(' / ')})`}
          disabled={a.predicate ? !a.predicate(state, undefined) : false}
          onClick={(e) => {
            run(a);
            e.currentTarget.blur();
          }}
        >
          {a.short ?? a.label}
        </button>
      ))}
    </div>
  );
}
