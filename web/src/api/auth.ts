// Typed client: sign-in, sign-out and the caller (tags auth, tokens, users of the OpenAPI document).
import { http, type Page } from './client';
import type { LoginResponse, Me, NewToken, Token, User } from './types';

export const authApi = {
  login: (email: string, password: string) => http.post<LoginResponse>('/auth/login', { email, password }),
  logout: () => http.post<void>('/auth/logout'),
  me: () => http.get<Me>('/me'),
  tokens: () => http.get<Page<Token>>('/tokens'),
  createToken: (name: string) => http.post<NewToken>('/tokens', { name }),
  deleteToken: (id: number) => http.del(`/tokens/${id}`),
  users: () => http.get<Page<User>>('/users'),
};
