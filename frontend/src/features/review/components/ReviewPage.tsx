/**
 * Review page (reviewers, owners): the queue of submitted frames, oldest
 * first; the selected frame read-only with its skeleton overlay; approve, or
 * reject with a comment optionally pinned to one keypoint (click the point on
 * the frame or pick it in the list). The frame view is passed in by the route.
 *
 * Keys (outside the comment box): J / K next / previous frame in the queue,
 * A approve, R write a reject comment; in the comment box Ctrl+Enter rejects.
 *
 * Four-eyes review: Approve is disabled, with the reason, on a frame the reviewer
 * submitted or last edited, unless the project allows self-review (the server checks too).
 */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { Loading } from '../../../components/Loading';
import { useAsync } from '../../../lib/useAsync';
import type { FrameSummary, Instance, Skeleton } from '../../../types/api';
import { getFrameForReview, getReviewQueue, getReviewVideo, postReview } from '../api/review';
import { age, decisionBody, nextAfterDecision, selfApprovalBlock } from '../queue';

export interface ReviewFrameViewProps {
  videoId: number;
  frameIndex: number;
  instances: readonly Instance[];
  skeleton: Skeleton;
  size: { width: number; height: number };
  pinnedNodeId: number | null;
  onPickNode(nodeId: number): void;
}

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

export function ReviewPage(props: {
  projectId: number;
  skeleton: Skeleton;
  renderFrame(p: ReviewFrameViewProps): ReactNode;
  labelHref(videoId: number, frameIndex: number): string;
  meId: number | null;
  allowSelfReview: boolean;
}) {
  const { projectId, skeleton } = props;
  const queue = useAsync((signal) => getReviewQueue(projectId, signal), [projectId]);
  const [selected, setSelected] = useState<FrameSummary | null>(null);
  const [comment, setComment] = useState('');
  const [node, setNode] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const commentRef = useRef<HTMLTextAreaElement>(null);

  const items = queue.data ?? [];
  useEffect(() => {
    if (!selected && items.length) setSelected(items[0] ?? null);
  }, [items, selected]);

  const frame = useAsync(
    (signal) =>
      selected
        ? Promise.all([getFrameForReview(selected.video, selected.frame_index, signal), getReviewVideo(selected.video, signal)])
        : Promise.resolve(null),
    [selected?.id],
  );

  const select = useCallback((f: FrameSummary | null) => {
    setSelected(f);
    setComment('');
    setNode(null);
    setError(null);
  }, []);

  const approveBlocked = selected ? selfApprovalBlock(selected, props.meId, props.allowSelfReview) : null;

  const decide = useCallback(
    async (decision: 'approve' | 'reject') => {
      if (!selected || !frame.data || busy) return;
      if (decision === 'approve' && approveBlocked) {
        setError(new Error(approveBlocked));
        return;
      }
      const [labels] = frame.data;
      const built = decisionBody(decision, comment, node, labels.version);
      if (!built.body) {
        setError(new Error(built.error));
        commentRef.current?.focus();
        return;
      }
      setBusy(true);
      setError(null);
      try {
        await postReview(selected.video, selected.frame_index, built.body);
        setDone(`${decision === 'approve' ? 'Approved' : 'Rejected'} ${selected.video_name} frame ${selected.frame_index}.`);
        const next = nextAfterDecision(items, selected);
        queue.setData(items.filter((f) => f.id !== selected.id));
        select(next);
      } catch (err) {
        setError(err);
      } finally {
        setBusy(false);
      }
    },
    [selected, frame.data, busy, approveBlocked, comment, node, items, queue, select],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      const i = selected ? items.findIndex((f) => f.id === selected.id) : -1;
      const k = e.key.toLowerCase();
      if (k === 'j' && i + 1 < items.length) select(items[i + 1] ?? null);
      else if (k === 'k' && i > 0) select(items[i - 1] ?? null);
      else if (k === 'a') void decide('approve');
      else if (k === 'r') commentRef.current?.focus();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [items, selected, select, decide]);

  const nodeName = (id: number | null) => skeleton.nodes.find((n) => n.id === id)?.name ?? '';

  return (
    <div className="review-page" data-testid="review-page">
      <aside className="card review-queue">
        <h2>Review queue ({items.length})</h2>
        {queue.loading && !queue.data && <Loading />}
        <ErrorMessage error={queue.error} />
        {queue.data && items.length === 0 && (
          <p className="muted" data-testid="review-empty">
            Nothing to review. Submitted frames appear here, oldest first.
          </p>
        )}
        <ol className="queue-list">
          {items.map((f) => (
            <li key={f.id}>
              <button
                type="button"
                className={f.id === selected?.id ? 'queue-item current' : 'queue-item'}
                data-testid={`review-item-${f.video}-${f.frame_index}`}
                onClick={(e) => {
                  select(f);
                  e.currentTarget.blur();
                }}
              >
                <strong>
                  {f.video_name} · frame {f.frame_index}
                </strong>
                <span className="muted small">
                  {f.assignee?.username ?? 'unassigned'} · v{f.version} · {age(f.submitted_at)}
                </span>
              </button>
            </li>
          ))}
        </ol>
        <p className="muted small">J / K next / previous · A approve · R comment · Ctrl+Enter reject</p>
      </aside>
      <section className="review-main">
        {done && (
          <p className="notice" data-testid="review-done" role="status">
            {done}
          </p>
        )}
        {selected && (
          <>
            <h2>
              {selected.video_name} · frame {selected.frame_index}{' '}
              <Link className="small" to={props.labelHref(selected.video, selected.frame_index)}>
                open in the labeling tool
              </Link>
            </h2>
            <ErrorMessage error={frame.error} />
            {frame.data ? (
              props.renderFrame({
                videoId: selected.video,
                frameIndex: selected.frame_index,
                instances: frame.data[0].instances,
                skeleton,
                size: { width: frame.data[1].width ?? 640, height: frame.data[1].height ?? 480 },
                pinnedNodeId: node,
                onPickNode: (id) => setNode((cur) => (cur === id ? null : id)),
              })
            ) : (
              <Loading />
            )}
            <div className="card review-form">
              <label>
                Comment for the annotator (required to reject)
                <textarea
                  ref={commentRef}
                  data-testid="review-comment-input"
                  rows={3}
                  value={comment}
                  placeholder="e.g. left ear is on the wrong side"
                  onChange={(e) => setComment(e.target.value)}
                  onKeyDown={(e) => {
                    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
                      e.preventDefault();
                      void decide('reject');
                    }
                  }}
                />
              </label>
              <label>
                Pin to keypoint (or click it on the frame)
                <select
                  data-testid="review-node"
                  value={node ?? ''}
                  onChange={(e) => setNode(e.target.value ? Number(e.target.value) : null)}
                >
                  <option value="">— whole frame —</option>
                  {skeleton.nodes.map((n) => (
                    <option key={n.id} value={n.id}>
                      {n.name}
                    </option>
                  ))}
                </select>
              </label>
              {node !== null && <p className="small">Pinned to {nodeName(node)} (red ring on the frame).</p>}
              <ErrorMessage error={error} testId="review-error" />
              {approveBlocked && (
                <p className="muted small" data-testid="approve-blocked">
                  {approveBlocked} A project owner can allow self-review on the Team page.
                </p>
              )}
              <div className="buttons">
                <button
                  type="button"
                  data-testid="approve"
                  disabled={busy || !frame.data || approveBlocked !== null}
                  title={approveBlocked ?? undefined}
                  onClick={() => void decide('approve')}
                >
                  Approve (A)
                </button>
                <button
                  type="button"
                  className="danger"
                  data-testid="reject"
                  disabled={busy || !frame.data}
                  onClick={() => void decide('reject')}
                >
                  Reject with comment
                </button>
              </div>
            </div>
          </>
        )}
      </section>
    </div>
  );
}
