// The worker thread behind `netns.ts`: runs batches of rtnetlink operations with plain
// syscalls. setns(2)/unshare(2) act on the calling thread only, which is why this is a
// thread of its own: Node's main thread never changes namespace. A netlink socket stays
// bound to the namespace it was opened in, so the host socket is opened once, before any
// namespace change, and a container's socket is opened while the thread is briefly in
// the container's namespace, then the thread goes back.
import { parentPort } from 'node:worker_threads';
import { closeSync, constants, mkdirSync, openSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import koffi from 'koffi';
import { closeFd, MNT_DETACH, MS_BIND, MS_REC, MS_SHARED, mount, sysError, umount2 } from './libc.ts';
import * as nl from './netlink.ts';
import type { NetOp, NetRequest, NetResponse } from './netns.ts';

type Fn = (...args: unknown[]) => number | bigint;
const c = koffi.load('libc.so.6');
const f = (decl: string) => c.func(decl) as unknown as Fn;
const sys = {
  socket: f('int socket(int domain, int type, int protocol)'),
  setsockopt: f('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'),
  sendto: f('long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t alen)'),
  recv: f('long recv(int fd, void *buf, size_t len, int flags)'),
  unshare: f('int unshare(int flags)'),
  setns: f('int setns(int fd, int nstype)'),
  connect: f('int connect(int fd, const void *addr, uint32_t len)'),
};
const check = (ret: number | bigint, call: string, what?: string) => {
  const n = Number(ret);
  if (n < 0) throw sysError(call, koffi.errno(), what);
  return n;
};

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;
const CLONE_NEWNET = 0x40000000;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SO_SNDTIMEO = 21;
const ECONNREFUSED = 111;

/**
 * A TCP connection to the namespace's own loopback (127.0.0.1, then ::1 as kubelet tries),
 * made by the thread while it is in that namespace: the socket stays there. Loopback
 * connects finish at once; SO_SNDTIMEO bounds one that does not.
 */
function loopbackConnect(port: number): number {
  let last: unknown;
  for (const family of [AF_INET, AF_INET6]) {
    const fd = check(sys.socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), 'socket');
    const tv = Buffer.alloc(16);
    tv.writeBigInt64LE(5n, 0);
    sys.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv, 16);
    const addr = Buffer.alloc(family === AF_INET ? 16 : 28);
    addr.writeUInt16LE(family, 0);
    addr.writeUInt16BE(port, 2);
    if (family === AF_INET) addr.set([127, 0, 0, 1], 4);
    else addr[23] = 1; // ::1 (sin6_addr at 8..23)
    if (Number(sys.connect(fd, addr, addr.length)) === 0) return fd;
    const errno = koffi.errno();
    closeFd(fd);
    last = new OpError(errno, `connect to port ${port}: ${sysError('connect', errno).message.split(',')[0]}`);
    if (errno !== ECONNREFUSED && errno !== 99 /* EADDRNOTAVAIL: no ::1 */ && errno !== 97 /* EAFNOSUPPORT */) break;
  }
  throw last;
}

function openNetlink(): number {
  const fd = check(sys.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), 'socket');
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  sys.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, one, 4); // error texts; best effort
  sys.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, one, 4);
  const tv = Buffer.alloc(16); // a kernel that never answers must not hang the thread
  tv.writeBigInt64LE(5n, 0);
  check(sys.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16), 'setsockopt');
  return fd;
}

/** sockaddr_nl of the kernel: family AF_NETLINK, pid 0, no groups. */
const KERNEL = Buffer.alloc(12);
KERNEL.writeUInt16LE(AF_NETLINK, 0);

const hostNs = openSync('/proc/thread-self/ns/net', 'r');
const hostSock = openNetlink();
const rbuf = Buffer.alloc(1 << 16);
let seq = Math.floor(Math.random() * 1e6);

class OpError extends Error {
  errno: number;
  constructor(errno: number, message: string) {
    super(message);
    this.errno = errno;
  }
}

/** Sends one request and returns its answer (null for an ACK). */
function request(fd: number, build: (seq: number) => Buffer, what: string): nl.NlMessage | null {
  const s = ++seq;
  const msg = build(s);
  check(sys.sendto(fd, msg, msg.length, 0, KERNEL, KERNEL.length), 'sendto', what);
  for (;;) {
    const n = check(sys.recv(fd, rbuf, rbuf.length, 0), 'recv', what);
    for (const m of nl.parseMessages(rbuf.subarray(0, n))) {
      if (m.seq !== s) continue; // the late answer to a request that timed out
      if (m.type !== nl.NLMSG_ERROR) return m;
      const e = nl.parseError(m);
      if (e.errno === 0) return null;
      const err = sysError('netlink', e.errno, what);
      throw new OpError(e.errno, `${what}: ${err.message.split(',')[0]}${e.text ? ` (${e.text})` : ''}`);
    }
  }
}

function indexOf(fd: number, name: string): number {
  const m = request(fd, (s) => nl.getLink(s, name), `find link ${name}`);
  if (!m || m.type !== nl.RTM_NEWLINK) throw new OpError(19, `find link ${name}: no answer`);
  return nl.parseLink(m).index;
}

let runDirReady = '';
/** As `ip netns add` does: the directory is a shared mount, so mounts in it propagate. */
function ensureRunDir(dir: string): void {
  if (runDirReady === dir) return;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  try {
    mount('', dir, 'none', MS_SHARED | MS_REC, null);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EINVAL') throw err;
    mount(dir, dir, 'none', MS_BIND | MS_REC, null); // not a mount point yet
    mount('', dir, 'none', MS_SHARED | MS_REC, null);
  }
  runDirReady = dir;
}

/** Moves this thread into `nsFd` for `fn`, then back; failing to get back ends the thread. */
function inNamespace<T>(nsFd: number | 'new', fn: () => T): T {
  if (nsFd === 'new') check(sys.unshare(CLONE_NEWNET), 'unshare');
  else check(sys.setns(nsFd, CLONE_NEWNET), 'setns');
  try {
    return fn();
  } finally {
    if (Number(sys.setns(hostNs, CLONE_NEWNET)) < 0) {
      // Never run another operation from the wrong namespace.
      process.exit(70);
    }
  }
}

/** Sockets and namespace fds of one batch, closed at its end. */
class Batch {
  /** File descriptors the batch hands back (they stay open). */
  out: number[] = [];
  socks = new Map<string, number>();
  fds = new Map<string, number>();
  nsFd(path: string): number {
    let fd = this.fds.get(path);
    if (fd === undefined) this.fds.set(path, (fd = openSync(path, 'r')));
    return fd;
  }
  sock(ns?: string): number {
    if (!ns) return hostSock;
    let fd = this.socks.get(ns);
    if (fd === undefined) this.socks.set(ns, (fd = inNamespace(this.nsFd(ns), openNetlink)));
    return fd;
  }
  createNetns(path: string, from?: string): void {
    ensureRunDir(dirname(path));
    closeSync(openSync(path, constants.O_RDONLY | constants.O_CREAT | constants.O_EXCL, 0));
    try {
      if (from) {
        mount(from, path, 'none', MS_BIND, null);
        this.socks.set(path, inNamespace(this.nsFd(path), openNetlink));
        return;
      }
      this.socks.set(
        path,
        inNamespace('new', () => {
          mount('/proc/thread-self/ns/net', path, 'none', MS_BIND, null);
          return openNetlink();
        }),
      );
    } catch (err) {
      try {
        umount2(path, MNT_DETACH);
      } catch {
        /* not mounted */
      }
      unlinkSync(path);
      throw err;
    }
  }
  close(): void {
    for (const fd of this.socks.values()) closeFd(fd); // not node:fs's: it did not open them
    for (const fd of this.fds.values()) closeSync(fd);
  }
}

function runOp(b: Batch, op: NetOp): void {
  switch (op.op) {
    case 'netns':
      b.createNetns(op.path, op.from);
      return;
    case 'veth': {
      const master = op.master ? indexOf(hostSock, op.master) : undefined;
      request(
        hostSock,
        (s) =>
          nl.newVeth(s, {
            name: op.name,
            mtu: op.mtu,
            master,
            up: op.up,
            peer: {
              name: op.peer.name,
              mtu: op.peer.mtu,
              mac: op.peer.mac,
              nsFd: op.peer.ns ? b.nsFd(op.peer.ns) : undefined,
            },
          }),
        `add veth ${op.name}`,
      );
      return;
    }
    case 'sublink': {
      const parent = indexOf(hostSock, op.parent);
      request(
        hostSock,
        (s) =>
          nl.newSubLink(s, {
            kind: op.kind,
            name: op.name,
            parent,
            mtu: op.mtu,
            mode: op.mode,
            flags: op.flags,
            mac: op.mac,
            nsFd: b.nsFd(op.ns),
          }),
        `add ${op.kind} ${op.name} on ${op.parent}`,
      );
      return;
    }
    case 'up':
      request(b.sock(op.ns), (s) => nl.setLinkUp(s, op.name), `set ${op.name} up`);
      return;
    case 'addr': {
      const fd = b.sock(op.ns);
      const index = indexOf(fd, op.name);
      request(fd, (s) => nl.newAddr(s, index, op.cidr, { nodad: op.nodad }), `add address ${op.cidr} to ${op.name}`);
      return;
    }
    case 'route': {
      const fd = b.sock(op.ns);
      const index = indexOf(fd, op.name);
      request(
        fd,
        (s) => nl.newDefaultRoute(s, index, op.gateway ?? { family: op.family ?? 4 }, op.replace),
        `${op.replace ? 'replace' : 'add'} default route ${op.gateway ? `via ${op.gateway} ` : ''}on ${op.name}`,
      );
      return;
    }
    case 'sysctl': {
      // /proc/sys/net is the calling thread's network namespace: write it from inside.
      const write = () => writeFileSync(`/proc/sys/${op.key}`, op.value);
      if (op.ns) inNamespace(b.nsFd(op.ns), write);
      else write();
      return;
    }
    case 'connect':
      b.out.push(inNamespace(b.nsFd(op.ns), () => loopbackConnect(op.port)));
      return;
    case 'del':
      try {
        request(b.sock(op.ns), (s) => nl.delLink(s, op.name), `delete link ${op.name}`);
      } catch (err) {
        if (!((op.missingOk && (err as OpError).errno === 19) /* ENODEV */)) throw err;
      }
  }
}

function handle(req: NetRequest): NetResponse {
  const b = new Batch();
  let i = 0;
  try {
    for (; i < req.ops.length; i++) runOp(b, req.ops[i]);
    return { id: req.id, ok: true, fds: b.out };
  } catch (err) {
    for (const fd of b.out) closeFd(fd);
    const e = err as Error & { errno?: number; code?: string };
    const errno = e instanceof OpError ? e.errno : typeof e.errno === 'number' ? Math.abs(e.errno) : 0;
    return { id: req.id, ok: false, error: { message: e.message, errno, op: i } };
  } finally {
    b.close();
  }
}

parentPort!.on('message', (req: NetRequest) => parentPort!.postMessage(handle(req)));
