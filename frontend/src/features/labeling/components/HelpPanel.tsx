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
