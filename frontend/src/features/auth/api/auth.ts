/** Session auth endpoints. GET /api/auth/me/ also sets the csrftoken cookie. */
import { api } from '../../../lib/api';
import type { LoginResponse, MeResponse } from '../../../types/api';

export const getMe = () => api.get<MeResponse>('/api/auth/me/');

export const login = (username: string, password: string) =>
  api.post<LoginResponse>('/api/auth/login/', { username, password });

export const logout = () => api.post<null>('/api/auth/logout/');
