import { ACTIONS, VIEW_GESTURES } from '../actions/register';

/** Shortcut list, generated from the action registry. */
export function HelpPanel({ onClose }: { onClose(): void }) {
  const rows = [...ACTIONS.map((a) => ({ key: a.name, label: a.label, shortcuts: a.shortcuts })), ...VIEW_GESTURES.map((g) => ({ key: g.label, ...g }))];
  return (
    <aside className="card help-panel" data-testid="help-panel">
      <div className="panel-title">
        <h2>Shortcuts</h2>
        <button type="button" className="secondary" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="small" data-testid="keyboard-help">
        <strong>Keyboard only:</strong> press <kbd>K</kbd> for the crosshair, move it with the arrows (Shift: 1 px),{' '}
        <kbd>Enter</kbd> places the active node and moves to the next one, <kbd>Tab</kbd> picks another node,{' '}
        <kbd>V</kbd> sets occluded, <kbd>Ctrl+S</kbd> saves, <kbd>Ctrl+Enter</kbd> submits, <kbd>N</kbd> opens your next frame.
      </p>
      <table>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              <td>
                {r.shortcuts.map((s) => (
                  <kbd key={s}>{s}</kbd>
                ))}
              </td>
              <td>{r.label}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </aside>
  );
}
