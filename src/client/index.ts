// Typed Engine API client: one method per endpoint the CLI uses.

import {
  createTransport,
  resolveHost,
  ApiError,
  type Transport,
  type Query,
  type ResponseStream,
  type ClientTls,
} from './transport.ts';
import { hijack, type HijackedConn } from './hijack.ts';
import type {
  ContainerCreateBody,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerPruneResponse,
  ContainerSummary,
  ContainerUpdateBody,
  ContainerUpdateResponse,
  ContainerWaitResponse,
  ImageDeleteResponseItem,
  ImageHistoryResponseItem,
  ImageInspect,
  ImagePruneResponse,
  ImageSummary,
  SystemInfo,
  SystemVersion,
  WaitCondition,
} from '../api/types/index.ts';

export { ApiError, ConnectError, resolveHost, parseHost, API_VERSION, DEFAULT_HOST } from './transport.ts';
export { clientTls } from './tls.ts';
export type { Transport, ResponseStream } from './transport.ts';
/** The Engine API's shapes, for the client's callers (the CLI). */
export type * from '../api/types/index.ts';

/** `filters` as the API takes it: {"key": {"value": true}}. */
export type Filters = Record<string, Record<string, boolean>>;

const enc = encodeURIComponent;

export interface AttachOptions {
  stream?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  logs?: boolean;
  detachKeys?: string;
}

export interface LogsOptions {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  since?: string;
  until?: string;
  timestamps?: boolean;
  tail?: string;
  details?: boolean;
}

export interface Client {
  readonly transport: Transport;
  ping(): Promise<string>;
  version(): Promise<SystemVersion>;
  info(): Promise<SystemInfo>;

  containerCreate(
    body: ContainerCreateBody,
    opts?: { name?: string; platform?: string },
  ): Promise<ContainerCreateResponse>;
  containerStart(id: string): Promise<void>;
  containerStop(id: string, opts?: { signal?: string; timeout?: number }): Promise<void>;
  containerRestart(id: string, opts?: { signal?: string; timeout?: number }): Promise<void>;
  containerKill(id: string, signal?: string): Promise<void>;
  containerRemove(id: string, opts?: { force?: boolean; volumes?: boolean; link?: boolean }): Promise<void>;
  containerList(opts?: {
    all?: boolean;
    limit?: number;
    size?: boolean;
    filters?: Filters;
  }): Promise<ContainerSummary[]>;
  /** The parsed object and the daemon's raw bytes (inspect prints the latter). */
  containerInspect(id: string, opts?: { size?: boolean }): Promise<{ value: ContainerInspect; raw: Buffer }>;
  containerWait(id: string, condition?: WaitCondition): Promise<WaitHandle>;
  containerRename(id: string, name: string): Promise<void>;
  containerUpdate(id: string, body: ContainerUpdateBody): Promise<ContainerUpdateResponse>;
  containerLogs(id: string, opts: LogsOptions): Promise<ResponseStream>;
  containerAttach(id: string, opts: AttachOptions): Promise<HijackedConn>;
  containerResize(id: string, h: number, w: number): Promise<void>;
  containerPrune(filters?: Filters): Promise<ContainerPruneResponse>;

  imageList(opts?: { all?: boolean; digests?: boolean; filters?: Filters }): Promise<ImageSummary[]>;
  imageInspect(name: string): Promise<{ value: ImageInspect; raw: Buffer }>;
  imageHistory(name: string): Promise<ImageHistoryResponseItem[]>;
  imageRemove(name: string, opts?: { force?: boolean; noprune?: boolean }): Promise<ImageDeleteResponseItem[]>;
  imageTag(source: string, repo: string, tag?: string): Promise<void>;
  /** POST /images/create?fromSrc=- with the tarball as body; a JSON progress stream. */
  imageImport(
    source: NodeJS.ReadableStream | Buffer | string,
    opts: { repo?: string; tag?: string; message?: string; changes?: string[]; platform?: string },
  ): Promise<ResponseStream>;
  imagePull(ref: string, opts?: { tag?: string; platform?: string }): Promise<ResponseStream>;
  imagePrune(filters?: Filters): Promise<ImagePruneResponse>;
  close(): void;
}

/** A wait request already sent; `result` settles when the condition is met. */
export interface WaitHandle {
  readonly result: Promise<ContainerWaitResponse>;
}

export async function createClient(host?: string, tls?: ClientTls): Promise<Client> {
  const t = await createTransport(resolveHost(host), tls);
  const c = (id: string) => `/containers/${enc(id)}`;
  const none = async (method: string, path: string, query?: Query, body?: unknown) => {
    const res = await t.request(method, path, { query, body });
    res.resume();
  };
  const withRaw = async <T>(path: string, query?: Query) => {
    const raw = await t.raw('GET', path, { query });
    return { value: JSON.parse(raw.toString('utf8')) as T, raw };
  };
  return {
    transport: t,
    async ping() {
      return (await t.raw('GET', '/_ping')).toString('utf8');
    },
    version: () => t.json('GET', '/version'),
    info: () => t.json('GET', '/info'),
    containerCreate: (body, opts = {}) =>
      t.json('POST', '/containers/create', {
        query: { name: opts.name || undefined, platform: opts.platform || undefined },
        body,
      }),
    containerStart: (id) => none('POST', `${c(id)}/start`),
    containerStop: (id, o = {}) => none('POST', `${c(id)}/stop`, { signal: o.signal, t: o.timeout }),
    containerRestart: (id, o = {}) => none('POST', `${c(id)}/restart`, { signal: o.signal, t: o.timeout }),
    containerKill: (id, signal) => none('POST', `${c(id)}/kill`, { signal }),
    containerRemove: (id, o = {}) => none('DELETE', c(id), { force: o.force, v: o.volumes, link: o.link }),
    containerList: (o = {}) =>
      t.json('GET', '/containers/json', {
        query: {
          all: o.all,
          limit: o.limit !== undefined && o.limit > 0 ? o.limit : undefined,
          size: o.size,
          filters: o.filters && Object.keys(o.filters).length ? o.filters : undefined,
        },
      }),
    containerInspect: (id, o = {}) => withRaw<ContainerInspect>(`${c(id)}/json`, { size: o.size }),
    async containerWait(id, condition) {
      // Resolve once the request has reached the daemon (headers back, or the
      // request flushed and a short grace period passed), so the caller can start
      // the container knowing the wait is in place.
      const resP = t.request('POST', `${c(id)}/wait`, { query: { condition } });
      const result = resP.then(async (res) => {
        const body = (await readAll(res)).toString('utf8').trim();
        const parsed = JSON.parse(body || '{}') as ContainerWaitResponse;
        return parsed;
      });
      result.catch(() => {});
      await Promise.race([
        resP.then(
          () => undefined,
          () => undefined,
        ),
        delay(150),
      ]);
      return { result };
    },
    containerRename: (id, name) => none('POST', `${c(id)}/rename`, { name }),
    containerUpdate: (id, body) => t.json('POST', `${c(id)}/update`, { body }),
    containerLogs: (id, o) =>
      t.request('GET', `${c(id)}/logs`, {
        query: {
          stdout: o.stdout ?? true,
          stderr: o.stderr ?? true,
          follow: o.follow,
          since: o.since,
          until: o.until,
          timestamps: o.timestamps,
          tail: o.tail,
          details: o.details,
        },
      }),
    containerAttach: (id, o) =>
      hijack({
        endpoint: t.endpoint,
        host: t.host,
        path: t.apiPath(`${c(id)}/attach`, {
          stream: o.stream ?? true,
          stdin: o.stdin,
          stdout: o.stdout,
          stderr: o.stderr,
          logs: o.logs,
          detachKeys: o.detachKeys,
        }),
      }),
    containerResize: (id, h, w) => none('POST', `${c(id)}/resize`, { h, w }),
    containerPrune: (filters) =>
      t.json('POST', '/containers/prune', {
        query: { filters: filters && Object.keys(filters).length ? filters : undefined },
      }),

    imageList: (o = {}) =>
      t.json('GET', '/images/json', {
        query: {
          all: o.all,
          digests: o.digests,
          filters: o.filters && Object.keys(o.filters).length ? o.filters : undefined,
        },
      }),
    imageInspect: (name) => withRaw<ImageInspect>(`/images/${enc(name)}/json`),
    imageHistory: (name) => t.json('GET', `/images/${enc(name)}/history`),
    imageRemove: (name, o = {}) =>
      t.json('DELETE', `/images/${enc(name)}`, { query: { force: o.force, noprune: o.noprune } }),
    imageTag: (source, repo, tag) => none('POST', `/images/${enc(source)}/tag`, { repo, tag }),
    imageImport: (source, o) => {
      const fromSrc = typeof source === 'string' ? source : '-';
      const body = typeof source === 'string' ? undefined : source;
      return t.request('POST', '/images/create', {
        query: {
          fromSrc,
          repo: o.repo,
          tag: o.tag,
          message: o.message,
          changes: o.changes?.length ? o.changes : undefined,
          platform: o.platform,
        },
        body,
      });
    },
    imagePull: (ref, o = {}) =>
      t.request('POST', '/images/create', { query: { fromImage: ref, tag: o.tag, platform: o.platform } }),
    imagePrune: (filters) =>
      t.json('POST', '/images/prune', {
        query: { filters: filters && Object.keys(filters).length ? filters : undefined },
      }),
    close: () => t.close(),
  };
}

async function readAll(res: ResponseStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export const isNotFound = (err: unknown) => err instanceof ApiError && err.status === 404;
