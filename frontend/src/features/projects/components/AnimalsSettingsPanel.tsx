/**
 * Owner setting for multi-animal labeling: how many animals a frame may hold
 * (a number, or "unknown" for no cap) and the ordered track list (identity
 * name + colour) annotators pick from. One animal keeps the single-animal
 * workspace. Saved in one PATCH; the server checks labels against it.
 */
import { useState } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import type { Project, Track } from '../../../types/api';
import { updateProject } from '../api/projects';

const DEFAULT_COLORS = ['#ff7f0e', '#1f77b4', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#bcbd22', '#17becf', '#7f7f7f'];

/** The form's tracks as the PATCH body: trimmed names, empty rows left out; a kept id makes a rename. */
export function tracksToSave(rows: readonly Track[]): Track[] {
  return rows.map((t) => ({ id: t.id, name: t.name.trim(), color: t.color })).filter((t) => t.name !== '');
}

export function AnimalsSettingsPanel(props: { project: Project; onChanged?(project: Project): void }) {
  const [unknown, setUnknown] = useState(props.project.max_instances === null);
  const [count, setCount] = useState(props.project.max_instances ?? 2);
  const [tracks, setTracks] = useState<Track[]>(props.project.tracks);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);

  const edit = (next: Track[]) => {
    setTracks(next);
    setSaved(false);
  };
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const project = await updateProject(props.project.id, { max_instances: unknown ? null : count, tracks: tracksToSave(tracks) });
      setTracks(project.tracks);
      setSaved(true);
      props.onChanged?.(project);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" data-testid="animals-settings">
      <h2>Animals and tracks</h2>
      <label>
        Animals per frame{' '}
        <input
          type="number"
          min={1}
          max={64}
          data-testid="max-instances"
          value={count}
          disabled={unknown || busy}
          onChange={(e) => {
            setCount(Math.max(1, Number(e.target.value) || 1));
            setSaved(false);
          }}
        />
      </label>{' '}
      <label>
        <input
          type="checkbox"
          data-testid="max-instances-unknown"
          checked={unknown}
          disabled={busy}
          onChange={(e) => {
            setUnknown(e.target.checked);
            setSaved(false);
          }}
        />{' '}
        unknown
      </label>
      <p className="muted small">One animal keeps the single-animal workspace; more shows the instance tools while labeling.</p>
      <h3>Tracks</h3>
      <ol className="track-list" data-testid="track-list">
        {tracks.map((t, i) => (
          <li key={i}>
            <input
              aria-label={`Track ${i + 1} name`}
              data-testid={`track-name-${i}`}
              value={t.name}
              maxLength={100}
              onChange={(e) => edit(tracks.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))}
            />
            <input
              type="color"
              aria-label={`Track ${i + 1} colour`}
              value={t.color}
              onChange={(e) => edit(tracks.map((x, j) => (j === i ? { ...x, color: e.target.value } : x)))}
            />
            <button type="button" className="secondary small" onClick={() => edit(tracks.filter((_, j) => j !== i))}>
              Remove
            </button>
          </li>
        ))}
      </ol>
      <button
        type="button"
        className="secondary"
        data-testid="add-track"
        onClick={() => edit([...tracks, { id: null, name: '', color: DEFAULT_COLORS[tracks.length % DEFAULT_COLORS.length]! }])}
      >
        Add track
      </button>{' '}
      <button type="button" data-testid="save-animals" disabled={busy} onClick={() => void save()}>
        {busy ? 'Saving…' : 'Save'}
      </button>
      {saved && <span className="muted small"> Saved.</span>}
      <p className="muted small">Renaming a track renames it on every frame labeled with it; a track in use cannot be removed.</p>
      <ErrorMessage error={error} />
    </section>
  );
}
