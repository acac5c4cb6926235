/** Invite links and the co-worker list (owners only). */
import { api } from '../../../lib/api';
import type { Invitation, InvitationCreated, Role, User } from '../../../types/api';

export const getInvitations = (projectId: number, signal?: AbortSignal) =>
  api.get<Invitation[]>(`/api/projects/${projectId}/invitations/`, signal);

export const createInvitation = (projectId: number, role: Role) =>
  api.post<InvitationCreated>(`/api/projects/${projectId}/invitations/`, { role });

export const revokeInvitation = (projectId: number, invitationId: number) =>
  api.delete<null>(`/api/projects/${projectId}/invitations/${invitationId}/`);

/** People who share another project with the owner and are not members here yet. */
export const getMemberCandidates = (projectId: number, signal?: AbortSignal) =>
  api.get<User[]>(`/api/projects/${projectId}/member-candidates/`, signal);
