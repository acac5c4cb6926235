/** Pure helpers of the review page. */
import type { FrameSummary, ReviewDecision } from '../../types/api';

/** After deciding on `done`, the item to show next: the one that took its place, else the one before. */
export function nextAfterDecision(queue: readonly FrameSummary[], done: FrameSummary): FrameSummary | null {
  const i = queue.findIndex((f) => f.id === done.id);
  const rest = queue.filter((f) => f.id !== done.id);
  if (rest.length === 0) return null;
  return rest[Math.min(Math.max(i, 0), rest.length - 1)] ?? null;
}

/** The request body; null with a reason when it cannot be sent (a reject needs a comment). */
export function decisionBody(
  decision: 'approve' | 'reject',
  comment: string,
  node: number | null,
  version: number,
): { body: ReviewDecision; error: null } | { body: null; error: string } {
  const text = comment.trim();
  if (decision === 'reject' && !text) {
    return { body: null, error: 'Say what to fix: a reject needs a comment for the annotator.' };
  }
  return { body: { decision, comment: text, node: decision === 'reject' ? node : null, version }, error: null };
}

/** "3 min ago"-style age of a submission. */
export function age(iso: string | null, now: number = Date.now()): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/**
 * Why `meId` may not approve `frame` (four-eyes review), or null when they may: the
 * person who submitted it or last edited it needs someone else, unless the project allows it.
 */
export function selfApprovalBlock(
  frame: Pick<FrameSummary, 'submitted_by' | 'updated_by'>,
  meId: number | null,
  allowSelfReview: boolean,
): string | null {
  if (allowSelfReview || meId === null) return null;
  if (frame.updated_by?.id === meId) return 'You made the latest edit of this frame, so another reviewer has to approve it.';
  if (frame.submitted_by?.id === meId) return 'You submitted this frame, so another reviewer has to approve it.';
  return null;
}
