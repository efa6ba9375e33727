// Network namespaces and links through rtnetlink, without a process per change: batches of
// operations run in order on one long-lived worker thread (`netns-worker.ts`), the only
// thread that ever enters another network namespace. A batch stops at its first failure
// and rejects with a NetlinkError; what it made before stays for the caller to release.
import { Worker } from 'node:worker_threads';
import { BerthError } from '../common/errors.ts';
import { sysError } from './libc.ts';

export type NetOp =
  /**
   * Makes a new namespace and bind-mounts it at `path` (as `ip netns add`); with `from` (a
   * namespace file, e.g. one a container's user namespace owns) binds that one instead.
   */
  | { op: 'netns'; path: string; from?: string }
  /** A veth pair made in the host namespace; the peer is made straight in `peer.ns`, down. */
  | {
      op: 'veth';
      name: string;
      mtu: number;
      master?: string;
      up?: boolean;
      peer: { name: string; mtu: number; mac?: string; ns?: string };
    }
  /** A macvlan or ipvlan link on a host `parent`, made straight in `ns` with its name there. */
  | {
      op: 'sublink';
      kind: 'macvlan' | 'ipvlan';
      name: string;
      parent: string;
      mtu: number;
      mode: number;
      flags?: number;
      mac?: string;
      ns: string;
    }
  | { op: 'up'; ns?: string; name: string }
  /** An IPv4 or IPv6 address; `nodad` makes an IPv6 one usable at once. */
  | { op: 'addr'; ns?: string; name: string; cidr: string; nodad?: boolean }
  /**
   * The default route via `gateway` out of `name` (no gateway: straight out of `name`, for
   * `family`); `replace` moves an existing default route of that family here.
   */
  | { op: 'route'; ns?: string; name: string; gateway?: string; family?: 4 | 6; replace?: boolean }
  /** Writes /proc/sys/<key> as seen from `ns` (e.g. `net/ipv6/conf/eth0/disable_ipv6`). */
  | { op: 'sysctl'; ns?: string; key: string; value: string }
  | { op: 'del'; ns?: string; name: string; missingOk?: boolean }
  /** A TCP connection to `port` on the loopback of namespace `ns`; its fd is returned. */
  | { op: 'connect'; ns: string; port: number };

export interface NetRequest {
  id: number;
  ops: NetOp[];
}
export type NetResponse =
  | { id: number; ok: true; fds: number[] }
  | { id: number; ok: false; error: { message: string; errno: number; op: number } };

/** A failed netlink batch; `code` is the errno name (EEXIST, ENODEV…) as node:fs errors carry. */
export class NetlinkError extends BerthError {
  readonly code: string;
  readonly errno: number;
  constructor(message: string, errno: number) {
    super(errno === 17 ? 'conflict' : 'internal', message);
    this.name = 'NetlinkError';
    this.errno = errno;
    this.code = errno ? sysError('netlink', errno).code : 'UNKNOWN';
  }
}

const TIMEOUT_MS = 10_000;
let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<
  number,
  { resolve: (fds: number[]) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
>();

function drop(w: Worker, err: Error): void {
  if (worker !== w) return;
  worker = undefined;
  for (const [id, p] of pending) {
    clearTimeout(p.timer);
    p.reject(err);
    pending.delete(id);
  }
  void w.terminate();
}

function start(): Worker {
  if (worker) return worker;
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const w = new Worker(new URL(`./netns-worker.${ext}`, import.meta.url));
  w.unref();
  w.on('message', (r: NetResponse) => {
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    clearTimeout(p.timer);
    if (!pending.size) w.unref();
    if (r.ok) p.resolve(r.fds);
    else p.reject(new NetlinkError(r.error.message, r.error.errno));
  });
  w.on('error', (e) => drop(w, new NetlinkError(`netlink worker failed: ${e.message}`, 0)));
  w.on('exit', (code) => drop(w, new NetlinkError(`netlink worker exited (${code})`, 0)));
  return (worker = w);
}

/** Starts the worker ahead of the first batch (loading it takes tens of ms). */
export function warmNetlink(): void {
  start();
}

export function netlink(ops: NetOp[]): Promise<void> {
  if (!ops.length) return Promise.resolve();
  return run(ops).then(() => undefined);
}

/**
 * A connected TCP socket's fd to `port` on the loopback of the network namespace at
 * `nsPath` (a pod's, for port-forward): 127.0.0.1, else ::1. The caller owns the fd.
 */
export async function connectInNamespace(nsPath: string, port: number): Promise<number> {
  const fds = await run([{ op: 'connect', ns: nsPath, port }]);
  return fds[0];
}

function run(ops: NetOp[]): Promise<number[]> {
  const w = start();
  const id = ++nextId;
  return new Promise<number[]>((resolve, reject) => {
    // A worker stuck in a syscall is replaced; the batch's outcome is then unknown.
    const timer = setTimeout(
      () => drop(w, new NetlinkError(`netlink batch timed out after ${TIMEOUT_MS} ms`, 110)),
      TIMEOUT_MS,
    );
    pending.set(id, { resolve, reject, timer });
    w.ref();
    w.postMessage({ id, ops } satisfies NetRequest);
  });
}
