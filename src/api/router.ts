// Method + path routing with the optional /v1.xx prefix. Each resource registers its
// routes with handlers that get a small request context.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { invalidArgument, methodNotAllowed, notFound } from '../common/errors.ts';
import type { Query } from './http.ts';
import { API_VERSION, MIN_API_VERSION, compareVersions } from '../common/api-version.ts';

export interface RequestContext {
  readonly req: IncomingMessage;
  /** Absent for upgraded (hijacked) requests. */
  readonly res: ServerResponse;
  readonly params: Record<string, string>;
  readonly query: Query;
  readonly version: string;
  /** Set when the client asked to upgrade the connection (Upgrade: tcp). */
  readonly upgrade?: { socket: Duplex; head: Buffer };
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
}

export type Handler = (ctx: RequestContext) => Promise<void>;

interface Route {
  method: string;
  re: RegExp;
  keys: string[];
  handler: Handler;
  /** Other methods on this path are unknown routes (404), not a wrong method (405). */
  only?: boolean;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, opts: { only?: boolean } = {}): void {
    const keys: string[] = [];
    // `{name}` is one path segment; `{name*}` may contain slashes (image names do).
    const src = pattern.replace(/\{(\w+)(\*?)\}/g, (_m, k: string, star: string) => {
      keys.push(k);
      return star ? '(.+)' : '([^/]+)';
    });
    this.routes.push({ method, re: new RegExp(`^${src}$`), keys, handler, only: opts.only });
  }

  /** Splits /v1.43/containers/json into version and path; validates the version. */
  static splitVersion(pathname: string): { version: string; path: string } {
    const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(pathname);
    if (!m) return { version: API_VERSION, path: pathname };
    const version = m[1];
    if (compareVersions(version, MIN_API_VERSION) < 0) {
      throw invalidArgument(
        `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
      );
    }
    if (compareVersions(version, API_VERSION) > 0) {
      throw invalidArgument(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
    }
    return { version, path: m[2] };
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      const sameMethod = r.method === method || (method === 'HEAD' && r.method === 'GET');
      pathMatched ||= !r.only || sameMethod;
      if (!sameMethod) continue;
      const params: Record<string, string> = {};
      for (const [i, k] of r.keys.entries()) params[k] = decodePathParam(m[i + 1]);
      return { handler: r.handler, params };
    }
    if (pathMatched) throw methodNotAllowed(`method ${method} not allowed`);
    throw notFound(`page not found`);
  }
}

/** A malformed %-escape in the path is the client's mistake (Go's net/http answers 400). */
function decodePathParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalidArgument(`invalid URL escape in path: ${JSON.stringify(raw)}`);
  }
}
