// Starting a container: spec, rootfs mounts, log sink and live stdio around a new task.
// The hot path of `run`: nothing here may do work that could be done at create time.
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { conflict, messageOf, notFound, notModified, BerthError } from '../../common/errors.ts';
import { chainIds } from '../../common/digest.ts';
import { startCopier } from '../../logs/copier.ts';
import type { Container } from '../../containers/store.ts';
import type { ContainerDeps } from './deps.ts';
import type { BindMount, Task } from './ports.ts';
import { parseBind } from './validate.ts';
import { containerEnv } from './env.ts';
import { hostnamePath, hostsPath, resolvConfPath } from './files.ts';
import { openLogSink, type LogSink } from './log-sink.ts';
import { teeOutput } from './tee.ts';
import { handleExit } from './monitor.ts';
import { sharesHostNetwork } from './network-mode.ts';

export async function startContainer(deps: ContainerDeps, idOrName: string): Promise<void> {
  const c = deps.store.resolve(idOrName);
  await deps.locks
    .run(c.record.id, async () => {
      const st = c.runtime.state.Status;
      if (st === 'running') throw notModified();
      if (st === 'paused') throw conflict('cannot start a paused container, try unpause instead');
      if (st === 'removing' || st === 'dead') throw conflict('Container is marked for removal and cannot be started.');
      c.runtime.manuallyStopped = false;
      await launchTask(deps, c);
    })
    .catch(async (err) => {
      // Docker removes an --rm container whose start failed.
      if (c.record.hostConfig.AutoRemove && deps.store.get(c.record.id)) {
        const { removeContainer } = await import('./remove.ts');
        await removeContainer(deps, c.record.id, { force: true }).catch(() => {});
      }
      throw err;
    });
}

/** Creates and starts a task for a container; the caller holds the container's lock. */
export async function launchTask(deps: ContainerDeps, c: Container): Promise<void> {
  const id = c.record.id;
  const live = deps.live.get(id);
  if (live.restartTimer) {
    clearTimeout(live.restartTimer);
    live.restartTimer = undefined;
  }
  // A previous run's exit may still be being recorded: its task must be gone first.
  if (live.exitHandled) await live.exitHandled;
  const img = deps.images.get(c.record.image);
  if (!img) throw notFound(`No such image: ${c.record.config.Image}`);
  const chain = chainIds(img.doc.rootfs.diff_ids);
  const lowers = chain.length > 0 ? deps.layers.lowerDirs(chain[chain.length - 1]) : [];
  const dir = deps.store.dir(id);
  const cfg = c.record.config;
  const hc = c.record.hostConfig;
  const binds: BindMount[] = (hc.Binds ?? []).map(parseBind);
  const tty = Boolean(cfg.Tty);

  let task: Task | undefined;
  const log = openLogSink(deps, c);
  // The namespace is prepared (veths, addresses, rules, /etc files) while the spec is built.
  let net: ReturnType<NonNullable<ContainerDeps['network']>['prepare']> | undefined;
  try {
    net = deps.network?.prepare(c);
    const specP = deps.runtime.buildSpec({
      id,
      args: [c.record.path, ...c.record.args],
      env: containerEnv(cfg, net?.env),
      cwd: cfg.WorkingDir || '/',
      user: cfg.User ?? '',
      readImageFile: (p) => deps.layers.readFile(lowers, join(dir, 'upper'), p, 1 << 20),
      terminal: tty,
      hostname: cfg.Hostname ?? id.slice(0, 12),
      domainname: cfg.Domainname ?? '',
      readonlyRootfs: Boolean(hc.ReadonlyRootfs),
      binds,
      hostFiles: { hostname: hostnamePath(dir), hosts: hostsPath(dir), resolvConf: resolvConfPath(dir) },
      network: net?.network ?? (sharesHostNetwork(hc.NetworkMode) ? 'host' : 'private'),
      init: Boolean(hc.Init),
      hostConfig: hc,
    });
    const [spec] = await Promise.all([specP, net?.ready]);
    task = await deps.runtime.create({
      id,
      spec,
      rootfs: deps.layers.rootfsMounts(lowers, dir, false),
      terminal: tty,
      openStdin: Boolean(cfg.OpenStdin),
    });
    const pid = await adoptTask(deps, c, task, log, true);
    c.runtime.state = {
      ...c.runtime.state,
      Status: 'running',
      Pid: pid,
      ExitCode: 0,
      Error: '',
      StartedAt: new Date().toISOString(),
      OOMKilled: false,
    };
    c.runtime.hasBeenStarted = true;
    // Not awaited: the shim is the truth about a running task (start-up reconciliation
    // adopts a live task whatever the record says), so the fsync stays off the start path.
    void deps.store
      .saveState(c)
      .catch((err) => deps.log.error('saving container state failed', { container: id, err }));
    deps.events.publish('container', 'start', id, { image: cfg.Image, name: c.record.name });
  } catch (err) {
    await log?.close().catch(() => {});
    if (task) await task.delete().catch(() => {});
    if (net)
      await net.ready
        .catch(() => {})
        .then(() => deps.network?.release(id))
        .catch(() => {});
    live.io.resetStdin();
    const code = deps.runtime.exitCodeFor(err);
    c.runtime.state = { ...c.runtime.state, ExitCode: code, Error: messageOf(err) };
    await deps.store.saveState(c).catch(() => {});
    const kind = err instanceof BerthError ? err.kind : 'internal';
    if (kind === 'not-found' || kind === 'conflict') throw err;
    throw new BerthError(kind, `failed to create task for container: ${messageOf(err)}`, { cause: err });
  }
}

/**
 * Connects a task to the container's live stdio, log sink and exit handling. For a new
 * task it also starts it; for one re-adopted after a berthd restart it is already running.
 */
export async function adoptTask(
  deps: ContainerDeps,
  c: Container,
  task: Task,
  log: LogSink | undefined,
  start: boolean,
): Promise<number> {
  const live = deps.live.get(c.record.id);
  const stdout = teeOutput(task.io.stdout, (b) => live.io.deliver('stdout', b));
  const stderr = task.io.stderr ? teeOutput(task.io.stderr, (b) => live.io.deliver('stderr', b)) : null;
  // Without a log driver the output only feeds attach clients: no line splitting at all.
  const copier = log ? startCopier({ stdout, stderr, onMessage: [log.handler] }) : discard(stdout, stderr);
  live.io.connectStdin(task.io.stdin, () => task.closeStdin());
  let pid = task.pid;
  try {
    if (start) pid = await task.start();
  } catch (err) {
    copier.close();
    throw err;
  }
  live.task = task;
  live.closeLog = log ? () => log.close() : undefined;
  const started = Date.now();
  live.exitHandled = task
    .wait()
    .catch(() => ({ exitCode: 255, exitedAt: new Date().toISOString() }))
    .then((exit) =>
      handleExit(deps, c, task, exit, {
        copierDone: copier.done,
        closeCopier: () => copier.close(),
        ranMs: Date.now() - started,
      }),
    );
  return pid;
}

/** Consumes output nobody logs, with the copier's shape (done at EOF of both, close). */
function discard(...streams: (Readable | null)[]): { done: Promise<void>; close(): void } {
  const live = streams.filter((s): s is Readable => s !== null);
  const done = Promise.all(
    live.map(
      (s) =>
        new Promise<void>((r) => {
          s.once('end', r);
          s.once('close', r);
          s.resume();
        }),
    ),
  ).then(() => {});
  return {
    done,
    close: () => {
      for (const s of live) s.destroy();
    },
  };
}
