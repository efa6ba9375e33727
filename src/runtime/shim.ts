// One containerd-shim-runc-v2 per container.
//
// Lifecycle: startShim() (or connectShim() after a berthd restart) → Task API calls through
// shim.task → shim.task.shutdown() once the task is deleted → shim.close(). A shim whose
// process died is cleaned with cleanupDeadShim(), which runs the binary's `delete` action.
//
// What the shim (containerd 1.6 runtime/v2/shim, runc/manager) does and relies on:
// - `<shim> -namespace ns -address A -publish-binary B -id ID start`, cwd = bundle, reads
//   stdin to EOF (an optional Any with runc options for the shim cgroup), creates the socket
//   unix:///run/containerd/s/<sha256(A/ns/ID)> (fixed dir, not configurable), writes it to
//   <bundle>/address, starts the long-lived shim in its own process group with stdio on
//   /dev/null and the listening socket as fd 3, prints the address and exits.
// - The long-lived shim opens <bundle>/log (a FIFO that must already exist) for writing —
//   blocking until someone reads — and dup2()s it onto its stderr; it ignores SIGPIPE
//   (signal.Notify), so a vanished reader costs log lines, never the shim.
// - The `delete` action derives the bundle as dirname(cwd)/ID, so the bundle directory's
//   basename must be the task id. It force-deletes the runc container (root from the
//   bundle's options.json), unmounts <bundle>/rootfs and reports exit 137 with now.
// - Events go to $TTRPC_ADDRESS (containerd.services.events.ttrpc.v1.Events/Forward). We
//   point it at a path where nothing listens: each publish fails at once, is retried 5
//   times 1..5 s apart and dropped, logging an error line each time. Exit codes come from
//   Wait/State/Delete instead.
import { constants as fsc, existsSync, openSync, promises as fsp } from 'node:fs';
import net from 'node:net';
import { basename, join } from 'node:path';
import { internal, invalidArgument, messageOf, unavailable } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { run } from '../sys/exec.ts';
import { TtrpcClient } from './ttrpc.ts';
import { TaskClient, decodeDeleteResponse } from './task-api.ts';
import type { DeleteResult } from './task-api.ts';
import { mkfifo } from './stdio.ts';

export interface ShimConfig {
  /** Absolute path of containerd-shim-runc-v2. */
  shimBinary: string;
  /** containerd namespace passed to the shim; also a path component of runc's root. */
  namespace: string;
  /** The shim's -address: only hashed into its socket name, so unique per engine instance. */
  address: string;
  /** TTRPC_ADDRESS for the shim's event publisher (nothing needs to listen there). */
  ttrpcAddress: string;
  /** -publish-binary: unused by 1.6 shims, but must be harmless if ever run. */
  publishBinary: string;
  /** PATH for the shim (it finds runc there when the runc options give no binary). */
  path?: string;
  debug?: boolean;
  /** Bound on `start`/`delete` actions and on connecting (default 10 s). */
  timeoutMs?: number;
  /** Default deadline of every Task API call (default none). */
  callTimeoutMs?: number;
  log: Logger;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Shim {
  readonly id: string;
  readonly bundle: string;
  /** unix:///run/containerd/s/<hash> */
  readonly address: string;
  readonly pid: number;
  readonly client: TtrpcClient;
  readonly task: TaskClient;
  /** Drops our connection and log reader; the shim keeps running. */
  close(): void;
  /** Resolves when the connection ended (the shim exited, or close()). */
  readonly closed: Promise<void>;
}

export const socketPathOf = (address: string) => address.replace(/^unix:\/\//, '');

function shimEnv(cfg: ShimConfig): Record<string, string> {
  return { PATH: cfg.path ?? DEFAULT_PATH, TTRPC_ADDRESS: cfg.ttrpcAddress };
}

function shimArgs(cfg: ShimConfig, id: string, action: 'start' | 'delete'): string[] {
  return [
    '-namespace',
    cfg.namespace,
    '-address',
    cfg.address,
    '-publish-binary',
    cfg.publishBinary,
    '-id',
    id,
    ...(cfg.debug ? ['-debug'] : []),
    action,
  ];
}

function checkBundle(bundle: string, id: string): void {
  if (basename(bundle) !== id) {
    throw invalidArgument(`shim bundle ${bundle}: directory name must be the task id ${id}`);
  }
}

/** Reads the shim's log FIFO line by line into our logger at debug level. */
function readShimLog(bundle: string, log: Logger): () => void {
  // O_RDWR: never blocks and never reads EOF, whatever the shim is doing.
  const fd = openSync(join(bundle, 'log'), fsc.O_RDWR);
  const sock = new net.Socket({ fd, readable: true, writable: false });
  let partial = '';
  sock.setEncoding('utf8');
  sock.on('data', (s: string) => {
    const lines = (partial + s).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line) log.debug('shim', { line });
  });
  sock.on('error', () => {});
  return () => sock.destroy();
}

async function attach(
  cfg: ShimConfig,
  id: string,
  bundle: string,
  address: string,
  stopLog: () => void,
): Promise<Shim> {
  const timeoutMs = cfg.timeoutMs ?? 10_000;
  let client: TtrpcClient;
  try {
    client = await TtrpcClient.connect(socketPathOf(address), { timeoutMs, defaultCallTimeoutMs: cfg.callTimeoutMs });
  } catch (err) {
    stopLog();
    throw err;
  }
  const task = new TaskClient(client);
  let pid: number;
  try {
    ({ shimPid: pid } = await task.connect(id, { timeoutMs }));
  } catch (err) {
    client.close();
    stopLog();
    throw unavailable(`shim ${id}: not answering at ${address}: ${messageOf(err)}`, err);
  }
  const closed = new Promise<void>((resolve) =>
    client.onClose(() => {
      stopLog();
      resolve();
    }),
  );
  return {
    id,
    bundle,
    address,
    pid,
    client,
    task,
    closed,
    close: () => {
      client.close();
      stopLog();
    },
  };
}

/** Starts a shim for the bundle (config.json already written) and connects to it. */
export async function startShim(
  cfg: ShimConfig,
  opts: { id: string; bundle: string; signal?: AbortSignal },
): Promise<Shim> {
  const { id, bundle } = opts;
  checkBundle(bundle, id);
  const log = cfg.log.child({ shim: id });
  await mkfifo(join(bundle, 'log'), 0o700);
  const stopLog = readShimLog(bundle, log);
  let address: string;
  try {
    const res = await run(cfg.shimBinary, shimArgs(cfg, id, 'start'), {
      cwd: bundle,
      env: shimEnv(cfg),
      timeoutMs: cfg.timeoutMs ?? 10_000,
      signal: opts.signal,
    });
    address = res.stdout.toString('utf8').trim();
  } catch (err) {
    stopLog();
    throw internal(`start shim for ${id}: ${messageOf(err)}`, err);
  }
  if (!address.startsWith('unix://')) {
    stopLog();
    throw internal(`start shim for ${id}: unexpected address ${JSON.stringify(address)}`);
  }
  log.debug('shim started', { address });
  return attach(cfg, id, bundle, address, stopLog);
}

/** Reads <bundle>/address, the only state the shim persists for us. */
export async function readShimAddress(bundle: string): Promise<string | undefined> {
  try {
    const a = (await fsp.readFile(join(bundle, 'address'), 'utf8')).trim();
    return a || undefined;
  } catch {
    return undefined;
  }
}

/** Reconnects to a running shim after a berthd restart. Fails with `unavailable` if it is gone. */
export async function connectShim(cfg: ShimConfig, bundle: string, id = basename(bundle)): Promise<Shim> {
  const address = await readShimAddress(bundle);
  if (!address) throw unavailable(`shim ${id}: no address file in ${bundle}`);
  const logPath = join(bundle, 'log');
  const stopLog = existsSync(logPath) ? readShimLog(bundle, cfg.log.child({ shim: id })) : () => {};
  return attach(cfg, id, bundle, address, stopLog);
}

/** True when something accepts connections on the unix socket. */
export function canConnect(path: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection({ path });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Removes the shim's socket file if nobody serves it any more. */
export async function removeStaleSocket(bundle: string): Promise<void> {
  const address = await readShimAddress(bundle);
  if (!address) return;
  const path = socketPathOf(address);
  if (!existsSync(path) || (await canConnect(path))) return;
  await fsp.rm(path, { force: true });
}

/**
 * After a shim died: runs `<shim> delete` in the bundle, which force-deletes the runc
 * container (killing what is left of it) and unmounts <bundle>/rootfs, then removes the
 * shim's stale socket. Returns the shim's DeleteResponse (1.6 always reports 137 and now).
 */
export async function cleanupDeadShim(cfg: ShimConfig, bundle: string, id = basename(bundle)): Promise<DeleteResult> {
  checkBundle(bundle, id);
  try {
    const res = await run(cfg.shimBinary, shimArgs(cfg, id, 'delete'), {
      cwd: bundle,
      env: shimEnv(cfg),
      timeoutMs: cfg.timeoutMs ?? 10_000,
    });
    return decodeDeleteResponse(res.stdout);
  } finally {
    await removeStaleSocket(bundle).catch(() => {});
  }
}

/**
 * Asks the shim to exit (it does only once it holds no task) and waits for the connection
 * to drop; the shim removes its socket on the way out. A lost reply is expected: the shim
 * may exit before answering.
 */
export async function shutdownShim(shim: Shim, timeoutMs = 10_000): Promise<void> {
  try {
    await shim.task.shutdown(shim.id, false, { timeoutMs });
  } catch (err) {
    if (!shim.client.closed) throw err;
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  const r = await Promise.race([shim.closed.then(() => 'closed' as const), timedOut]);
  clearTimeout(timer);
  shim.close();
  if (r === 'timeout') throw unavailable(`shim ${shim.id}: still running ${timeoutMs}ms after Shutdown`);
  // The shim unlinks its socket after its server stops; give it a moment, then sweep.
  const path = socketPathOf(shim.address);
  for (let i = 0; i < 50 && existsSync(path); i++) await new Promise((r2) => setTimeout(r2, 20));
  await removeStaleSocket(shim.bundle).catch(() => {});
}
