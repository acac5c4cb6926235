import { describe, expect, it } from 'vitest';
import type { FrameSummary } from '../../types/api';
import { age, decisionBody, nextAfterDecision, selfApprovalBlock } from './queue';

const f = (id: number) => ({ id }) as FrameSummary;

describe('review helpers', () => {
  it('moves to the item that took the decided one\'s place', () => {
    const q = [f(1), f(2), f(3)];
    expect(nextAfterDecision(q, f(2))?.id).toBe(3);
    expect(nextAfterDecision(q, f(3))?.id).toBe(2);
    expect(nextAfterDecision([f(1)], f(1))).toBeNull();
  });

  it('needs a comment to reject and pins only rejects', () => {
    expect(decisionBody('reject', '  ', 4, 2)).toEqual({ body: null, error: expect.stringMatching(/needs a comment/) });
    expect(decisionBody('reject', ' fix ear ', 4, 2).body).toEqual({ decision: 'reject', comment: 'fix ear', node: 4, version: 2 });
    expect(decisionBody('approve', '', 4, 2).body).toEqual({ decision: 'approve', comment: '', node: null, version: 2 });
  });

  it('formats ages', () => {
    const now = Date.parse('2024-01-01T12:00:00Z');
    expect(age('2024-01-01T11:59:30Z', now)).toBe('30 s ago');
    expect(age('2024-01-01T11:00:00Z', now)).toBe('1 h ago');
    expect(age(null, now)).toBe('');
  });

  it('keeps the submitter and the last editor from approving unless self-review is allowed', () => {
    const bob = { id: 2, username: 'bob' };
    const rita = { id: 3, username: 'rita' };
    const byBob = { submitted_by: bob, updated_by: bob };
    expect(selfApprovalBlock(byBob, 2, false)).toMatch(/another reviewer has to approve/);
    expect(selfApprovalBlock(byBob, 3, false)).toBeNull();
    expect(selfApprovalBlock(byBob, 2, true)).toBeNull();
    expect(selfApprovalBlock({ submitted_by: bob, updated_by: rita }, 3, false)).toMatch(/latest edit/);
    expect(selfApprovalBlock({ submitted_by: bob, updated_by: rita }, 2, false)).toMatch(/You submitted/);
    expect(selfApprovalBlock({ submitted_by: null, updated_by: null }, 2, false)).toBeNull();
  });
});
