// Engine API calls for networks: functions over a Client's transport, as interactive.ts.
import type { Client, Filters } from './index.ts';
import type {
  NetworkConnectRequest,
  NetworkCreateRequest,
  NetworkCreateResponse,
  NetworkDisconnectRequest,
  NetworkInspect,
  NetworkPruneResponse,
  NetworkSummary,
} from '../api/types/index.ts';

const path = (idOrName: string) => `/networks/${encodeURIComponent(idOrName)}`;
const filtersQuery = (filters?: Filters) => ({
  filters: filters && Object.keys(filters).length ? filters : undefined,
});

export const networkCreate = (c: Client, body: NetworkCreateRequest) =>
  c.transport.json<NetworkCreateResponse>('POST', '/networks/create', { body });

export const networkList = (c: Client, filters?: Filters) =>
  c.transport.json<NetworkSummary[]>('GET', '/networks', { query: filtersQuery(filters) });

export const networkInspect = (c: Client, idOrName: string) => c.transport.json<NetworkInspect>('GET', path(idOrName));

export async function networkRemove(c: Client, idOrName: string): Promise<void> {
  (await c.transport.request('DELETE', path(idOrName))).resume();
}

export const networkPrune = (c: Client, filters?: Filters) =>
  c.transport.json<NetworkPruneResponse>('POST', '/networks/prune', { query: filtersQuery(filters) });

export async function networkConnect(c: Client, idOrName: string, body: NetworkConnectRequest): Promise<void> {
  (await c.transport.request('POST', `${path(idOrName)}/connect`, { body })).resume();
}

export async function networkDisconnect(c: Client, idOrName: string, body: NetworkDisconnectRequest): Promise<void> {
  (await c.transport.request('POST', `${path(idOrName)}/disconnect`, { body })).resume();
}
