// GET /containers/{id}/top?ps_args=: the host's `ps` with the caller's arguments, rows
// filtered to the container's processes (the shim's Pids), columns as ps printed them —
// dockerd's algorithm (daemon/top_unix.go).
import { conflict, internal, invalidArgument } from '../../common/errors.ts';
import { resolveBinary, run } from '../../sys/exec.ts';
import type { OpContext } from '../../common/context.ts';
import type { ContainerDeps } from './deps.ts';
import type { ContainerTopResponse } from '../../api/types/containers.ts';

/** Docker refuses labelling another column "PID": rows could not be matched any more. */
export function validatePsArgs(psArgs: string): void {
  for (const m of psArgs.matchAll(/\s+([^\s]*)=\s*(PID[^\s]*)/g)) {
    if (m[1] !== 'pid') throw invalidArgument(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}

/** Splits ps output into titles and the rows whose PID is one of `pids`. */
export function parsePsOutput(output: string, pids: number[]): ContainerTopResponse {
  const lines = output.split('\n');
  const Titles = (lines[0] ?? '').trim().split(/\s+/).filter(Boolean);
  const pidIndex = Titles.indexOf('PID');
  if (pidIndex < 0) throw internal(`Couldn't find PID field in ps output`);
  const wanted = new Set(pids);
  const Processes: string[][] = [];
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const fields = line.trim().split(/\s+/);
    // the last column takes the rest of the line (the command and its arguments)
    const row =
      fields.length > Titles.length
        ? [...fields.slice(0, Titles.length - 1), fields.slice(Titles.length - 1).join(' ')]
        : fields;
    const pid = Number(row[pidIndex]);
    if (Number.isInteger(pid) && wanted.has(pid)) Processes.push(row);
  }
  return { Titles, Processes };
}

let psPath: string | undefined;

export interface TopOptions {
  /** `ps` options as one string (Docker's ps_args); -ef when empty. */
  psArgs?: string;
}

/** `ps` is killed when `ctx.signal` aborts. */
export async function containerTop(
  deps: Pick<ContainerDeps, 'store' | 'live'>,
  ctx: OpContext,
  idOrName: string,
  opts: TopOptions = {},
): Promise<ContainerTopResponse> {
  const psArgs = opts.psArgs || '-ef';
  const c = deps.store.resolve(idOrName);
  const args = (psArgs || '-ef').split(' ').filter(Boolean);
  validatePsArgs(psArgs || '-ef');
  const task = deps.live.get(c.record.id).task;
  const st = c.runtime.state.Status;
  if (st === 'restarting')
    throw conflict(`Container ${c.record.id} is restarting, wait until the container is running`);
  if ((st !== 'running' && st !== 'paused') || !task) throw conflict(`Container ${c.record.id} is not running`);
  const pids = await task.pids();
  psPath ??= resolveBinary('ps', ['/usr/bin/ps', '/bin/ps']);
  // `-q pid,…` asks ps for just these rows; some options (f) refuse it, then all rows come.
  let r = await run(psPath, [...args, '-q', pids.join(',')], {
    allowFail: true,
    timeoutMs: 10_000,
    signal: ctx.signal,
  });
  if (r.code !== 0) r = await run(psPath, args, { allowFail: true, timeoutMs: 10_000, signal: ctx.signal });
  if (r.code !== 0) throw internal(`ps: ${r.stderr.toString().trim() || `exit status ${r.code}`}`);
  return parsePsOutput(r.stdout.toString(), pids);
}
