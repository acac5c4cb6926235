/** Team-labeling pieces of the workspace: lock banner, review comment, presence, my frames, history. */
import { useMemo } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { useAsync } from '../../../lib/useAsync';
import type { FrameLock, FrameSummary, ReviewComment, Skeleton } from '../../../types/api';
import { getFrameHistory } from '../api/team';
import { historyLines } from '../historyDiff';
import type { LockSnapshot } from '../lock';

export function LockBanner(props: { lock: LockSnapshot; overridden: boolean; canOverride: boolean; onOverride(): void }) {
  const { lock } = props;
  if (lock.status !== 'locked') return null;
  const who = lock.holder?.username ?? 'someone';
  return (
    <div className="notice lock-banner" data-testid="locked-banner" role="status">
      <strong>Locked by {who}</strong>
      {props.overridden ? (
        <span> – you are editing anyway; a save that crosses theirs opens the conflict view, nothing is lost.</span>
      ) : (
        <span> – {who} is labeling this frame right now. Read-only until they leave (checked every few seconds).</span>
      )}
      {props.canOverride && !props.overridden && (
        <button type="button" className="secondary" data-testid="edit-anyway" onClick={props.onOverride}>
          Edit anyway
        </button>
      )}
    </div>
  );
}

export function ReviewCommentBanner({ comment, status, skeleton }: { comment: ReviewComment; status: string; skeleton: Skeleton }) {
  const node = comment.node === null ? null : skeleton.nodes.find((n) => n.id === comment.node);
  const rejected = comment.decision === 'reject';
  return (
    <div
      className={rejected ? 'review-comment rejected' : 'review-comment'}
      data-testid="review-comment"
      data-status={status}
      role={rejected ? 'alert' : undefined}
    >
      <strong>
        {rejected ? 'Rejected' : 'Approved'} by {comment.author?.username ?? 'a reviewer'}
        {node ? ` · on ${node.name}` : ''}
        {rejected && comment.resolved ? ' (resubmitted)' : ''}
      </strong>
      {comment.text && <p data-testid="review-comment-text">{comment.text}</p>}
    </div>
  );
}

/** Who else is on which frame (polled presence), minus me. */
export function PresenceList(props: {
  presence: readonly FrameLock[];
  meId: number | null;
  videoId: number;
  videoName: (videoId: number) => string;
  onGoTo(videoId: number, frameIndex: number): void;
}) {
  const others = props.presence.filter((p) => p.user.id !== props.meId);
  return (
    <section className="presence" data-testid="presence">
      <h3>Also here</h3>
      {others.length === 0 ? (
        <p className="muted small">Nobody else is labeling right now.</p>
      ) : (
        <ul>
          {others.map((p) => (
            <li key={`${p.user.id}-${p.video}-${p.frame_index}`} data-testid={`presence-${p.user.username}`}>
              <span className="avatar" aria-hidden="true">
                {p.user.username.slice(0, 1).toUpperCase()}
              </span>
              <span>{p.user.username}</span>{' '}
              <button type="button" className="link" onClick={() => props.onGoTo(p.video, p.frame_index)}>
                {p.video === props.videoId ? '' : `${props.videoName(p.video)} `}frame {p.frame_index}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const STATUS_TEXT: Record<string, string> = {
  todo: 'to do',
  in_progress: 'in progress',
  submitted: 'submitted',
  approved: 'approved',
  rejected: 'rejected',
};

/** My queue: frames assigned to me that still need work (rejected first). */
export function MyFramesStrip(props: {
  frames: readonly FrameSummary[];
  videoId: number;
  frameIndex: number;
  onGoTo(videoId: number, frameIndex: number): void;
}) {
  const sorted = useMemo(
    () => [...props.frames].sort((a, b) => Number(b.status === 'rejected') - Number(a.status === 'rejected')),
    [props.frames],
  );
  return (
    <section className="my-frames" data-testid="my-frames">
      <h3>My frames ({props.frames.length})</h3>
      {sorted.length === 0 ? (
        <p className="muted small">Nothing assigned to you. Press N for the next frame.</p>
      ) : (
        <ol className="frame-strip">
          {sorted.map((f) => {
            const current = f.video === props.videoId && f.frame_index === props.frameIndex;
            return (
              <li key={f.id}>
                <button
                  type="button"
                  className={`strip-item status-${f.status}${current ? ' current' : ''}`}
                  data-testid={`my-frame-${f.video}-${f.frame_index}`}
                  aria-current={current ? 'true' : undefined}
                  title={f.latest_comment?.text || STATUS_TEXT[f.status]}
                  onClick={(e) => {
                    props.onGoTo(f.video, f.frame_index);
                    e.currentTarget.blur();
                  }}
                >
                  {f.video === props.videoId ? '' : `${f.video_name} · `}#{f.frame_index}
                  <span className="small"> {STATUS_TEXT[f.status]}</span>
                </button>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

/** Who changed this frame, when, and how (before → after). */
export function HistoryPanel(props: { videoId: number; frameIndex: number; version: number; skeleton: Skeleton; onClose(): void }) {
  const { videoId, frameIndex, version, skeleton } = props;
  const rows = useAsync((signal) => getFrameHistory(videoId, frameIndex, signal), [videoId, frameIndex, version]);
  const lines = useMemo(() => {
    const name = (id: number) => skeleton.nodes.find((n) => n.id === id)?.name ?? `node ${id}`;
    return historyLines(rows.data ?? [], name, skeleton.nodes.map((n) => n.id));
  }, [rows.data, skeleton]);
  return (
    <section className="card history-panel" data-testid="history-panel">
      <div className="panel-title">
        <h2>History of frame {frameIndex}</h2>
        <button type="button" className="secondary" onClick={props.onClose}>
          Close
        </button>
      </div>
      <ErrorMessage error={rows.error} />
      {rows.data && lines.length === 0 && <p className="muted small">No changes recorded yet.</p>}
      <ol className="history-list">
        {lines.map((l) => (
          <li key={l.id} data-testid="history-row" data-action={l.action} data-user={l.who}>
            <div>
              <strong>{l.who}</strong> <span className={`history-action action-${l.action}`}>{l.action}</span>{' '}
              <span className="muted small">
                v{l.version} · {l.when}
              </span>
            </div>
            {l.counts && <div className="small">{l.counts}</div>}
            {l.changes.length > 0 && (
              <ul className="small history-changes">
                {l.changes.map((c) => (
                  <li key={c}>{c}</li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
