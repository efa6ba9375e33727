// dockerd's checks of a create (and update) request beyond JSON types: resources, modes,
// capabilities, devices, sysctls, hosts, MAC addresses, runtime — Docker's messages, all
// refused at create so nothing is stored that fails later. adaptHostConfig then fills in
// what dockerd fills in (swap default, IPC and cgroup namespace modes, container IDs).
import { isIP } from 'node:net';
import { invalidArgument, isKind } from '../../common/errors.ts';
import { normalizeCapabilities } from '../../oci/capabilities.ts';
import { parseSecurityOpts } from '../../oci/security-opts.ts';
import { parseSeccompProfile } from '../../oci/seccomp-profile.ts';
import { isDeviceAccess, parseDeviceCgroupRule } from '../../oci/device-rules.ts';
import type { ContainerConfig, HostConfig, Resources } from '../../api/types/containers.ts';
import type { HostFacts } from './host-facts.ts';
import { verifyResources } from './resources.ts';

export interface SettingsContext {
  readonly facts: HostFacts;
  /** A container's ID from its name or ID; throws not-found. */
  resolveContainer(idOrName: string): string;
  /** Runtime names a container may ask for (daemon.json `runtimes` plus runc). */
  readonly runtimes: readonly string[];
  /** The daemon runs containers in a user namespace (`userns-remap`) unless they ask for the host's. */
  readonly usernsRemap?: boolean;
}

const CONTAINER_PREFIX = 'container:';
/** Docker's smallest health-check duration (1 ms, in nanoseconds). */
const MIN_HEALTH_DURATION = 1_000_000;

/** `container:<name|id>` → the name or ID; undefined for any other mode. */
export function modeContainer(mode: string | undefined): string | undefined {
  return mode?.startsWith(CONTAINER_PREFIX) ? mode.slice(CONTAINER_PREFIX.length) : undefined;
}

/** Go's net.ParseMAC: 6, 8 or 20 bytes as xx:xx…, xx-xx… or xxxx.xxxx…. */
export function isMacAddress(s: string): boolean {
  const sizes = [6, 8, 20];
  if (/^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(s)) return sizes.includes(s.split(':').length);
  if (/^[0-9a-f]{2}(-[0-9a-f]{2})+$/i.test(s)) return sizes.includes(s.split('-').length);
  if (/^[0-9a-f]{4}(\.[0-9a-f]{4})+$/i.test(s)) return sizes.includes(s.split('.').length * 2);
  return false;
}

const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/**
 * Only namespaced sysctls (runc's list): IPC ones, fs.mqueue.*, net.* and the UTS names —
 * each refused when the container shares that namespace with the host.
 */
function checkSysctl(name: string, value: unknown, hc: HostConfig, facts: HostFacts): void {
  if (typeof value !== 'string') throw invalidArgument(`invalid value for sysctl ${name}`);
  const ipcHost = hc.IpcMode === 'host';
  if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) {
    if (ipcHost) throw invalidArgument(`sysctl '${name}' is not allowed in the host's IPC namespace`);
  } else if (name.startsWith('net.')) {
    if (hc.NetworkMode === 'host')
      throw invalidArgument(`sysctl '${name}' is not allowed in the host's network namespace`);
    // Interface sysctls name an interface the container has, not the host: check the default's.
    const generic = name.replace(/^net\.(ipv4|ipv6)\.(conf|neigh)\.[^.]+\./, 'net.$1.$2.default.');
    if (!facts.sysctlExists(generic)) throw invalidArgument(`sysctl '${name}' does not exist in the kernel`);
  } else if (name === 'kernel.domainname' || name === 'kernel.hostname') {
    if (hc.UTSMode === 'host') throw invalidArgument(`sysctl '${name}' is not allowed in the host's UTS namespace`);
    if (name === 'kernel.hostname')
      throw invalidArgument(`sysctl '${name}' is not allowed: set the container's hostname with --hostname`);
  } else {
    throw invalidArgument(`sysctl '${name}' is not allowed: it is not namespaced`);
  }
}

/** Where runc refuses a bind: /proc itself, and anything inside it but a few files. */
const PROC_FILES_ALLOWED = new Set([
  '/proc/cpuinfo',
  '/proc/diskstats',
  '/proc/meminfo',
  '/proc/stat',
  '/proc/swaps',
  '/proc/uptime',
  '/proc/loadavg',
  '/proc/slabinfo',
  '/proc/net/dev',
  '/proc/sys/kernel/ns_last_pid',
]);

function cleanPath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** runc's rule for mounts over /proc, checked at create instead of failing at start. */
export function checkMountDestination(type: string, destination: string): void {
  const dest = cleanPath(destination);
  if (dest === '/proc')
    throw invalidArgument(
      `invalid mount config for type "${type}": "/proc" cannot be mounted because it is not of type proc`,
    );
  if (dest.startsWith('/proc/') && !PROC_FILES_ALLOWED.has(dest))
    throw invalidArgument(
      `invalid mount config for type "${type}": "${dest}" cannot be mounted because it is inside /proc`,
    );
}

function bindDestination(spec: string): string | undefined {
  const parts = spec.split(':');
  return parts.length >= 2 ? parts[1] : undefined;
}

function checkDevices(hc: HostConfig, facts: HostFacts): void {
  for (const d of (hc.Devices ?? []) as {
    PathOnHost?: string;
    PathInContainer?: string;
    CgroupPermissions?: string;
  }[]) {
    const host = d.PathOnHost ?? '';
    const inCtr = d.PathInContainer || host;
    const perms = d.CgroupPermissions || 'rwm';
    if (!host.startsWith('/')) throw invalidArgument(`${host} is not an absolute path`);
    if (!inCtr.startsWith('/')) throw invalidArgument(`${inCtr} is not an absolute path`);
    if (!isDeviceAccess(perms)) throw invalidArgument(`invalid device mode: ${perms}`);
    facts.devices(host);
  }
  for (const rule of hc.DeviceCgroupRules ?? []) parseDeviceCgroupRule(rule);
  for (const req of hc.DeviceRequests ?? []) {
    // No device driver (NVIDIA's or a CDI one) is registered here: every request fails as
    // dockerd's does when none matches.
    const caps = `[${(req.Capabilities ?? []).map((c) => `[${c.join(' ')}]`).join(' ')}]`;
    throw invalidArgument(
      `could not select device driver ${JSON.stringify(req.Driver ?? '')} with capabilities: ${caps}`,
    );
  }
  const blkio = [
    ...(hc.BlkioWeightDevice ?? []),
    ...(hc.BlkioDeviceReadBps ?? []),
    ...(hc.BlkioDeviceWriteBps ?? []),
    ...(hc.BlkioDeviceReadIOps ?? []),
    ...(hc.BlkioDeviceWriteIOps ?? []),
  ];
  for (const b of blkio) {
    if (!b?.Path) throw invalidArgument('invalid blkio device: a Path is required');
    facts.blockDevice(b.Path);
  }
}

const MOUNT_TYPES = ['bind', 'volume', 'tmpfs', 'npipe', 'cluster', 'image'];

function checkHealthcheck(cfg: ContainerConfig): void {
  const h = cfg.Healthcheck;
  if (!h) return;
  for (const f of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const) {
    const v = h[f] ?? 0;
    if (v !== 0 && v < MIN_HEALTH_DURATION) throw invalidArgument(`${f} in Healthcheck cannot be less than 1ms`);
  }
  if ((h.Retries ?? 0) < 0) throw invalidArgument('Retries in Healthcheck cannot be negative');
}

function resolveModeContainer(ctx: SettingsContext, what: string, mode: string | undefined): string | undefined {
  const target = modeContainer(mode);
  if (target === undefined) return undefined;
  if (target === '') throw invalidArgument(`invalid ${what} mode: ${mode}`);
  try {
    return ctx.resolveContainer(target);
  } catch (err) {
    if (isKind(err, 'not-found')) throw invalidArgument(`No such container: ${target}`);
    throw err;
  }
}

/**
 * Everything dockerd's verifyContainerSettings refuses, plus what runc would refuse at
 * start. Mutates `hc` where Docker drops what the host cannot enforce; returns warnings.
 */
export function verifyContainerSettings(
  ctx: SettingsContext,
  config: ContainerConfig | undefined,
  hc: HostConfig,
  update = false,
): string[] {
  if (config) checkHealthcheck(config);
  for (const h of hc.ExtraHosts ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) throw invalidArgument(`bad format for add-host: ${JSON.stringify(h)}`);
    const ip = h.slice(i + 1);
    if (ip !== 'host-gateway' && isIP(ip.trim()) === 0)
      throw invalidArgument(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
  }
  const sec = parseSecurityOpts(hc.SecurityOpt);
  if (sec.seccomp && sec.seccomp !== 'unconfined' && sec.seccomp !== 'builtin') parseSeccompProfile(sec.seccomp);
  normalizeCapabilities(hc.CapAdd ?? [], 'CapAdd');
  normalizeCapabilities(hc.CapDrop ?? [], 'CapDrop');
  checkUnsupported(hc);
  const isolation = hc.Isolation ?? '';
  if (isolation !== '' && isolation !== 'default') throw invalidArgument(`invalid isolation '${isolation}' on linux`);
  const warnings = verifyResources(hc, ctx.facts.cgroups, update);
  const ipc = hc.IpcMode ?? '';
  if (!['', 'none', 'private', 'host', 'shareable'].includes(ipc) && modeContainer(ipc) === undefined)
    throw invalidArgument(`invalid IPC mode: ${ipc}`);
  const pid = hc.PidMode ?? '';
  if (!['', 'host'].includes(pid) && !modeContainer(pid)) throw invalidArgument(`invalid PID mode: ${pid}`);
  const uts = hc.UTSMode ?? '';
  // `container:<id>` for UTS goes beyond Docker (which has host only): a pod's containers
  // take their sandbox's hostname through it (the CRI).
  if (!['', 'host'].includes(uts) && !modeContainer(uts)) throw invalidArgument(`invalid UTS mode: ${uts}`);
  const cgroupns = hc.CgroupnsMode ?? '';
  if (!['', 'host', 'private'].includes(cgroupns)) throw invalidArgument(`invalid cgroup namespace mode: ${cgroupns}`);
  if (cgroupns === 'private' && !ctx.facts.cgroups.cgroupNamespaces)
    warnings.push('Your kernel does not support cgroup namespaces.  Cgroup namespace setting discarded.');
  if (hc.ShmSize !== undefined && hc.ShmSize < 0) throw invalidArgument('SHM size can not be less than 0');
  const oom = hc.OomScoreAdj ?? 0;
  if (oom < -1000 || oom > 1000)
    throw invalidArgument(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
  if (hc.NetworkMode === 'host' && hc.PortBindings && Object.keys(hc.PortBindings).length > 0)
    warnings.push('Published ports are discarded when using host network mode');
  const runtime = hc.Runtime ?? '';
  if (runtime !== '' && !ctx.runtimes.includes(runtime))
    throw invalidArgument(`unknown or invalid runtime name: ${runtime}`);
  if (update) return warnings;
  checkUsernsMode(ctx, hc);

  resolveModeContainer(ctx, 'PID', pid);
  resolveModeContainer(ctx, 'IPC', ipc);
  resolveModeContainer(ctx, 'UTS', uts);
  for (const [name, value] of Object.entries(hc.Sysctls ?? {})) checkSysctl(name, value, hc, ctx.facts);
  for (const b of hc.Binds ?? []) {
    const dest = bindDestination(b);
    if (dest) checkMountDestination('bind', dest);
  }
  for (const m of hc.Mounts ?? []) {
    if (!MOUNT_TYPES.includes(m.Type ?? ''))
      throw invalidArgument(`invalid mount config for type ${JSON.stringify(m.Type ?? '')}: mount type unknown`);
    if (m.Target) checkMountDestination(m.Type ?? 'bind', m.Target);
  }
  for (const spec of hc.VolumesFrom ?? []) {
    const name = spec.split(':')[0];
    try {
      ctx.resolveContainer(name);
    } catch (err) {
      if (isKind(err, 'not-found')) throw invalidArgument(`No such container: ${name}`);
      throw err;
    }
  }
  checkDevices(hc, ctx.facts);
  return warnings;
}

/**
 * `--userns`: the daemon's namespace (empty) or the host's ("host"); dockerd takes other
 * values and ignores them, Berth names them. Under userns-remap dockerd's conflicts: a
 * privileged container, or one sharing the host's network or PID namespace, must ask for
 * the host's user namespace.
 */
function checkUsernsMode(ctx: SettingsContext, hc: HostConfig): void {
  const userns = hc.UsernsMode ?? '';
  if (userns !== '' && userns !== 'host')
    throw invalidArgument(
      `invalid UsernsMode ${JSON.stringify(userns)}: only "host" (or empty, the daemon's) is supported`,
    );
  if (!ctx.usernsRemap || userns === 'host') return;
  if (hc.Privileged)
    throw invalidArgument(
      'privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode',
    );
  if (hc.NetworkMode === 'host')
    throw invalidArgument("cannot share the host's network namespace when user namespaces are enabled");
  if (hc.PidMode === 'host')
    throw invalidArgument('cannot share the host PID namespace when user namespaces are enabled');
}

/**
 * Fields Berth does not act on are refused by name, never recorded and dropped: a disk
 * quota needs overlay on xfs with pquota (dockerd's words), and `Cgroup` (a legacy cgroup
 * spec) has no effect in dockerd either but a client setting it expects one.
 */
function checkUnsupported(hc: HostConfig): void {
  if (hc.StorageOpt && Object.keys(hc.StorageOpt).length > 0)
    throw invalidArgument("--storage-opt is supported only for overlay over xfs with 'pquota' mount option");
  if (hc.Cgroup) throw invalidArgument(`HostConfig.Cgroup (${JSON.stringify(hc.Cgroup)}) is not supported by Berth`);
  for (const k of Object.keys(hc.Annotations ?? {}))
    if (k.trim() === '') throw invalidArgument('invalid Annotations: annotation keys must not be empty');
}

/** Docker's default for the container's IPC namespace (daemon `default-ipc-mode`). */
export const DEFAULT_IPC_MODE = 'private';

/**
 * What dockerd fills in at create (adaptContainerSettings): swap twice the memory limit,
 * the IPC and cgroup namespace modes, OomKillDisable false where the host has it, the
 * runtime, and `container:<name>` modes pinned to the other container's ID.
 */
export function adaptHostConfig(ctx: SettingsContext, hc: HostConfig): void {
  const r: Resources = hc;
  if ((r.Memory ?? 0) > 0 && (r.MemorySwap ?? 0) === 0) r.MemorySwap = (r.Memory ?? 0) * 2;
  if (!hc.IpcMode) hc.IpcMode = DEFAULT_IPC_MODE;
  if (!hc.CgroupnsMode) {
    const v1 = ctx.facts.cgroups.version === 1;
    hc.CgroupnsMode = v1 || (hc.Privileged && v1) ? 'host' : 'private';
  }
  if ((r.OomKillDisable === undefined || r.OomKillDisable === null) && ctx.facts.cgroups.oomKillDisable)
    r.OomKillDisable = false;
  if (!hc.Runtime) hc.Runtime = 'runc';
  // 0 and negative limits mean "unlimited", which dockerd records as no limit.
  if (typeof r.PidsLimit === 'number' && r.PidsLimit <= 0) r.PidsLimit = null;
  for (const f of ['PidMode', 'IpcMode', 'UTSMode'] as const) {
    const target = modeContainer(hc[f]);
    if (target) hc[f] = `${CONTAINER_PREFIX}${ctx.resolveContainer(target)}`;
  }
}
