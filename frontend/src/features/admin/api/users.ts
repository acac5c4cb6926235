/** Site administration of accounts (staff only; everyone else gets 403). */
import { api } from '../../../lib/api';
import type { AdminPasswordSet, AdminUser, AdminUserCreate } from '../../../types/api';

export const getUsers = (signal?: AbortSignal) => api.get<AdminUser[]>('/api/admin/users/', signal);

export const createUser = (body: AdminUserCreate) => api.post<AdminUser>('/api/admin/users/', body);

export const updateUser = (userId: number, body: { is_active?: boolean; is_staff?: boolean }) =>
  api.patch<AdminUser>(`/api/admin/users/${userId}/`, body);

/** A blank password asks the server to generate one, returned once. */
export const setPassword = (userId: number, password: string) =>
  api.post<AdminPasswordSet>(`/api/admin/users/${userId}/password/`, { password });
