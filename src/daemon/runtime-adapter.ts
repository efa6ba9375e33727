// Puts runtime/ (shims over ttrpc, runc) behind the services' TaskRuntime port: bundles
// live in <exec-root>/tasks/<id>, runc state in <exec-root>/runc, so two engines on one
// host never see each other's containers.
import { chmodSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { MNT_DETACH, MS_NODEV, MS_NOEXEC, MS_NOSUID, closeFd, mount, umount2 } from '../sys/libc.ts';
import { conflict, errnoCode, invalidArgument, notFound } from '../common/errors.ts';
import { isMounted } from '../sys/mountinfo.ts';
import { dirname, join } from 'node:path';
import type { Logger } from '../common/logger.ts';
import { resolveBinary } from '../sys/exec.ts';
import { Runtime, TaskStartError, type TaskHandle } from '../runtime/task.ts';
import { DEFAULT_SHM_SIZE, allCapabilities, buildEnv, buildSpec, capabilities, hostRlimits } from '../runtime/spec.ts';
import { defaultProfileText, seccompFor } from '../runtime/seccomp.ts';
import { hostDevices } from '../runtime/devices.ts';
import { parseSecurityOpts } from '../oci/security-opts.ts';
import { parseSeccompProfile } from '../oci/seccomp-profile.ts';
import { oomKills, readCgroup } from '../runtime/cgroups.ts';
import { devicesFromHostConfig, resourcesFromHostConfig, type ResourceFields } from '../runtime/resources.ts';
import { resolveUser } from '../runtime/user.ts';
import { stdioPaths } from '../runtime/stdio.ts';
import { listenEvents } from '../runtime/events.ts';
import { ShimPool } from '../runtime/shim-pool.ts';
import type { LinuxSeccomp, Process, Spec } from '../oci/runtime-spec.ts';
import { killAndDelete, taskOf, type TaskContext } from './runtime-task.ts';
import type {
  CreateTaskRequest,
  ExecProcessInput,
  SpecInput,
  Task,
  TaskRuntime,
  UserResolver,
} from '../services/containers/ports.ts';
import type { DaemonConfig, RuntimeConfig } from './config.ts';
import { writeFileAtomic } from '../sys/atomic.ts';
import { fitsMountCall, mountAll } from '../snapshots/overlay.ts';
import { bindNetnsIn, bindUserAndNetns, unbindNamespace, userNamespaceFd } from '../sys/userns.ts';
import type { Remap } from './userns-remap.ts';
import { mountShm, removeBundle, shmDir } from './task-bundle.ts';

const DEFAULT_NET_SYSCTLS = {
  'net.ipv4.ping_group_range': '0 2147483647',
  'net.ipv4.ip_unprivileged_port_start': '0',
};

/** The services' UserResolver: runtime/user.ts, runc's semantics and messages. */
export const userResolver: UserResolver = {
  resolve(user, files) {
    const u = resolveUser(user, files.passwd, files.group);
    return { uid: u.uid, gid: u.gid };
  },
};

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

export type EngineRuntime = TaskRuntime & { runcPath: string; shimPath: string; close(): Promise<void> };

/**
 * The binary for a runtime named in daemon.json `runtimes`: its path, or (with runtimeArgs)
 * a script in <exec-root>/runtimes that execs it with them, as dockerd writes one — the
 * shim runs a single binary.
 */
async function runtimeBinary(execRoot: string, name: string, r: RuntimeConfig): Promise<string> {
  if (!r.runtimeArgs?.length) return r.path;
  const dir = join(execRoot, 'runtimes');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = `#!/bin/sh\nexec ${[r.path, ...r.runtimeArgs].map(q).join(' ')} "$@"\n`;
  const file = join(dir, name);
  await writeFileAtomic(file, script, 0o700);
  return file;
}

const iso = (d: Date) => d.toISOString();

export async function createRuntime(config: DaemonConfig, log: Logger, remap?: Remap): Promise<EngineRuntime> {
  const runcPath = resolveBinary(config.runtime, ['/usr/sbin/runc', '/usr/bin/runc']);
  const shimPath = resolveBinary(config.shim, ['/usr/bin/containerd-shim-runc-v2']);
  const tasksDir = join(config.execRoot, 'tasks');
  await mkdir(tasksDir, { recursive: true, mode: 0o700 });
  // A remapped container's root reaches its rootfs (<bundle>/rootfs) as an unprivileged
  // uid: the directories on the way are searchable (not listable) by others, as dockerd's.
  if (remap) for (const d of [config.execRoot, tasksDir]) await chmod(d, 0o711);
  // The user namespace the layers of remapped containers are idmapped through: one for
  // the daemon's mapping, made at the first such start and kept open.
  let usernsFd: Promise<number> | undefined;
  const remapFd = (r: Remap) =>
    (usernsFd ??= userNamespaceFd(r.uidMap, r.gidMap).catch((err) => {
      usernsFd = undefined;
      throw err;
    }));
  const rlimits = hostRlimits();
  // Shims publish events here; acknowledging them keeps shims from stalling on a dead
  // address (exit codes themselves come from Wait/State/Delete, not from events).
  const eventsPath = join(config.execRoot, 'events.sock');
  // OOM kills the shims report, to the listeners of the container's current task.
  const oomListeners = new Map<string, Set<() => void>>();
  const events = await listenEvents(eventsPath, {
    log,
    onEvent: (ev) => {
      if (ev.oom) for (const l of oomListeners.get(ev.oom.containerId) ?? []) l();
    },
  });
  const shimConfig = {
    shimBinary: shimPath,
    namespace: 'berth',
    address: join(config.execRoot, 'berthd.shim'),
    ttrpcAddress: eventsPath,
    publishBinary: '/bin/true',
    log,
  };
  // A CRI pod starts two tasks back to back (its infra, then its container): with one
  // idle shim the second would launch its own (~10 ms on the start path).
  const pool = new ShimPool(shimConfig, tasksDir, config.cri ? 2 : 1);
  await pool.sweep();
  const rt = new Runtime({
    shim: shimConfig,
    pool,
    runcBinary: runcPath,
    runcRoot: join(config.execRoot, 'runc'),
    log,
  });
  const bundleOf = (id: string) => join(tasksDir, id);
  // The runtime binary each spec was built for (HostConfig.Runtime, else default-runtime).
  const runtimeOfSpec = new WeakMap<object, string>();
  /** `config` is live: runtimes and default ulimits follow a reload for later starts. */
  const pickRuntime = async (name: string | undefined): Promise<string> => {
    const n = name || config.defaultRuntime || 'runc';
    if (n === 'runc') return runcPath;
    const r = config.runtimes[n];
    if (!r) throw invalidArgument(`unknown or invalid runtime name: ${n}`);
    return runtimeBinary(config.execRoot, n, r);
  };
  const handles = new Set<TaskHandle>();
  // Set while berthd shuts down: connections we drop on purpose are not dead shims.
  let closing = false;

  const taskContext: TaskContext = {
    rt,
    log,
    closing: () => closing,
    forget: (h) => {
      handles.delete(h);
      oomListeners.delete(h.id);
    },
    execs: new Set(),
    removeBundle,
    onOom(id, listener) {
      let set = oomListeners.get(id);
      if (!set) oomListeners.set(id, (set = new Set()));
      set.add(listener);
    },
    oomKilled: async (id) => (await oomKills(await cgroupPathOf(id)).catch(() => 0)) > 0,
  };
  function wrap(h: TaskHandle, terminal: boolean): Task {
    handles.add(h);
    return taskOf(h, terminal, taskContext);
  }

  // The daemon's seccomp profile (daemon.json `seccomp-profile`): read once; bad JSON stops
  // berthd at start-up. undefined: containers run unconfined unless they ask for one.
  const daemonProfile =
    config.seccompProfile === 'unconfined'
      ? undefined
      : parseSeccompProfile(
          config.seccompProfile === '' || config.seccompProfile === 'builtin'
            ? defaultProfileText()
            : readFileSync(config.seccompProfile, 'utf8'),
        );
  const builtin = parseSeccompProfile(defaultProfileText());
  const apparmorEnabled = (() => {
    try {
      return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
    } catch {
      return false;
    }
  })();

  /** dockerd's WithSeccomp: unconfined, a privileged container's explicit profile only, or the asked/daemon/default one. */
  function seccompOf(want: string | undefined, privileged: boolean, caps: string[]): LinuxSeccomp | undefined {
    if (want === 'unconfined') return undefined;
    if (want === 'builtin') return seccompFor(builtin, caps);
    if (want) return seccompFor(parseSeccompProfile(want), caps);
    if (privileged || !daemonProfile) return undefined;
    return seccompFor(daemonProfile, caps);
  }

  /** Where a task's cgroup is: its spec says (a per-container parent may differ from ours). */
  async function cgroupPathOf(id: string): Promise<string> {
    const spec = await readFile(join(bundleOf(id), 'config.json'), 'utf8').then(
      (t) => JSON.parse(t) as Spec,
      () => undefined,
    );
    return spec?.linux?.cgroupsPath ?? `${(config.cgroupParent || '/berth').replace(/\/+$/, '')}/${id}`;
  }

  /** The spec's /dev/shm for a container whose IPC is not private. */
  function shmOf(
    id: string,
    shm: NonNullable<NonNullable<SpecInput['namespaces']>['shm']>,
    hc: SpecInput['hostConfig'],
  ) {
    if (shm === 'none') return 'none' as const;
    if (shm === 'host') return { source: '/dev/shm' };
    if (shm === 'shareable') {
      shareable.set(id, (hc.ShmSize as number | undefined) || DEFAULT_SHM_SIZE);
      return { source: shmDir(bundleOf(id)) };
    }
    return { source: shmDir(bundleOf(shm.container)) };
  }
  /**
   * The spec's user namespace under userns-remap: the one prepareUserns bound, or the
   * donor's when the container joins another's network, PID or IPC namespace (dockerd's
   * rule: a namespace is used from the user namespace that owns it).
   */
  function usernsOf(r: Remap, id: string, ns: NonNullable<SpecInput['namespaces']>) {
    const path = ns.user?.path ?? preparedUserns.get(id);
    return { uidMappings: r.uidMap, gidMappings: r.gidMap, ...(path ? { path } : {}) };
  }
  /**
   * The host IPC namespace's mqueue filesystem, mounted once by berthd (which is in that
   * namespace) for remapped `--ipc host` containers to bind: their user namespace may not
   * mount it. Unmounted when berthd stops.
   */
  const mqueueDir = join(config.execRoot, 'mqueue');
  let mqueueMounted = isMounted(mqueueDir); // left by a berthd that was killed
  function hostMqueue(): string {
    if (!mqueueMounted) {
      mkdirSync(mqueueDir, { recursive: true, mode: 0o755 });
      if (!isMounted(mqueueDir)) mount('mqueue', mqueueDir, 'mqueue', MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
      mqueueMounted = true;
    }
    return mqueueDir;
  }
  /** Containers whose user namespace prepareUserns made, by ID: the bound namespace file. */
  const preparedUserns = new Map<string, string>();
  const usernsDir = join(config.execRoot, 'userns');

  /** Containers whose shareable /dev/shm create() mounts, with its size. */
  const shareable = new Map<string, number>();

  // Namespaces bound for a launch a killed berthd never finished.
  for (const n of await readdir(usernsDir).catch(() => [] as string[])) unbindNamespace(join(usernsDir, n));

  pool.fill();
  return {
    runcPath,
    shimPath,
    async prepareUserns(id, hc, joinUserns) {
      if (!remap || hc.UsernsMode === 'host') return undefined;
      await mkdir(usernsDir, { recursive: true, mode: 0o700 });
      const user = join(usernsDir, id);
      const netns = `${user}.net`;
      unbindNamespace(user);
      unbindNamespace(netns);
      if (joinUserns) await bindNetnsIn(joinUserns, netns);
      else {
        await bindUserAndNetns(remap.uidMap, remap.gidMap, user, netns);
        preparedUserns.set(id, user);
      }
      let done = false;
      return {
        netns,
        done() {
          if (done) return;
          done = true;
          preparedUserns.delete(id);
          unbindNamespace(user);
          unbindNamespace(netns);
        },
      };
    },
    async buildSpec(i: SpecInput): Promise<unknown> {
      const [passwd, group] = await Promise.all([i.readImageFile('/etc/passwd'), i.readImageFile('/etc/group')]);
      const user = resolveUser(i.user, passwd?.toString(), group?.toString(), i.hostConfig.GroupAdd ?? []);
      const hc = i.hostConfig;
      const binary = await pickRuntime(hc.Runtime as string | undefined);
      const own = new Set((hc.Ulimits ?? []).map((u) => u.Name));
      const ulimits = [
        ...(hc.Ulimits ?? []).map((u) => ({ Name: u.Name ?? '', Soft: u.Soft ?? 0, Hard: u.Hard ?? 0 })),
        ...Object.values(config.defaultUlimits).filter((u) => !own.has(u.Name)),
      ];
      const ns = i.namespaces ?? {};
      const privileged = Boolean(hc.Privileged);
      const sec = parseSecurityOpts(hc.SecurityOpt);
      const capAdd = hc.CapAdd ?? [];
      const capDrop = hc.CapDrop ?? [];
      const devs = devicesFromHostConfig(hc as ResourceFields);
      // Privileged: every host device too (Docker's HostDevices), after any --device mapping.
      if (privileged)
        devs.devices.push(...hostDevices('/dev').filter((n) => !devs.devices.some((x) => x.path === n.path)));
      const userns = remap && hc.UsernsMode !== 'host' ? usernsOf(remap, i.id, ns) : undefined;
      const spec = buildSpec({
        id: i.id,
        ...(userns ? { userns } : {}),
        ...(userns && ns.ipc === 'host' ? { mqueueSource: hostMqueue() } : {}),
        args: i.args,
        env: i.env,
        cwd: i.cwd,
        user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
        terminal: i.terminal,
        hostname: i.hostname,
        domainname: i.domainname,
        network: i.network === 'host' ? 'host' : i.network === 'private' ? 'none' : i.network.path,
        pidHost: ns.pid === 'host',
        ipcHost: ns.ipc === 'host',
        utsHost: ns.uts === 'host',
        joinNamespaces: {
          ...(typeof ns.pid === 'object' ? { pid: ns.pid.path } : {}),
          ...(typeof ns.ipc === 'object' ? { ipc: ns.ipc.path } : {}),
          ...(typeof ns.uts === 'object' ? { uts: ns.uts.path } : {}),
        },
        ...(ns.shm ? { shm: shmOf(i.id, ns.shm, hc) } : {}),
        cgroupNamespace: hc.CgroupnsMode === 'private',
        resources: resourcesFromHostConfig(hc as ResourceFields),
        devices: devs.devices,
        deviceRules: devs.rules,
        ...(Array.isArray(hc.MaskedPaths) ? { maskedPaths: hc.MaskedPaths as string[] } : {}),
        ...(Array.isArray(hc.ReadonlyPaths) ? { readonlyPaths: hc.ReadonlyPaths as string[] } : {}),
        readonlyRootfs: i.readonlyRootfs,
        mounts: i.mounts,
        rootfsPropagation: i.rootfsPropagation,
        etcFiles: i.hostFiles,
        shmSize: hc.ShmSize || undefined,
        init: i.init,
        // A container's own parent (HostConfig.CgroupParent; kubelet's pod cgroup) over the daemon's.
        cgroupParent: (typeof hc.CgroupParent === 'string' && hc.CgroupParent) || config.cgroupParent,
        oomScoreAdj: hc.OomScoreAdj,
        // dockerd's defaults in a network namespace of the container's own: unprivileged
        // ICMP echo and low ports for any user; the container's own sysctls win.
        sysctls: {
          ...(i.network === 'host' || hc.NetworkMode?.startsWith('container:') ? {} : DEFAULT_NET_SYSCTLS),
          // In a user namespace only its own gids may be named (dockerd caps the range so).
          ...(userns && !(i.network === 'host' || hc.NetworkMode?.startsWith('container:'))
            ? { 'net.ipv4.ping_group_range': `0 ${userns.gidMappings.reduce((n, m) => n + m.size, 0) - 1}` }
            : {}),
          ...(hc.Sysctls ?? {}),
        },
        capAdd,
        capDrop,
        noNewPrivileges: sec.noNewPrivileges ?? config.noNewPrivileges,
        privileged,
        writableCgroups: sec.writableCgroups,
        seccomp: seccompOf(sec.seccomp, privileged, privileged ? allCapabilities() : capabilities(capAdd, capDrop)),
        ...(sec.apparmor && apparmorEnabled ? { apparmorProfile: sec.apparmor } : {}),
        hostRlimits: rlimits,
        // The runtime's to read (`runc state` shows them), as dockerd passes them on.
        ...(hc.Annotations && Object.keys(hc.Annotations).length ? { annotations: { ...hc.Annotations } } : {}),
        rlimits: ulimits.map((u) => ({
          type: `RLIMIT_${u.Name.toUpperCase()}`,
          soft: u.Soft,
          hard: u.Hard,
        })),
      });
      runtimeOfSpec.set(spec, binary);
      return spec;
    },
    async buildExecProcess(i: ExecProcessInput): Promise<unknown> {
      // The container's own process (its config.json stays in the bundle while it runs)
      // is the base: capabilities, rlimits, user and env as the container has them.
      const text = await readFile(join(bundleOf(i.containerId), 'config.json'), 'utf8').catch((err) => {
        if (errnoCode(err) === 'ENOENT') throw notFound(`container ${i.containerId} has no task`, err);
        throw err;
      });
      const spec = JSON.parse(text) as Spec;
      const base = spec.process!;
      let user = base.user;
      if (i.user) {
        const [passwd, group] = await Promise.all([i.readImageFile('/etc/passwd'), i.readImageFile('/etc/group')]);
        const u = resolveUser(i.user, passwd?.toString(), group?.toString());
        user = { uid: u.uid, gid: u.gid, ...(u.additionalGids.length ? { additionalGids: u.additionalGids } : {}) };
      }
      const inherited = (base.env ?? []).filter(
        (e) => !e.startsWith('PATH=') && !e.startsWith('HOSTNAME=') && !e.startsWith('TERM='),
      );
      const hostname = (base.env ?? []).find((e) => e.startsWith('HOSTNAME='))?.slice('HOSTNAME='.length);
      const caps = i.privileged ? allCapabilities() : undefined;
      const proc: Process = {
        ...base,
        terminal: i.terminal,
        args: i.args,
        env: buildEnv(
          [...(base.env ?? []).filter((e) => e.startsWith('PATH=')), ...inherited, ...i.env],
          hostname,
          i.terminal,
        ),
        cwd: i.cwd || base.cwd || '/',
        user,
        ...(caps ? { capabilities: { bounding: caps, effective: caps, permitted: caps }, noNewPrivileges: false } : {}),
      };
      delete (proc as { consoleSize?: unknown }).consoleSize;
      return proc;
    },
    cgroupStats: async (id, opts) => readCgroup(await cgroupPathOf(id), opts),
    async create(req: CreateTaskRequest): Promise<Task> {
      const bundleDir = bundleOf(req.id);
      // A bundle with a shim's address belongs to a task (it may be running): never wipe it.
      if ([...handles].some((h) => h.id === req.id) || (await exists(join(bundleDir, 'address'))))
        throw conflict(`a task for container ${req.id} already exists`);
      await removeBundle(bundleDir);
      // An overlay of very many layers is longer than the shim's mount(2) takes: berthd
      // mounts that one itself (the new mount API passes each lower dir on its own).
      // A remapped container's layers are idmapped clones: berthd mounts that rootfs too.
      const remapped = Boolean((req.spec as Spec).linux?.uidMappings?.length);
      const idmapFd = remapped && remap ? await remapFd(remap) : undefined;
      const own = !req.rootfs.every(fitsMountCall) || idmapFd !== undefined;
      const shmSize = shareable.get(req.id);
      shareable.delete(req.id);
      if (shmSize !== undefined) mountShm(bundleDir, shmSize);
      const h = await rt
        .createTask({
          id: req.id,
          bundleDir,
          spec: req.spec as Spec,
          rootfs: own ? [] : req.rootfs,
          mountRootfs: own
            ? (dir) => {
                if (idmapFd !== undefined) chmodSync(dirname(dir), 0o711);
                mountAll(req.rootfs, dir, { idmapUsernsFd: idmapFd });
              }
            : undefined,
          stdio: stdioPaths(bundleDir, { stdin: req.openStdin }),
          terminal: req.terminal,
          runtimeBinary: runtimeOfSpec.get(req.spec as object),
          durableOutput: req.durableOutput,
        })
        .catch(async (err) => {
          await removeBundle(bundleDir).catch(() => {}); // a failed create leaves no task (nor its /dev/shm)
          throw err;
        });
      return wrap(h, req.terminal);
    },
    async restore(id, opts) {
      const bundleDir = bundleOf(id);
      if (!(await stat(bundleDir).catch(() => undefined))) return undefined;
      const r = await rt.restore(id, bundleDir, { durableOutput: opts.durableOutput });
      if (r.status === 'dead') {
        await removeBundle(bundleDir);
        return { exited: { exitCode: r.exitCode, exitedAt: iso(r.exitedAt) } };
      }
      if (r.state.status === 'created') {
        // berthd died between Create and Start: the process never ran (the start call never
        // answered). Nothing to adopt: the task goes; the record says what the container is.
        await killAndDelete(r.handle).catch(() => r.handle.close());
        await removeBundle(bundleDir);
        return undefined;
      }
      if (r.state.status === 'stopped' || !r.handle.io) {
        const exit =
          r.state.status === 'stopped'
            ? { exitCode: r.state.exitStatus, exitedAt: iso(r.state.exitedAt ?? new Date()) }
            : { exitCode: 255, exitedAt: iso(new Date()) };
        await killAndDelete(r.handle).catch(() => r.handle.close());
        await removeBundle(bundleDir);
        return { exited: exit };
      }
      return {
        task: wrap(r.handle, opts.terminal),
        paused: r.state.status === 'paused' || r.state.status === 'pausing',
      };
    },
    async cleanup(id) {
      const bundleDir = bundleOf(id);
      if (!(await exists(bundleDir))) return;
      // A shim that still answers is asked to kill and delete its task and exit; a dead
      // one is left to the shim binary's delete action (which restore runs).
      const held = [...handles].find((h) => h.id === id);
      if (held) handles.delete(held);
      const found = held ? { handle: held } : await rt.restore(id, bundleDir).catch(() => undefined);
      if (found && 'handle' in found) {
        await killAndDelete(found.handle).catch(async (err) => {
          log.debug('cleanup', { id, err });
          found.handle.close();
          await rt.cleanupDead(id, bundleDir);
        });
      } else if (!found) await rt.cleanupDead(id, bundleDir).catch((err) => log.debug('cleanup', { id, err }));
      await removeBundle(bundleDir);
    },
    async listTasks() {
      const names = await readdir(tasksDir).catch(() => [] as string[]);
      return names.filter((n) => /^[0-9a-f]{64}$/.test(n));
    },
    exitCodeFor(err: unknown): number {
      let e: unknown = err;
      for (let i = 0; i < 5 && e; i++) {
        if (e instanceof TaskStartError) return e.exitCode;
        e = (e as { cause?: unknown }).cause;
      }
      return 125;
    },
    async close() {
      // Containers keep running: only our connections and FIFO fds go.
      closing = true;
      await pool.close();
      if (usernsFd) await usernsFd.then(closeFd, () => {});
      if (mqueueMounted) {
        // Lazily: running containers keep their binds of it.
        try {
          umount2(mqueueDir, MNT_DETACH);
          rmdirSync(mqueueDir);
        } catch (err) {
          log.warn('unmounting the host mqueue failed', { err });
        }
      }
      for (const h of handles) h.close();
      handles.clear();
      for (const e of taskContext.execs) e.close();
      taskContext.execs.clear();
      await events.close();
    },
  };
}
