// A connected AF_UNIX datagram socket (Node's dgram has none): syslog's unixgram:// and
// /dev/log, and the journal's native socket. Sends never block the event loop: a full
// receive queue (EAGAIN) is retried with a short backoff — the caller's promise waits,
// which is how the blocking log mode holds the container back — until `close()`.
import { closeFd, sendDatagram, unixDgramConnect } from './libc.ts';

const RETRY_MS = [1, 2, 5, 10, 20, 50, 100];

export class UnixDatagramSocket {
  readonly path: string;
  #fd: number | undefined;

  /** Connects at once: a missing or refusing socket throws (ENOENT, ECONNREFUSED…). */
  constructor(path: string) {
    this.path = path;
    this.#fd = unixDgramConnect(path);
  }

  /** Resolves once the datagram is queued; rejects on errors other than a full queue, or when closed. */
  async send(data: Buffer): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.#fd === undefined) throw Object.assign(new Error('socket closed'), { code: 'ECONNRESET' });
      if (sendDatagram(this.#fd, data)) return;
      await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]));
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      closeFd(fd);
    } catch {
      /* already gone */
    }
  }
}
