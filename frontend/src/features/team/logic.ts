/** Pure helpers of the team page: role rules, dashboard maths, pick-job text. */
import type { DashboardAnnotator, Member, PickJob, Role, TeamFrameStatus } from '../../types/api';

export const ROLES: readonly Role[] = ['owner', 'reviewer', 'annotator', 'viewer'];

export const ROLE_HELP: Record<Role, string> = {
  owner: 'everything: skeleton, videos, members',
  reviewer: 'label + approve / reject + pick frames',
  annotator: 'label and submit frames',
  viewer: 'read only',
};

/** Order used everywhere a frame status is listed. */
export const STATUS_ORDER: readonly TeamFrameStatus[] = ['todo', 'in_progress', 'submitted', 'approved', 'rejected'];

export const STATUS_LABEL: Record<TeamFrameStatus, string> = {
  todo: 'to do',
  in_progress: 'in progress',
  submitted: 'submitted',
  approved: 'approved',
  rejected: 'rejected',
};

/** Why a member change would leave the project without an owner (null when fine). */
export function ownerGuard(members: readonly Member[], memberId: number, newRole: Role | null): string | null {
  const target = members.find((m) => m.id === memberId);
  if (!target || target.role !== 'owner' || newRole === 'owner') return null;
  const owners = members.filter((m) => m.role === 'owner').length;
  return owners <= 1 ? 'A project needs at least one owner: make someone else owner first.' : null;
}

/** Sum of a by_status map. */
export function total(byStatus: Partial<Record<TeamFrameStatus, number>>): number {
  return STATUS_ORDER.reduce((n, s) => n + (byStatus[s] ?? 0), 0);
}

/** Segments of a stacked bar: status, count and percent width (sums to 100 when total > 0). */
export function statusSegments(byStatus: Partial<Record<TeamFrameStatus, number>>): { status: TeamFrameStatus; count: number; percent: number }[] {
  const sum = total(byStatus);
  if (sum === 0) return [];
  return STATUS_ORDER.filter((s) => (byStatus[s] ?? 0) > 0).map((s) => ({
    status: s,
    count: byStatus[s] ?? 0,
    percent: ((byStatus[s] ?? 0) / sum) * 100,
  }));
}

/** Share of decided frames an annotator got approved, "—" before any decision. */
export function approvalRate(a: DashboardAnnotator): string {
  const decided = a.approved + a.rejected;
  return decided ? `${Math.round((a.approved / decided) * 100)}%` : '—';
}

export function isPickJobFinished(job: Pick<PickJob, 'status'>): boolean {
  return job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled';
}

/** One line about a pick job for people. */
export function describePickJob(job: PickJob): string {
  switch (job.status) {
    case 'queued':
      return 'Queued – waiting for a worker';
    case 'running':
      return `${job.message || 'Picking frames'} – ${Math.round(Math.min(1, Math.max(0, job.progress)) * 100)}%`;
    case 'succeeded':
      return job.message || `Picked ${job.frames.length} frames (${job.created_frames} new to label).`;
    case 'failed':
      return job.error || job.message || 'Frame picking failed';
    case 'cancelled':
      return job.message || 'Frame picking was cancelled';
  }
}

/** "seconds since" label for presence. */
export function since(iso: string | null, now: number = Date.now()): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}
