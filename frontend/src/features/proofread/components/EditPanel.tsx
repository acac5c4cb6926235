/**
 * The edit controls of the proofreading page: swap two tracks from this frame
 * on (or over a range), give the selected instance another track, merge two
 * tracks, split a track at this frame, delete the selected instance, undo.
 * Each builds its request with `edits.ts` and hands it to `onEdit`, which
 * sends it with the tracks version the page shows.
 */
import { useEffect, useState } from 'react';
import type { TrackEditRequest } from '../../../types/api';
import { assignEdit, deleteEdit, mergeEdit, splitEdit, swapEdit, type Built } from '../edits';

interface Props {
  tracks: readonly string[];
  frame: number;
  version: number;
  /** The selected instance (its position in the frame's list) and its track. */
  selected: { index: number; track: string | null } | null;
  /** Tracks to preselect for a swap (those of the spot just visited). */
  swapHint: readonly string[];
  canUndo: boolean;
  busy: boolean;
  onEdit(request: TrackEditRequest, what: string): void;
  onUndo(): void;
  onInvalid(message: string): void;
}

function TrackSelect(props: { value: string; onChange(v: string): void; tracks: readonly string[]; testId: string; label: string }) {
  return (
    <select aria-label={props.label} value={props.value} onChange={(e) => props.onChange(e.target.value)} data-testid={props.testId}>
      <option value="">–</option>
      {props.tracks.map((t) => (
        <option key={t} value={t}>
          {t}
        </option>
      ))}
    </select>
  );
}

export function EditPanel({ tracks, frame, version, selected, swapHint, canUndo, busy, onEdit, onUndo, onInvalid }: Props) {
  const [swapA, setSwapA] = useState(tracks[0] ?? '');
  const [swapB, setSwapB] = useState(tracks[1] ?? '');
  const [from, setFrom] = useState(String(frame));
  const [last, setLast] = useState('');
  const [assignTo, setAssignTo] = useState('');
  const [mergeTrack, setMergeTrack] = useState('');
  const [mergeInto, setMergeInto] = useState('');
  const [splitTrack, setSplitTrack] = useState('');
  const [newName, setNewName] = useState('');

  // The swap starts where the user is, unless they type otherwise after arriving.
  useEffect(() => setFrom(String(frame)), [frame]);
  useEffect(() => {
    if (swapHint.length === 2) {
      setSwapA(swapHint[0]!);
      setSwapB(swapHint[1]!);
    }
  }, [swapHint]);
  // A track that went away (merged, renamed) is no longer offered.
  useEffect(() => {
    if (!tracks.includes(swapA)) setSwapA(tracks[0] ?? '');
    if (!tracks.includes(swapB)) setSwapB(tracks.find((t) => t !== swapA) ?? '');
  }, [tracks, swapA, swapB]);
  useEffect(() => {
    if (selected?.track) setSplitTrack(selected.track);
  }, [selected]);

  const send = (built: Built, what: string) => (built.request ? onEdit(built.request, what) : onInvalid(built.error));

  return (
    <section className="proofread-edits" data-testid="edit-panel">
      <h2>Edit tracks</h2>
      <fieldset disabled={busy}>
        <legend>Swap two tracks</legend>
        <TrackSelect label="First track" value={swapA} onChange={setSwapA} tracks={tracks} testId="swap-a" />
        <span aria-hidden="true"> ⇄ </span>
        <TrackSelect label="Second track" value={swapB} onChange={setSwapB} tracks={tracks} testId="swap-b" />
        <label>
          from frame <input className="frame-input" value={from} onChange={(e) => setFrom(e.target.value)} data-testid="swap-from" />
        </label>
        <label>
          to <input className="frame-input" value={last} placeholder="end" onChange={(e) => setLast(e.target.value)} data-testid="swap-last" />
        </label>
        <button type="button" onClick={() => send(swapEdit(swapA, swapB, from, last, version), `Swapped ${swapA} and ${swapB}`)} data-testid="swap-button">
          Swap
        </button>
      </fieldset>

      <fieldset disabled={busy}>
        <legend data-testid="selected-instance">Selected instance {selected ? `#${selected.index + 1} (${selected.track ?? 'no track'})` : '(pick one on the frame)'}</legend>
        <label>
          give it track{' '}
          <input list="proofread-tracks" value={assignTo} placeholder="track (empty: none)" onChange={(e) => setAssignTo(e.target.value)} data-testid="assign-track" />
        </label>
        <datalist id="proofread-tracks">
          {tracks.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <button type="button" disabled={!selected} onClick={() => send(assignEdit(frame, selected?.index ?? null, assignTo, version), 'Assigned the instance')} data-testid="assign-button">
          Assign
        </button>
        <button type="button" className="danger" disabled={!selected} onClick={() => send(deleteEdit(frame, selected?.index ?? null, version), 'Deleted the instance')} data-testid="delete-button">
          Delete instance
        </button>
      </fieldset>

      <fieldset disabled={busy}>
        <legend>Merge · split</legend>
        <TrackSelect label="Track to merge" value={mergeTrack} onChange={setMergeTrack} tracks={tracks} testId="merge-track" />
        <span> into </span>
        <TrackSelect label="Merge into" value={mergeInto} onChange={setMergeInto} tracks={tracks} testId="merge-into" />
        <button type="button" onClick={() => send(mergeEdit(mergeTrack, mergeInto, version), `Merged ${mergeTrack} into ${mergeInto}`)} data-testid="merge-button">
          Merge
        </button>
        <span className="sep" aria-hidden="true" />
        <TrackSelect label="Track to split" value={splitTrack} onChange={setSplitTrack} tracks={tracks} testId="split-track" />
        <input value={newName} placeholder="new track name (optional)" onChange={(e) => setNewName(e.target.value)} data-testid="split-name" />
        <button type="button" onClick={() => send(splitEdit(splitTrack, frame, newName, version), `Split ${splitTrack} at frame ${frame}`)} data-testid="split-button">
          Split at frame {frame}
        </button>
      </fieldset>

      <button type="button" className="secondary" disabled={busy || !canUndo} onClick={onUndo} data-testid="undo-button" title="Undo your latest edit (Ctrl+Z)">
        Undo my last edit
      </button>
    </section>
  );
}
