import { SAVE_STATUS_TEXT, type SyncSnapshot } from '../sync';

export function SaveBar({ sync, editable, onSave }: { sync: SyncSnapshot; editable: boolean; onSave(): void }) {
  return (
    <div className="save-bar">
      <span className={`save-status save-${sync.status}`} data-testid="save-status" aria-live="polite">
        {SAVE_STATUS_TEXT[sync.status]}
      </span>
      <button type="button" data-testid="save-button" onClick={onSave} disabled={!editable}>
        Save
      </button>
      {sync.server && (
        <span className="muted small" data-testid="frame-version">
          v{sync.server.version} · {sync.server.status.replace('_', ' ')}
          {sync.server.updated_by ? ` · ${sync.server.updated_by.username}` : ''}
        </span>
      )}
      {sync.error && (
        <span className="error small" data-testid="save-error">
          {sync.error}
        </span>
      )}
    </div>
  );
}
