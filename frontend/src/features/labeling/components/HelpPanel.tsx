import { ACTIONS, VIEW_GESTURES } from '../actions/register';

/**
 * Shortcut list, generated from the action registry, as a modal overlay: fixed
 * over the workspace (not below a long side panel, off-screen), closed by Esc
 * (the closeHelp action), the Close button or a click on the backdrop.
 */
export function HelpPanel({ onClose }: { onClose(): void }) {
  const rows = [...ACTIONS.map((a) => ({ key: a.name, label: a.label, shortcuts: a.shortcuts })), ...VIEW_GESTURES.map((g) => ({ key: g.label, ...g }))];
  return (
    <div className="modal-backdrop" data-testid="help-backdrop" onClick={onClose}>
      <aside
        className="card help-panel modal"
        data-testid="help-panel"
        role="dialog"
        aria-modal="true"
        aria-labelledby="help-title"
        onClick={(e) => e.stopPropagation()}
      >
        <div className="panel-title">
          <h2 id="help-title">Shortcuts</h2>
          <button type="button" className="secondary" data-testid="help-close" onClick={onClose} autoFocus>
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
    </div>
  );
}
