// Engine API calls of the system group beyond the Client interface: /auth and /system/df.
import type { Client } from './index.ts';
import type { AuthConfig, AuthResponse, DiskUsage } from '../api/types/index.ts';

export const login = (c: Client, auth: AuthConfig) => c.transport.json<AuthResponse>('POST', '/auth', { body: auth });

export const diskUsage = (c: Client) => c.transport.json<DiskUsage>('GET', '/system/df');
