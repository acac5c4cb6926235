/**
 * Working on one run as a team: who holds which frames (take, move or release
 * my lock on a range; an edit inside someone else's range is refused by the
 * server, with their name), and accepting a proofread range as labels.
 */
import { useEffect, useState } from 'react';
import type { TrackAcceptResult, TrackLockInfo } from '../../../types/api';
import { frameRange } from '../edits';
import { lockText } from '../navigation';

interface Props {
  locks: readonly TrackLockInfo[];
  me: string | null;
  frame: number;
  lastFrame: number;
  busy: boolean;
  canEdit: boolean;
  accepted: TrackAcceptResult | null;
  onLock(start: number, stop: number): void;
  onRelease(): void;
  onAccept(start: number, stop: number): void;
  onInvalid(message: string): void;
}

/** Frames a new lock or accept covers by default: from here, about a hundred on. */
const DEFAULT_SPAN = 100;

export function TeamPanel({ locks, me, frame, lastFrame, busy, canEdit, accepted, onLock, onRelease, onAccept, onInvalid }: Props) {
  const [first, setFirst] = useState(String(frame));
  const [last, setLast] = useState(String(Math.min(lastFrame, frame + DEFAULT_SPAN - 1)));
  useEffect(() => {
    setFirst(String(frame));
    setLast(String(Math.min(lastFrame, frame + DEFAULT_SPAN - 1)));
  }, [frame, lastFrame]);
  const mine = locks.find((l) => l.user === me) ?? null;

  const withRange = (then: (start: number, stop: number) => void) => () => {
    const range = frameRange(first, last);
    if (typeof range === 'string') onInvalid(range);
    else then(range.start, range.stop);
  };

  return (
    <section className="proofread-team" data-testid="team-panel">
      <h2>Team</h2>
      <ul className="lock-list small" data-testid="locks">
        {locks.length === 0 && <li className="muted">Nobody holds any frames.</li>}
        {locks.map((l) => (
          <li key={l.user} data-testid={`lock-${l.user}`} className={l.user === me ? 'mine' : ''}>
            <span className="lock-icon" aria-hidden="true" /> {lockText(l, me)} <span className="muted">(until {new Date(l.expires).toLocaleTimeString()})</span>
          </li>
        ))}
      </ul>
      {canEdit && (
        <fieldset disabled={busy}>
          <legend>Frames</legend>
          <label>
            first <input className="frame-input" value={first} onChange={(e) => setFirst(e.target.value)} data-testid="range-first" />
          </label>
          <label>
            last <input className="frame-input" value={last} onChange={(e) => setLast(e.target.value)} data-testid="range-last" />
          </label>
          <button type="button" className="secondary" onClick={withRange(onLock)} data-testid="lock-button" title="Others cannot edit these frames while you hold them">
            {mine ? 'Move my lock here' : 'Lock these frames'}
          </button>
          {mine && (
            <button type="button" className="secondary" onClick={onRelease} data-testid="release-button">
              Release my lock
            </button>
          )}
          <button type="button" onClick={withRange(onAccept)} data-testid="accept-button" title="Add these frames' instances to the labels, with their tracks, to train on">
            Accept as labels
          </button>
        </fieldset>
      )}
      {accepted && (
        <p className="notice small" data-testid="accept-result">
          {accepted.accepted.length} frame(s) added to the labels
          {accepted.skipped.length > 0 && `; ${accepted.skipped.length} skipped (${accepted.skipped[0]!.reason}${accepted.skipped.length > 1 ? ', …' : ''})`}.
        </p>
      )}
    </section>
  );
}
