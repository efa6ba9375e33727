// Socket calls Node does not expose: a unix peer's credentials (SO_PEERCRED), the family
// and address of an inherited socket (systemd socket activation), and sd_notify(3) over
// the unix datagram socket systemd names in $NOTIFY_SOCKET.
import koffi from 'koffi';
import { readFileSync } from 'node:fs';
import { lib, sysError } from './libc.ts';

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
  /** Supplementary groups of the peer process (read from /proc when it still exists). */
  groups: number[];
}

/** The credentials of the process at the other end of a connected unix socket. */
export function peerCredentials(fd: number): PeerCredentials {
  const buf = Buffer.alloc(12);
  const len = [12];
  if (lib().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, buf, len) < 0) throw sysError('getsockopt', koffi.errno());
  const pid = buf.readInt32LE(0);
  const cred = { pid, uid: buf.readUInt32LE(4), gid: buf.readUInt32LE(8), groups: [] as number[] };
  try {
    const m = /^Groups:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) cred.groups = m[1].split(/\s+/).filter(Boolean).map(Number);
  } catch {
    /* the peer already went away */
  }
  return cred;
}

export type SocketAddress =
  | { family: 'unix'; path: string }
  | { family: 'ipv4' | 'ipv6'; address: string; port: number }
  | { family: 'other' };

/** getsockname(2) of an fd: what kind of socket systemd handed over, and where it listens. */
export function socketAddress(fd: number): SocketAddress {
  const buf = Buffer.alloc(128);
  const len = [128];
  if (lib().getsockname(fd, buf, len) < 0) throw sysError('getsockname', koffi.errno());
  const family = buf.readUInt16LE(0);
  if (family === AF_UNIX) {
    const raw = buf.subarray(2, len[0]);
    const nul = raw.indexOf(0, raw[0] === 0 ? 1 : 0);
    const path =
      raw[0] === 0
        ? `@${raw.subarray(1, nul < 0 ? raw.length : nul)}`
        : raw.subarray(0, nul < 0 ? raw.length : nul).toString();
    return { family: 'unix', path };
  }
  if (family === AF_INET) {
    return { family: 'ipv4', port: buf.readUInt16BE(2), address: [...buf.subarray(4, 8)].join('.') };
  }
  if (family === AF_INET6) {
    const parts: string[] = [];
    for (let i = 0; i < 8; i++) parts.push(buf.readUInt16BE(8 + i * 2).toString(16));
    return { family: 'ipv6', port: buf.readUInt16BE(2), address: parts.join(':').replace(/(^|:)0(:0)+(:|$)/, '::') };
  }
  return { family: 'other' };
}

/**
 * sd_notify(3): sends `state` (e.g. "READY=1") to $NOTIFY_SOCKET. False when berthd was not
 * started by systemd with a notify socket; errors are the caller's to log.
 */
export function sdNotify(state: string, socketPath = process.env.NOTIFY_SOCKET): boolean {
  if (!socketPath) return false;
  const path = Buffer.from(socketPath.startsWith('@') ? `\0${socketPath.slice(1)}` : socketPath);
  if (path.length > 107) throw new Error(`NOTIFY_SOCKET path too long: ${socketPath}`);
  const addr = Buffer.alloc(2 + path.length + (socketPath.startsWith('@') ? 0 : 1));
  addr.writeUInt16LE(AF_UNIX, 0);
  path.copy(addr, 2);
  const fd = lib().socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw sysError('socket', koffi.errno());
  try {
    const msg = Buffer.from(state);
    if (lib().sendto(fd, msg, msg.length, 0, addr, addr.length) < 0)
      throw sysError('sendto', koffi.errno(), socketPath);
  } finally {
    lib().close(fd);
  }
  return true;
}
