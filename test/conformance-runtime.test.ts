// The real TaskRuntime adapter (daemon/runtime-adapter.ts: containerd-shim-runc-v2, runc,
// overlay root filesystems over a busybox layer) passes the conformance suite the fake
// passes in the unit tests. Root only; each test gets its own exec root and runtime, and a
// shim, mount or task left behind fails it.
import { rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/common/logger.ts';
import { DEFAULTS, type DaemonConfig } from '../src/daemon/config.ts';
import { createRuntime, type EngineRuntime } from '../src/daemon/runtime-adapter.ts';
import { makeBusyboxRootfs, skipReason } from '../src/runtime/testing.ts';
import { overlayMount, prepareRw } from '../src/snapshots/overlay.ts';
import { taskRuntimeConformance, type Program } from '../src/services/testing/task-runtime-conformance.ts';
import { removeCgroupParent } from './helpers/daemon.ts';
import { processAlive, processGone, shimOfBundle, sweepLeaks } from './helpers/host-leaks.ts';

/** Single quotes for sh. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function args(p: Program): string[] {
  switch (p.kind) {
    case 'exit':
      return ['sh', '-c', `printf %s ${q(p.stdout ?? '')}; printf %s ${q(p.stderr ?? '')} >&2; exit ${p.code}`];
    case 'cat':
      return ['cat'];
    case 'sleep':
      return ['sleep', '100000'];
    case 'trap':
      // `wait` is interrupted by a trapped signal; the handler runs at once.
      return ['sh', '-c', `trap 'exit ${p.code}' TERM; sleep 100000 & echo ready; wait`];
    case 'children':
      return ['sh', '-c', 'sleep 100000 & sleep 100000 & echo ready; wait'];
    case 'env':
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.name)) throw new Error(`bad variable name ${p.name}`);
      return ['sh', '-c', `printf '%s\\n' "$${p.name}"`];
    case 'tty-size':
      return ['sh', '-c', 'read x; stty size'];
    case 'missing':
      return ['/no/such/binary'];
    case 'not-executable':
      return ['/notexec'];
  }
}

let image: Promise<string> | undefined;
/** The busybox layer every test's overlay sits on (made once per file). */
function imageDir(base: string): Promise<string> {
  image ??= (async () => {
    const dir = await makeBusyboxRootfs(join(base, 'image'));
    writeFileSync(join(dir, 'notexec'), '#!/bin/sh\necho no\n', { mode: 0o644 });
    return dir;
  })();
  return image;
}

const skip = skipReason();
const fileRoot = skip ? '' : await mkdtemp(join(tmpdir(), 'berth-conformance-rt-'));
process.on('exit', () => {
  if (fileRoot) rmSync(fileRoot, { recursive: true, force: true });
});

taskRuntimeConformance(
  'runtime-adapter (shim + runc)',
  async () => {
    const lower = await imageDir(fileRoot);
    const root = await mkdtemp(join(fileRoot, 't-'));
    const config: DaemonConfig = {
      ...DEFAULTS,
      dataRoot: join(root, 'data'),
      execRoot: join(root, 'exec'),
      cgroupParent: `/berth-conformance-${randomBytes(4).toString('hex')}`,
    };
    let runtime: EngineRuntime = await createRuntime(config, silentLogger);
    const h = {
      runtime: runtime as EngineRuntime,
      args,
      async rootfs(id: string) {
        const rw = await prepareRw(join(root, 'containers', id));
        return [overlayMount([lower], rw.upper, rw.work)];
      },
      readImageFile: (path: string) => readFile(join(lower, path)).catch(() => undefined),
      async restart() {
        await runtime.close();
        runtime = await createRuntime(config, silentLogger);
        h.runtime = runtime;
        return runtime;
      },
      async killSupervisor(id: string) {
        const pid = shimOfBundle(config.execRoot, join(config.execRoot, 'tasks', id));
        if (!pid) throw new Error(`no shim for task ${id}`);
        process.kill(pid, 'SIGKILL');
        await processGone(pid);
      },
      alive: processAlive,
      async close() {
        const left = await runtime.listTasks();
        for (const id of left) await runtime.cleanup(id);
        await runtime.close();
        const leaks = [...left.map((id) => `task ${id}`), ...sweepLeaks(root, config.execRoot)];
        await removeCgroupParent(config.cgroupParent);
        await rm(root, { recursive: true, force: true });
        if (leaks.length) throw new Error(`left behind: ${leaks.join(', ')}`);
      },
    };
    return h;
  },
  { skip },
);
