/**
 * Who may stop a long-running job (training, inference): the person who started
 * it, or a project owner. The server enforces the same rule (403 otherwise);
 * the UI hides the Cancel button from everyone else.
 */
import type { Role } from '../types/api';

/** `startedBy` is the job's `created_by` username (null when that account is gone). */
export function mayCancelJob(startedBy: string | null, me: { username: string } | null, role: Role): boolean {
  if (role === 'owner') return true;
  return startedBy !== null && me !== null && startedBy === me.username;
}
