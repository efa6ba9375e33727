// Docker's plugin protocol, client side: every call is `POST /<Method>` with a JSON body,
// `Accept: application/vnd.docker.plugins.v1.2+json`, and a JSON answer whose `Err`, when
// not empty, is the plugin's error. Plugins are reached over a unix socket or plain TCP.
//
// A plugin is never trusted to behave: each call has a deadline, the answer's size is
// capped, and anything that is not the JSON object the protocol promises is an error that
// names the plugin and the method.
import { request, type IncomingMessage } from 'node:http';
import { internal, messageOf } from '../common/errors.ts';
import { isObject, parseJsonSafe } from '../common/json.ts';

export const PLUGIN_MIME = 'application/vnd.docker.plugins.v1.2+json';
const MAX_ANSWER_BYTES = 16 << 20;

export type PluginAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** `unix:///run/x.sock`, `tcp://127.0.0.1:8080` or `http://…` (a spec file's one line). */
export function parseAddress(addr: string): PluginAddress {
  if (addr.startsWith('unix://')) return { kind: 'unix', path: addr.slice('unix://'.length) };
  let u: URL;
  try {
    u = new URL(addr);
  } catch {
    throw internal(`invalid plugin address ${JSON.stringify(addr)}`);
  }
  if (u.protocol === 'tcp:' || u.protocol === 'http:') {
    const port = Number(u.port || 80);
    return { kind: 'tcp', host: u.hostname.replace(/^\[|\]$/g, ''), port };
  }
  if (u.protocol === 'https:') throw internal(`plugin address ${addr}: TLS connections to plugins are not supported`);
  throw internal(`plugin address ${addr}: unknown protocol ${u.protocol.replace(/:$/, '')}`);
}

export class PluginError extends Error {
  readonly method: string;
  /** `answered`: the plugin's own Err; `broken`: unreachable, too slow, or not speaking the protocol. */
  readonly reason: 'answered' | 'broken';
  constructor(method: string, message: string, reason: 'answered' | 'broken' = 'broken') {
    super(`${method}: ${message}`);
    this.method = method;
    this.reason = reason;
    this.name = 'PluginError';
  }
}

export class PluginClient {
  readonly name: string;
  readonly address: PluginAddress;
  private readonly timeoutMs: number;

  constructor(name: string, address: PluginAddress, timeoutMs: number) {
    this.name = name;
    this.address = address;
    this.timeoutMs = timeoutMs;
  }

  /**
   * Calls `method` and returns the answer object. Throws PluginError for the plugin's own
   * `Err`, a non-200 status, a malformed answer, a refused connection or a missed deadline.
   */
  async call(method: string, body: unknown, timeoutMs = this.timeoutMs): Promise<Record<string, unknown>> {
    const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body) + '\n');
    let status: number;
    let text: string;
    try {
      ({ status, text } = await this.post(`/${method}`, payload, timeoutMs));
    } catch (err) {
      if ((err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError')
        throw new PluginError(method, `volume plugin ${this.name} did not answer within ${timeoutMs / 1000}s`);
      throw new PluginError(method, `cannot reach volume plugin ${this.name}: ${messageOf(err)}`);
    }
    let answer: unknown;
    try {
      answer = text.trim() === '' ? {} : parseJsonSafe(text, 'answer');
    } catch {
      answer = undefined;
    }
    if (status !== 200) {
      if (isObject(answer) && typeof answer.Err === 'string' && answer.Err)
        throw new PluginError(method, answer.Err, 'answered');
      throw new PluginError(method, text.trim().slice(0, 512) || `volume plugin ${this.name} answered HTTP ${status}`);
    }
    if (!isObject(answer))
      throw new PluginError(method, `volume plugin ${this.name} answered something that is not a JSON object`);
    if (answer.Err !== undefined && answer.Err !== null && typeof answer.Err !== 'string')
      throw new PluginError(method, `volume plugin ${this.name} answered an Err that is not a string`);
    if (typeof answer.Err === 'string' && answer.Err !== '') throw new PluginError(method, answer.Err, 'answered');
    return answer;
  }

  private post(path: string, payload: Buffer, timeoutMs: number): Promise<{ status: number; text: string }> {
    const a = this.address;
    const signal = AbortSignal.timeout(timeoutMs);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          method: 'POST',
          path,
          ...(a.kind === 'unix' ? { socketPath: a.path } : { host: a.host, port: a.port }),
          headers: {
            Host: a.kind === 'unix' ? 'plugin.moby.localhost' : `${a.host}:${a.port}`,
            Accept: PLUGIN_MIME,
            'Content-Type': PLUGIN_MIME,
            'Content-Length': payload.length,
          },
          signal,
          agent: false,
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_ANSWER_BYTES) {
              req.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', (err) => reject(signal.aborted ? signal.reason : err));
      req.end(payload);
    });
  }
}
