// Requests waiting for their streaming connection: Exec, Attach and PortForward answer a
// URL holding a random single-use token; the client must connect within a minute (as
// kubelet's streaming server). A bounded number wait at once.
import { randomBytes } from 'node:crypto';

const TTL_MS = 60_000;
const MAX_PENDING = 1000;

export class RequestCache<T> {
  private readonly byToken = new Map<string, { req: T; expires: number }>();

  insert(req: T): string {
    this.sweep();
    if (this.byToken.size >= MAX_PENDING) {
      // The oldest goes first (Map keeps insertion order).
      const oldest = this.byToken.keys().next().value;
      if (oldest !== undefined) this.byToken.delete(oldest);
    }
    const token = randomBytes(16).toString('base64url');
    this.byToken.set(token, { req, expires: Date.now() + TTL_MS });
    return token;
  }

  /** The request for a token, once: a second use or an expired token finds nothing. */
  consume(token: string): T | undefined {
    const e = this.byToken.get(token);
    if (!e) return undefined;
    this.byToken.delete(token);
    return e.expires >= Date.now() ? e.req : undefined;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [t, e] of this.byToken) if (e.expires < now) this.byToken.delete(t);
  }
}
