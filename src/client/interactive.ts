// Engine API calls for working with running containers: exec, pause/unpause, top, stats,
// events. Functions over a Client's transport, so the Client interface stays small.
import type { Client } from './index.ts';
import { hijack, type HijackedConn } from './hijack.ts';
import type { ResponseStream } from './transport.ts';
import type { Filters } from './index.ts';
import type {
  ContainerTopResponse,
  ExecCreateBody,
  ExecInspect,
  ExecStartBody,
  IdResponse,
} from '../api/types/index.ts';

const enc = encodeURIComponent;

export const execCreate = (c: Client, id: string, body: ExecCreateBody) =>
  c.transport.json<IdResponse>('POST', `/containers/${enc(id)}/exec`, { body });

/** Detached start: answers once the process runs. */
export async function execStartDetached(c: Client, execId: string, tty: boolean): Promise<void> {
  const body: ExecStartBody = { Detach: true, Tty: tty };
  const res = await c.transport.request('POST', `/exec/${enc(execId)}/start`, { body });
  res.resume();
}

/** Attached start: the hijacked stream of the exec's stdio. */
export function execStartAttached(
  c: Client,
  execId: string,
  tty: boolean,
  consoleSize?: [number, number],
): Promise<HijackedConn> {
  const t = c.transport;
  return hijack({
    endpoint: t.endpoint,
    host: t.host,
    path: t.apiPath(`/exec/${enc(execId)}/start`),
    body: { Detach: false, Tty: tty, ...(consoleSize ? { ConsoleSize: consoleSize } : {}) } satisfies ExecStartBody,
  });
}

export const execInspect = (c: Client, execId: string) =>
  c.transport.json<ExecInspect>('GET', `/exec/${enc(execId)}/json`);

export async function execResize(c: Client, execId: string, h: number, w: number): Promise<void> {
  (await c.transport.request('POST', `/exec/${enc(execId)}/resize`, { query: { h, w } })).resume();
}

export async function containerPause(c: Client, id: string): Promise<void> {
  (await c.transport.request('POST', `/containers/${enc(id)}/pause`)).resume();
}

export async function containerUnpause(c: Client, id: string): Promise<void> {
  (await c.transport.request('POST', `/containers/${enc(id)}/unpause`)).resume();
}

export const containerTop = (c: Client, id: string, psArgs?: string) =>
  c.transport.json<ContainerTopResponse>('GET', `/containers/${enc(id)}/top`, {
    query: { ps_args: psArgs || undefined },
  });

export const containerStats = (c: Client, id: string, stream: boolean, signal?: AbortSignal): Promise<ResponseStream> =>
  c.transport.request('GET', `/containers/${enc(id)}/stats`, { query: { stream }, signal });

export const events = (
  c: Client,
  o: { since?: string; until?: string; filters?: Filters },
  signal?: AbortSignal,
): Promise<ResponseStream> =>
  c.transport.request('GET', '/events', {
    query: {
      since: o.since,
      until: o.until,
      filters: o.filters && Object.keys(o.filters).length ? o.filters : undefined,
    },
    signal,
  });

/** Splits a stream of JSON values separated by newlines. */
export async function* jsonLines<T>(res: NodeJS.ReadableStream): AsyncGenerator<T> {
  let buf = '';
  for await (const chunk of res as AsyncIterable<Buffer | string>) {
    buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
  if (buf.trim()) yield JSON.parse(buf) as T;
}
