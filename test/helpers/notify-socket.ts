// A systemd notify socket for tests ($NOTIFY_SOCKET): a unix datagram socket (Node has
// none, so through libc) collecting what sd_notify(3) sends.
import koffi from 'koffi';
import { rmSync } from 'node:fs';

type Fn = (...a: unknown[]) => number;
const c = koffi.load('libc.so.6');
const socket = c.func('int socket(int, int, int)') as unknown as Fn;
const bind = c.func('int bind(int, const void *, uint32_t)') as unknown as Fn;
const recv = c.func('long recv(int, void *, size_t, int)') as unknown as Fn;
const close = c.func('int close(int)') as unknown as Fn;
const listen = c.func('int listen(int, int)') as unknown as Fn;

function unixAddr(path: string): Buffer {
  const p = Buffer.from(path);
  const addr = Buffer.alloc(2 + p.length + 1);
  addr.writeUInt16LE(1, 0);
  p.copy(addr, 2);
  return addr;
}

/**
 * A listening unix stream socket as systemd would pass it: an fd nobody in this process
 * accepts on (a node:net server would compete for the connections). closeFd() when done.
 */
export function listeningUnixSocket(path: string): { fd: number; closeFd(): void } {
  rmSync(path, { force: true });
  const fd = socket(1, 1, 0);
  const addr = unixAddr(path);
  if (fd < 0 || bind(fd, addr, addr.length) < 0 || listen(fd, 64) < 0) throw new Error(`listen on ${path} failed`);
  return { fd, closeFd: () => close(fd) };
}

export interface NotifySocket {
  path: string;
  /** Every message received so far, oldest first. */
  messages(): string[];
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  close(): void;
}

export function notifySocket(path: string): NotifySocket {
  rmSync(path, { force: true });
  const fd = socket(1, 2 | 0o4000 /* SOCK_NONBLOCK */, 0);
  if (fd < 0) throw new Error('socket failed');
  const addr = unixAddr(path);
  if (bind(fd, addr, addr.length) < 0) throw new Error(`bind ${path} failed`);
  const got: string[] = [];
  const buf = Buffer.alloc(4096);
  const drain = () => {
    for (;;) {
      const n = recv(fd, buf, buf.length, 0);
      if (n <= 0) return;
      got.push(buf.subarray(0, n).toString());
    }
  };
  return {
    path,
    messages: () => {
      drain();
      return [...got];
    },
    async waitFor(re, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        drain();
        const m = got.find((x) => re.test(x));
        if (m) return m;
        if (Date.now() > deadline) throw new Error(`no ${re} on the notify socket (got ${JSON.stringify(got)})`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close() {
      close(fd);
      rmSync(path, { force: true });
    },
  };
}
