// Engine API calls for volumes: functions over a Client's transport, as networks.ts.
import type { Client, Filters } from './index.ts';
import type { Volume, VolumeCreateBody, VolumeListResponse, VolumePruneResponse } from '../api/types/index.ts';

const path = (name: string) => `/volumes/${encodeURIComponent(name)}`;
const filtersQuery = (filters?: Filters) => ({
  filters: filters && Object.keys(filters).length ? filters : undefined,
});

export const volumeCreate = (c: Client, body: VolumeCreateBody) =>
  c.transport.json<Volume>('POST', '/volumes/create', { body });

export const volumeList = (c: Client, filters?: Filters) =>
  c.transport.json<VolumeListResponse>('GET', '/volumes', { query: filtersQuery(filters) });

export const volumeInspect = (c: Client, name: string) => c.transport.json<Volume>('GET', path(name));

/** The raw answer of an inspect, for `--format` and `inspect`'s JSON as the daemon sent it. */
export async function volumeInspectRaw(c: Client, name: string): Promise<Buffer> {
  return Buffer.from(JSON.stringify(await volumeInspect(c, name)));
}

export async function volumeRemove(c: Client, name: string, opts: { force?: boolean } = {}): Promise<void> {
  (await c.transport.request('DELETE', path(name), { query: { force: opts.force ? '1' : undefined } })).resume();
}

export const volumePrune = (c: Client, filters?: Filters) =>
  c.transport.json<VolumePruneResponse>('POST', '/volumes/prune', { query: filtersQuery(filters) });
