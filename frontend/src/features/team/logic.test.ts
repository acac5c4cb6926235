import { describe, expect, it } from 'vitest';
import type { Member, PickJob } from '../../types/api';
import { approvalRate, describePickJob, ownerGuard, statusSegments, total } from './logic';

const m = (id: number, role: Member['role']): Member => ({ id, user: { id, username: `u${id}` }, role });

describe('team logic', () => {
  it('keeps at least one owner', () => {
    const members = [m(1, 'owner'), m(2, 'annotator')];
    expect(ownerGuard(members, 1, 'viewer')).toMatch(/at least one owner/);
    expect(ownerGuard(members, 1, null)).toMatch(/at least one owner/);
    expect(ownerGuard(members, 2, null)).toBeNull();
    expect(ownerGuard([...members, m(3, 'owner')], 1, 'viewer')).toBeNull();
  });

  it('computes status bars and approval rates', () => {
    const by = { todo: 2, in_progress: 0, submitted: 1, approved: 1, rejected: 0 };
    expect(total(by)).toBe(4);
    expect(statusSegments(by).map((s) => [s.status, s.percent])).toEqual([['todo', 50], ['submitted', 25], ['approved', 25]]);
    expect(statusSegments({})).toEqual([]);
    const a = { user: { id: 1, username: 'b' }, labeled: 4, submitted: 1, approved: 3, rejected: 1 };
    expect(approvalRate(a)).toBe('75%');
    expect(approvalRate({ ...a, approved: 0, rejected: 0 })).toBe('—');
  });

  it('describes pick jobs', () => {
    const job = { status: 'running', progress: 0.42, message: 'Reading frames', error: '', frames: [], created_frames: 0 } as unknown as PickJob;
    expect(describePickJob(job)).toBe('Reading frames – 42%');
    expect(describePickJob({ ...job, status: 'succeeded', message: '', frames: [1, 2], created_frames: 2 })).toBe('Picked 2 frames (2 new to label).');
    expect(describePickJob({ ...job, status: 'failed', error: 'boom' })).toBe('boom');
  });
});
