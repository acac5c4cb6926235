/**
 * Proofreading a finished run's tracks (issue #15): the frame with its
 * predicted instances in their tracks' colours, the track timeline under it,
 * the suspicious spots to step through, and the edits, locks and accept
 * controls. The frame view is passed in by the route (features do not import
 * each other).
 *
 * Flow: the timeline (`GET tracks/`) carries the tracks `version`; every edit
 * sends it, and after any answer the timeline and the frame's predictions are
 * read again. A 409 (someone changed the same frames, or holds them) reloads
 * and says so; other refusals show the server's message as it is.
 *
 * An instance is selected by a click on the frame (the nearest one to the
 * click) or on its button under the frame; the frame draws it with a halo.
 *
 * Keys (outside inputs): N / Shift+N next / previous suspicious spot,
 * ← / → previous / next frame, Ctrl+Z undo my last edit.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useSearchParams } from 'react-router-dom';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { Loading } from '../../../components/Loading';
import { ApiError, errorMessage } from '../../../lib/api';
import { useAsync } from '../../../lib/useAsync';
import type { InferenceRun, Instance, Track, TrackAcceptResult, TrackEditRequest } from '../../../types/api';
import { acceptTracks, getPredictions, getTimeline, postEdit, releaseLock, takeLock, undoEdit } from '../api/proofread';
import { refusalText } from '../edits';
import { chunkOf, frameInstances } from '../frames';
import { keyCommand, lockAt, lockText, nextSpot, previousSpot, spotsAt, spotText, stepFrame } from '../navigation';
import { trackColors } from '../timeline';
import { EditHistory } from './EditHistory';
import { EditPanel } from './EditPanel';
import { TeamPanel } from './TeamPanel';
import { TrackTimeline } from './TrackTimeline';
import '../proofread.css';

export interface ProofreadFrameProps {
  videoId: number;
  frameIndex: number;
  instances: readonly Instance[];
  /** Every track of the run with its colour (the project's where it names the track). */
  tracks: readonly Track[];
  size: { width: number; height: number };
  /** Index in `instances` of the selected instance (drawn with a halo); null: none. */
  selected: number | null;
  /** A click on the frame picks the instance nearest to it (null: none within reach). */
  onPickInstance(index: number | null): void;
}

interface Props {
  run: InferenceRun;
  projectTracks: readonly Track[];
  videoSize: { width: number; height: number };
  me: string | null;
  /** Annotators and up edit; viewers only look. */
  canEdit: boolean;
  renderFrame(p: ProofreadFrameProps): ReactNode;
}

type Notice = { kind: 'ok' | 'error'; text: string } | null;

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

export function ProofreadPage({ run, projectTracks, videoSize, me, canEdit, renderFrame }: Props) {
  const timeline = useAsync((signal) => getTimeline(run.id, signal), [run.id]);
  const [params, setParams] = useSearchParams();
  const data = timeline.data;
  const frames = data?.frames ?? [0, 0];
  const frame = stepFrame(Number(params.get('frame') ?? frames[0] ?? 0) || 0, 0, frames);
  const version = data?.version ?? 0;
  const [chunkStart, chunkStop] = chunkOf(frame);
  const predictions = useAsync((signal) => getPredictions(run.id, chunkStart, chunkStop, signal), [run.id, chunkStart, version]);
  const [selected, setSelected] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);
  const [accepted, setAccepted] = useState<TrackAcceptResult | null>(null);

  const goTo = useCallback(
    (f: number) => {
      setParams((p) => {
        const next = new URLSearchParams(p);
        next.set('frame', String(f));
        return next;
      }, { replace: true });
      setSelected(null);
    },
    [setParams],
  );

  const colors = useMemo(() => trackColors(data?.tracks ?? [], projectTracks), [data?.tracks, projectTracks]);
  const trackList = useMemo(() => [...colors].map(([name, color]): Track => ({ id: null, name, color })), [colors]);
  const trackNames = useMemo(() => (data?.tracks ?? []).map((t) => t.track), [data?.tracks]);
  const spots = data?.suspicious ?? [];
  const here = spotsAt(spots, frame);
  // A spot between two tracks preselects them for a swap; the key keeps the hint stable between renders.
  const hintKey = here.find((s) => s.tracks.length === 2)?.tracks.join('\u0000') ?? '';
  const swapHint = useMemo(() => (hintKey ? hintKey.split('\u0000') : []), [hintKey]);
  const instances = useMemo(
    () => (predictions.data ? frameInstances(predictions.data, frame) : []),
    [predictions.data, frame],
  );
  const selectedInstance = selected === null ? null : instances[selected] ?? null;
  // A stable list for the frame view, so a new selection does not redraw the poses from scratch.
  const frameShown = useMemo(() => instances.map((i) => i.instance), [instances]);
  const lockHere = data ? lockAt(data.locks, frame) : null;

  /** Run one change against the server, then read the tracks again whatever the answer. */
  const act = useCallback(
    async (what: string, call: () => Promise<unknown>) => {
      setBusy(true);
      setNotice(null);
      try {
        await call();
        setNotice({ kind: 'ok', text: what });
      } catch (err) {
        const status = err instanceof ApiError ? err.status : 0;
        const current = err instanceof ApiError && typeof err.extra.version === 'number' ? err.extra.version : null;
        setNotice({ kind: 'error', text: refusalText(status, errorMessage(err), current) });
      } finally {
        setBusy(false);
        timeline.reload();
      }
    },
    [timeline],
  );

  const edit = (request: TrackEditRequest, what: string) =>
    void act(`${what} (frames from ${request.start ?? request.frame ?? frame}).`, async () => {
      await postEdit(run.id, request);
      setSelected(null);
    });
  const undo = useCallback(() => void act('Undid your last edit.', () => undoEdit(run.id)), [act, run.id]);

  const prev = useRef({ frame, undo, goTo, spots, frames });
  prev.current = { frame, undo, goTo, spots, frames };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target)) return;
      const command = keyCommand(e);
      if (!command) return;
      const { frame: f, spots: s, frames: range, goTo: go } = prev.current;
      e.preventDefault();
      if (command === 'undo') {
        if (canEdit) prev.current.undo();
      } else if (command === 'next-frame' || command === 'previous-frame') {
        go(stepFrame(f, command === 'next-frame' ? 1 : -1, range));
      } else {
        const spot = command === 'next-spot' ? nextSpot(s, f) : previousSpot(s, f);
        if (spot) go(spot.frame);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [canEdit]);

  if (timeline.error && !data) return <ErrorMessage error={timeline.error} />;
  if (!data) return <Loading />;
  if (data.tracks.length === 0) {
    return <p className="notice" data-testid="no-tracks">This run has no tracks to proofread: run it (or re-track it) with tracking on.</p>;
  }
  const next = nextSpot(spots, frame);
  const previous = previousSpot(spots, frame);

  return (
    <div className="proofread" data-testid="proofread-page" data-version={version}>
      <div className="proofread-toolbar">
        <button type="button" className="secondary" onClick={() => goTo(stepFrame(frame, -1, frames))} aria-label="Previous frame">
          ←
        </button>
        <span data-testid="current-frame">
          Frame <strong>{frame}</strong> / {frames[1]! - 1}
        </span>
        <button type="button" className="secondary" onClick={() => goTo(stepFrame(frame, 1, frames))} aria-label="Next frame">
          →
        </button>
        <span className="sep" aria-hidden="true" />
        <button type="button" className="secondary" disabled={!previous} onClick={() => previous && goTo(previous.frame)} data-testid="previous-spot" title="Previous suspicious spot (Shift+N)">
          ⟨ Previous suspicious
        </button>
        <button type="button" className="secondary" disabled={!next} onClick={() => next && goTo(next.frame)} data-testid="next-spot" title="Next suspicious spot (N)">
          Next suspicious ⟩
        </button>
        <span className="muted small">
          {data.suspicious_total} spot(s) to check · tracks version <span data-testid="tracks-version">{version}</span>
        </span>
      </div>
      {here.length > 0 && (
        <p className="spot-here small" data-testid="spot-here">
          ⚑ {here.map(spotText).join(' · ')}
        </p>
      )}
      {lockHere && (
        <p className={`small ${lockHere.user === me ? 'muted' : 'notice'}`} data-testid="lock-here">
          <span className={`lock-icon${lockHere.user === me ? ' mine' : ''}`} aria-hidden="true" /> Held by {lockText(lockHere, me)}
        </p>
      )}

      <div className="proofread-main">
        <div className="proofread-frame">
          {renderFrame({
            videoId: run.video,
            frameIndex: frame,
            instances: frameShown,
            tracks: trackList,
            size: videoSize,
            selected: selectedInstance ? selectedInstance.index : null,
            onPickInstance: setSelected,
          })}
          <p className="muted small label-hint">Click an animal on the frame (or its button below) to select it.</p>
          <ul className="proofread-instances" data-testid="instances">
            {instances.length === 0 && <li className="muted small">No animal predicted on this frame.</li>}
            {instances.map((inst) => (
              <li key={inst.index}>
                <button
                  type="button"
                  className={`secondary${selected === inst.index ? ' checked' : ''}`}
                  aria-pressed={selected === inst.index}
                  onClick={() => setSelected(selected === inst.index ? null : inst.index)}
                  data-testid={`instance-${inst.index}`}
                  data-track={inst.track ?? ''}
                  data-x={inst.instance.points[0]?.x ?? ''}
                >
                  <span className="swatch" style={{ background: (inst.track && colors.get(inst.track)) || '#e0e0e0' }} aria-hidden="true" />
                  {inst.track ?? 'no track'}
                  {inst.score !== null && <span className="muted small"> {inst.score.toFixed(2)}</span>}
                </button>
              </li>
            ))}
          </ul>
        </div>
        <div className="proofread-side">
          {notice && (
            <p className={notice.kind === 'error' ? 'error' : 'notice small'} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid="proofread-message">
              {notice.text}
            </p>
          )}
          {canEdit ? (
            <EditPanel
              tracks={trackNames}
              frame={frame}
              version={version}
              selected={selectedInstance ? { index: selectedInstance.index, track: selectedInstance.track } : null}
              swapHint={swapHint}
              canUndo={data.can_undo}
              busy={busy}
              onEdit={edit}
              onUndo={undo}
              onInvalid={(text) => setNotice({ kind: 'error', text })}
            />
          ) : (
            <p className="muted small">Viewers see the tracks; annotators and up edit them.</p>
          )}
          <TeamPanel
            locks={data.locks}
            me={me}
            frame={frame}
            lastFrame={frames[1]! - 1}
            busy={busy}
            canEdit={canEdit}
            accepted={accepted}
            onLock={(start, stop) => void act(`You hold frames ${start}–${stop - 1}.`, () => takeLock(run.id, start, stop))}
            onRelease={() => void act('Lock released.', () => releaseLock(run.id))}
            onAccept={(start, stop) =>
              void act(`Accepted frames ${start}–${stop - 1} as labels.`, async () => setAccepted(await acceptTracks(run.id, { start, stop })))
            }
            onInvalid={(text) => setNotice({ kind: 'error', text })}
          />
          <EditHistory runId={run.id} version={version} me={me} onFrame={goTo} />
        </div>
      </div>

      <TrackTimeline rows={data.tracks} frames={frames} colors={colors} spots={spots} locks={data.locks} me={me} frame={frame} onFrame={goTo} />
      <p className="muted small timeline-legend">
        Solid: track seen · hatched: not seen · pale: low confidence (&lt; {data.low_score}) · top ticks: suspicious spots · bottom band: locked frames ·
        keys N / Shift+N, ← / →, Ctrl+Z
      </p>
      {predictions.error ? <ErrorMessage error={predictions.error} testId="frame-error" /> : null}
    </div>
  );
}
