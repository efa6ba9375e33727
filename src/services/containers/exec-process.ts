// The run of a started exec process: its output pumped to one client (or drained), its
// exit recorded, its record on disk (containers/<id>/execs/<exec>.json) so a berthd
// restart finds it again (restoreExecs), and those files cleared when the container's run
// ends. exec.ts holds the verbs; the supervisor uses the restore and clear halves.
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { errnoCode } from '../../common/errors.ts';
import { frame } from '../../common/stdcopy.ts';
import type { Logger } from '../../common/logger.ts';
import type { Container, ContainerStore } from '../../containers/store.ts';
import type { EventBus } from '../../events/bus.ts';
import type { ExecProcess, Task } from './ports.ts';
import type { ExecEntry, ExecRecord, ExecRegistry } from './exec-registry.ts';

const OUTPUT_DRAIN_MS = 2000;

export interface ExecRunDeps {
  readonly store: ContainerStore;
  readonly execs: ExecRegistry;
  readonly events: EventBus;
}

const execsDir = (deps: ExecRunDeps, containerId: string) => join(deps.store.dir(containerId), 'execs');

/** Ephemeral state: no fsync (a lost write costs one exit code after a host crash). */
export async function persistExec(deps: ExecRunDeps, r: ExecRecord): Promise<void> {
  const dir = execsDir(deps, r.ContainerID);
  // Not recursive: a container removed meanwhile (its directory moved to the trash) must
  // not come back as a directory with only execs/ in it.
  await mkdir(dir, { mode: 0o700 }).catch((err) => {
    if (errnoCode(err) !== 'EEXIST') throw err;
  });
  await writeFile(join(dir, `${r.ID}.json`), JSON.stringify(r), { mode: 0o600 });
}

function persistLater(deps: ExecRunDeps, log: Logger, r: ExecRecord): void {
  void persistExec(deps, r).catch((err) => log.debug('exec record not saved', { exec: r.ID, err }));
}

/** Waits for the exit (and the output, bounded), records it and removes the process. */
export async function finishExec(
  deps: ExecRunDeps,
  log: Logger,
  c: Container,
  e: ExecEntry,
  proc: ExecProcess,
  outputDone: Promise<unknown>,
): Promise<void> {
  const r = e.record;
  const exit = await proc.wait().catch(() => ({ exitCode: 137, exitedAt: new Date().toISOString() }));
  await Promise.race([outputDone, new Promise((res) => setTimeout(res, OUTPUT_DRAIN_MS).unref())]);
  r.Running = false;
  r.ExitCode = exit.exitCode;
  e.proc = undefined;
  await proc.delete();
  persistLater(deps, log, r);
  deps.execs.trim(c.record.id);
  deps.events.publish('container', 'exec_die', c.record.id, { execID: r.ID, exitCode: String(exit.exitCode) });
}

/**
 * Copies exec output to one client with backpressure (a client that stops reading stops
 * the process once the pipe fills, as with Docker); once the client is gone output is
 * drained and dropped. Resolves each source's promise when it ends.
 */
export class OutputPump {
  private conn: Duplex | undefined;
  private readonly framed: boolean;
  private readonly sources: Readable[] = [];

  constructor(conn: Duplex | undefined, framed: boolean) {
    this.conn = conn;
    this.framed = framed;
  }

  /** `stream` 0 drops this source's output. */
  add(src: Readable, stream: number): Promise<void> {
    this.sources.push(src);
    src.on('data', (b: Buffer) => {
      const conn = this.conn;
      if (!conn || stream === 0 || conn.destroyed) return;
      if (!conn.write(this.framed ? frame(stream, b) : b)) {
        src.pause();
        conn.once('drain', () => src.resume());
      }
    });
    return new Promise((resolve) => {
      src.once('end', resolve);
      src.once('close', resolve);
      src.once('error', () => resolve());
    });
  }

  /** The client went away: keep draining, drop everything. */
  detach(): void {
    this.conn = undefined;
    for (const s of this.sources) s.resume();
  }
}

/**
 * After a berthd restart, for a container whose task was re-adopted: loads its exec
 * records, re-attaches running execs (output drained) and records exits that happened
 * while berthd was away.
 */
export async function restoreExecs(deps: ExecRunDeps, log: Logger, c: Container, task: Task): Promise<void> {
  const dir = execsDir(deps, c.record.id);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    if (!n.endsWith('.json')) continue;
    let r: ExecRecord;
    try {
      r = JSON.parse(await readFile(join(dir, n), 'utf8')) as ExecRecord;
    } catch {
      continue;
    }
    if (r.ContainerID !== c.record.id) continue;
    const e: ExecEntry = { record: r };
    deps.execs.add(e);
    if (!r.Running) continue;
    const found = await task.restoreExec(r.ID, { terminal: r.ProcessConfig.tty }).catch((err) => {
      log.warn('could not restore exec', { exec: r.ID, err });
      return undefined;
    });
    if (found && 'proc' in found) {
      e.proc = found.proc;
      const out = new OutputPump(undefined, false);
      const outputDone = Promise.all([
        out.add(found.proc.io.stdout, 0),
        found.proc.io.stderr ? out.add(found.proc.io.stderr, 0) : undefined,
      ]);
      void finishExec(deps, log, c, e, found.proc, outputDone).catch((err) =>
        log.warn('exec exit handling failed', { exec: r.ID, err }),
      );
      continue;
    }
    r.Running = false;
    r.ExitCode = found ? found.exited.exitCode : 255;
    persistLater(deps, log, r);
    deps.events.publish('container', 'exec_die', c.record.id, { execID: r.ID, exitCode: String(r.ExitCode) });
  }
}

/** The container's run is over: its exec files go (the in-memory records stay until removal). */
export async function clearExecFiles(deps: { readonly store: ContainerStore }, containerId: string): Promise<void> {
  await rm(join(deps.store.dir(containerId), 'execs'), { recursive: true, force: true });
}
