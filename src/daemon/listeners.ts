// Where the API listens: -H unix://, tcp:// (TLS when configured) and fd:// (sockets from
// systemd socket activation, $LISTEN_FDS). Plain or unverified TCP on an address other
// than loopback is refused unless --tls=false/--tlsverify=false says it is meant; even
// then, and on loopback, it is announced loudly (dockerd 27+).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { TlsOptions } from 'node:tls';
import { invalidArgument } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { socketAddress } from '../sys/sockets.ts';
import type { ListenSpec } from '../api/server.ts';
import type { DaemonConfig } from './config.ts';

const FIRST_FD = 3;

/** The fds systemd passed (when they are meant for this process). */
export function activationFds(env: NodeJS.ProcessEnv = process.env): number[] {
  if (env.LISTEN_PID && Number(env.LISTEN_PID) !== process.pid) return [];
  const n = Number(env.LISTEN_FDS ?? 0);
  if (!Number.isInteger(n) || n <= 0) return [];
  return Array.from({ length: n }, (_v, i) => FIRST_FD + i);
}

function isLoopback(ip: string): boolean {
  if (isIP(ip) === 4) return ip.startsWith('127.');
  return ip === '::1' || ip === '0:0:0:0:0:0:0:1';
}

async function allLoopback(host: string): Promise<boolean> {
  if (host === 'localhost') return true;
  if (isIP(host)) return isLoopback(host);
  try {
    const addrs = await lookup(host, { all: true });
    return addrs.length > 0 && addrs.every((a) => isLoopback(a.address));
  } catch {
    return false;
  }
}

/** dockerd's warnings for TCP without client verification; refusal off loopback unless meant. */
async function checkPlainTcp(where: string, host: string, c: DaemonConfig, log: Logger): Promise<void> {
  if (c.tls && c.tlsVerify) return;
  const what = c.tls ? 'without --tlsverify (no client certificates)' : 'without TLS';
  log.warn(
    `Binding to ${where} ${what} is insecure and gives root access on this machine to everyone who has access to your network.`,
    { host: where },
  );
  log.warn(
    'Binding to an IP address, even on localhost, can also give access to scripts run in a browser. Be safe out there!',
    {
      host: where,
    },
  );
  if (await allLoopback(host)) return;
  if (!c.tlsExplicit)
    throw invalidArgument(
      `refusing to listen on ${where} ${what}: anyone who can reach it controls this host as root. ` +
        'Use --tlsverify with --tlscacert, --tlscert and --tlskey, or pass --tls=false (or --tlsverify=false) to accept the risk explicitly',
    );
  log.warn(
    `!!! LISTENING ON ${where} ${what.toUpperCase()}, AS EXPLICITLY REQUESTED: ANYONE ON YOUR NETWORK CAN TAKE OVER THIS HOST !!!`,
    {
      host: where,
    },
  );
}

export async function listenSpecs(
  c: DaemonConfig,
  tls: TlsOptions | undefined,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ListenSpec[]> {
  const out: ListenSpec[] = [];
  for (const h of c.hosts) {
    if (h.startsWith('unix://')) out.push({ kind: 'unix', path: h.slice('unix://'.length) });
    else if (h.startsWith('tcp://')) {
      const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]*)(?::(\d+))?$/.exec(h);
      if (!m) throw invalidArgument(`invalid host address: ${h}`);
      const host = m[1].replace(/^\[|\]$/g, '') || '127.0.0.1';
      const port = m[2] ? Number(m[2]) : c.tls ? 2376 : 2375;
      if (port < 1 || port > 65535) throw invalidArgument(`invalid port in ${h}`);
      await checkPlainTcp(h, host, c, log);
      out.push({ kind: 'tcp', host, port, tls });
    } else if (h.startsWith('fd://')) {
      const fds = activationFds(env);
      if (fds.length === 0)
        throw invalidArgument('no sockets found via socket activation: make sure the service was started by systemd');
      const which = h.slice('fd://'.length);
      let chosen = fds;
      if (which !== '' && which !== '*') {
        const n = Number(which);
        if (!fds.includes(n)) throw invalidArgument(`too few socket activated files passed in by systemd (no fd ${n})`);
        chosen = [n];
      }
      for (const fd of chosen) {
        const a = socketAddress(fd);
        if (a.family === 'unix') out.push({ kind: 'fd', fd, unix: true });
        else if (a.family === 'ipv4' || a.family === 'ipv6') {
          await checkPlainTcp(`fd://${fd} (${a.address}:${a.port})`, a.address, c, log);
          out.push({ kind: 'fd', fd, unix: false, tls });
        } else throw invalidArgument(`socket activated fd ${fd} is neither a unix nor a TCP socket`);
      }
    } else throw invalidArgument(`invalid host address: ${h}`);
  }
  return out;
}
