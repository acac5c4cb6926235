/** Opening and accepting an invite link; both work without being logged in. */
import { api } from '../../../lib/api';
import type { InviteAccept, InviteAccepted, InvitePreview } from '../../../types/api';

const base = (token: string) => `/api/invitations/${encodeURIComponent(token)}/`;

export const getInvite = (token: string, signal?: AbortSignal) => api.get<InvitePreview>(base(token), signal);

export const acceptInvite = (token: string, body: InviteAccept = {}) =>
  api.post<InviteAccepted>(`${base(token)}accept/`, body);
