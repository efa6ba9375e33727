// The one way Berth runs external programs: absolute binary, explicit argv and stdio, no
// shell, a timeout, and typed errors carrying argv, exit code and stderr.
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { BerthError, notFound } from '../common/errors.ts';

export interface RunOptions {
  input?: Buffer | string;
  cwd?: string;
  env?: Record<string, string>;
  /** Default 30 s; 0 disables the timeout. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Resolve with the non-zero code instead of throwing. */
  allowFail?: boolean;
  /** Cap on captured stdout/stderr each (default 64 MiB); beyond it output is dropped. */
  maxOutput?: number;
}

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

export class ExecError extends BerthError {
  readonly argv: string[];
  readonly code: number | null;
  readonly signal: string | null;
  readonly stderr: string;
  constructor(
    argv: string[],
    code: number | null,
    signal: string | null,
    stderr: string,
    why?: string,
    cause?: unknown,
  ) {
    const status = why ?? (signal ? `killed by ${signal}` : `exit status ${code}`);
    const tail = stderr.trim().slice(-2000);
    super('internal', `${argv.join(' ')}: ${status}${tail ? `: ${tail}` : ''}`, { cause });
    this.name = 'ExecError';
    this.argv = argv;
    this.code = code;
    this.signal = signal;
    this.stderr = stderr;
  }
}

const DEFAULT_TIMEOUT = 30_000;
// Children get this PATH unless given an env: never the daemon's own environment.
const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Runs `bin` to completion and collects its output. */
export function run(bin: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const argv = [bin, ...args];
  const max = opts.maxOutput ?? 64 << 20;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new ExecError(argv, null, null, '', 'aborted before start', opts.signal.reason));
      return;
    }
    let child: ChildProcess;
    try {
      child = spawnChild(bin, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      reject(new ExecError(argv, null, null, '', `cannot start: ${(err as Error).message}`, err));
      return;
    }
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    child.stdout!.on('data', (b: Buffer) => {
      if (outLen < max) out.push(b);
      outLen += b.length;
    });
    child.stderr!.on('data', (b: Buffer) => {
      if (errLen < max) errOut.push(b);
      errLen += b.length;
    });
    let why: string | undefined;
    const killGroup = (reason: string) => {
      why ??= reason;
      killProcessGroup(child);
    };
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT;
    const timer = timeoutMs > 0 ? setTimeout(() => killGroup(`timed out after ${timeoutMs} ms`), timeoutMs) : undefined;
    const onAbort = () => killGroup('aborted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let spawnError: Error | undefined;
    child.on('error', (err) => {
      spawnError = err;
    });
    // A child that exits without reading its stdin must not crash us with EPIPE.
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.input ?? undefined);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const res = { code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(errOut) };
      if (spawnError) {
        reject(new ExecError(argv, null, null, '', `cannot start: ${spawnError.message}`, spawnError));
      } else if (why || signal || (code !== 0 && !opts.allowFail)) {
        reject(new ExecError(argv, code, signal, res.stderr.toString('utf8'), why));
      } else {
        resolve(res);
      }
    });
  });
}

/**
 * Starts a long-lived child in its own process group (so it and its descendants can be
 * signalled together) with explicit stdio; no shell is involved.
 */
export function spawnChild(bin: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  if (!isAbsolute(bin)) throw new BerthError('invalid-argument', `binary path must be absolute: ${bin}`);
  return spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...opts,
    env: opts.env ?? { PATH: SAFE_PATH },
    shell: false,
    detached: true,
  });
}

/** SIGKILL the child's whole process group (spawnChild made it a group leader). */
export function killProcessGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

const resolved = new Map<string, string>();

/**
 * Finds `name` once: first among the absolute `candidates`, then on $PATH as it is now.
 * Call at startup; the result is cached so later lookups never consult PATH again.
 */
export function resolveBinary(name: string, candidates: string[] = []): string {
  const hit = resolved.get(name);
  if (hit) return hit;
  const dirs = (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    .split(delimiter)
    .filter((d) => isAbsolute(d));
  const tries = [
    ...candidates.filter((c) => isAbsolute(c)),
    ...(isAbsolute(name) ? [name] : dirs.map((d) => join(d, name))),
  ];
  for (const p of tries) {
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, fsConstants.X_OK);
      resolved.set(name, p);
      return p;
    } catch {
      /* try the next */
    }
  }
  throw notFound(`executable ${JSON.stringify(name)} not found (looked in ${tries.join(', ')})`);
}
