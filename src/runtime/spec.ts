// buildSpec(): the OCI runtime spec of a container with Docker's defaults (moby
// oci/defaults.go DefaultLinuxSpec + daemon/oci_linux.go). Pure: everything it needs
// from the host (rlimits) is passed in; hostRlimits() reads them.
import { readFileSync } from 'node:fs';
import type {
  LinuxSeccomp,
  LinuxDevice,
  LinuxDeviceCgroup,
  LinuxIDMapping,
  LinuxNamespace,
  LinuxResources,
  Mount,
  POSIXRlimit,
  Spec,
} from '../oci/runtime-spec.ts';
import { OCI_VERSION } from '../oci/runtime-spec.ts';
import { invalidArgument } from '../common/errors.ts';
import { DEFAULT_CAPABILITIES, KNOWN_CAPABILITIES, normalizeCapabilities } from '../oci/capabilities.ts';
import { RLIMIT_NOFILE, RLIM_INFINITY, getrlimit } from '../sys/libc.ts';

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export const DEFAULT_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Docker's device cgroup rules (runc appends its own always-allowed list after these). */
export const DEFAULT_DEVICE_RULES: LinuxDeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // /dev/console
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' }, // /dev/fuse
];

export const DEFAULT_NOFILE = 1048576;
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;
export const DEFAULT_INIT_PATH = '/usr/bin/tini-static';
export const INIT_DESTINATION = '/sbin/docker-init';

export interface BindMount {
  source: string;
  destination: string;
  readonly?: boolean;
  /** Default rprivate. */
  propagation?: 'rprivate' | 'private' | 'rshared' | 'shared' | 'rslave' | 'slave';
}

export interface SpecOptions {
  /** Container id: names the cgroup. */
  id: string;
  args: string[];
  /** Image env already merged with the user's -e values (later wins). */
  env?: string[];
  cwd?: string;
  user?: { uid: number; gid: number; additionalGids?: number[] };
  terminal?: boolean;
  hostname?: string;
  domainname?: string;
  /** 'none' → new empty netns; 'host' → the host's; any other string → a netns path to join. */
  network?: 'none' | 'host' | string;
  /** Share the host's IPC/PID/UTS namespaces instead of new ones. */
  ipcHost?: boolean;
  pidHost?: boolean;
  utsHost?: boolean;
  /** Join another process's namespaces (`--pid/--ipc container:<id>`, pods): /proc/<pid>/ns/<type>. */
  joinNamespaces?: { pid?: string; ipc?: string; uts?: string };
  /** /dev/shm: Docker's private tmpfs by default; 'none' (`--ipc none`) or a host tmpfs bound in. */
  shm?: 'none' | { source: string };
  cgroupNamespace?: boolean;
  readonlyRootfs?: boolean;
  /** Relative to the bundle (the shim mounts the rootfs at <bundle>/rootfs). */
  rootPath?: string;
  binds?: BindMount[];
  /** The container's own mounts (binds, volumes, tmpfs) in OCI form; they replace defaults at the same place. */
  mounts?: Mount[];
  /** The root's propagation (a shared or slave bind needs it). */
  rootfsPropagation?: string;
  /** Host files bind-mounted over /etc/hostname, /etc/hosts, /etc/resolv.conf. */
  etcFiles?: { hostname?: string; hosts?: string; resolvConf?: string };
  shmSize?: number;
  /** true → DEFAULT_INIT_PATH; a string → that binary. */
  init?: boolean | string;
  /** cgroupsPath = `${cgroupParent}/${id}`; default parent "/berth". */
  cgroupParent?: string;
  oomScoreAdj?: number;
  noNewPrivileges?: boolean;
  sysctls?: Record<string, string>;
  capAdd?: string[];
  capDrop?: string[];
  resources?: Omit<LinuxResources, 'devices'>;
  /** Device nodes made in the container (`--device`) and the cgroup rules after Docker's defaults. */
  devices?: LinuxDevice[];
  deviceRules?: LinuxDeviceCgroup[];
  /** ulimits beyond the NOFILE default, e.g. {type:'RLIMIT_NPROC', soft, hard}. */
  rlimits?: POSIXRlimit[];
  /** Host hard limits (from hostRlimits()); requested limits are clamped to them. */
  hostRlimits?: Record<string, number>;
  annotations?: Record<string, string>;
  /** All capabilities and devices, writable /sys and cgroups, no masked paths (seccomp is the caller's). */
  privileged?: boolean;
  /** `--security-opt writable-cgroups`. */
  writableCgroups?: boolean;
  /** A seccomp filter (runtime/seccomp.ts); none when absent. */
  seccomp?: LinuxSeccomp;
  /** Applied only where AppArmor is enabled (the caller checks). */
  apparmorProfile?: string;
  /**
   * A user namespace with these mappings (`userns-remap`); with `path` the container joins
   * that one (a `--pid/--ipc container:` donor's), the mappings still telling runc whose root it is.
   */
  userns?: { uidMappings: LinuxIDMapping[]; gidMappings: LinuxIDMapping[]; path?: string };
  /**
   * An mqueue filesystem mounted by the caller, bound at /dev/mqueue instead of mounting one:
   * a user namespace may not mount the mqueue of an IPC namespace it does not own (the host's).
   */
  mqueueSource?: string;
  /** Replace Docker's masked and read-only /proc and /sys paths (`systempaths=unconfined`: []). */
  maskedPaths?: string[];
  readonlyPaths?: string[];
}

/** The host's hard limits that container rlimits must not exceed. */
export function hostRlimits(): Record<string, number> {
  const l = getrlimit(RLIMIT_NOFILE);
  const hard = l.hard === RLIM_INFINITY ? Number.MAX_SAFE_INTEGER : Number(l.hard);
  return { RLIMIT_NOFILE: hard };
}

let allCaps: string[] | undefined;
/**
 * Every capability available here (what a privileged process gets): the known ones that
 * are in berthd's own bounding set, so a sandbox that withholds one does not fail the exec.
 */
export function allCapabilities(): string[] {
  if (!allCaps) {
    let bounding = (1n << BigInt(KNOWN_CAPABILITIES.length)) - 1n;
    try {
      const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (m) bounding = BigInt(`0x${m[1]}`);
    } catch {
      /* keep the full list */
    }
    allCaps = KNOWN_CAPABILITIES.filter((_c, i) => (bounding >> BigInt(i)) & 1n).map((c) => `CAP_${c}`);
  }
  return allCaps;
}

/**
 * Docker semantics (TweakCapabilities): ALL added means every capability available here
 * but the dropped ones; ALL dropped means only the added ones; otherwise the defaults plus
 * the added minus the dropped. Unknown names are invalid-argument.
 */
export function capabilities(capAdd: string[] = [], capDrop: string[] = []): string[] {
  const add = normalizeCapabilities(capAdd, 'CapAdd');
  const drop = normalizeCapabilities(capDrop, 'CapDrop');
  if (add.includes('ALL')) return allCapabilities().filter((c) => !drop.includes(c));
  if (drop.includes('ALL')) return add.filter((c) => c !== 'ALL');
  const caps: string[] = [...DEFAULT_CAPABILITIES];
  for (const c of add) if (!caps.includes(c)) caps.push(c);
  return caps.filter((c) => !drop.includes(c));
}

/** PATH, HOSTNAME, TERM (tty) first; container env entries replace or append. */
export function buildEnv(env: string[] = [], hostname?: string, terminal?: boolean): string[] {
  const out = [DEFAULT_PATH_ENV];
  if (hostname) out.push(`HOSTNAME=${hostname}`);
  if (terminal) out.push('TERM=xterm');
  const keyOf = (e: string) => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e);
  for (const e of env) {
    const k = keyOf(e);
    const i = out.findIndex((x) => keyOf(x) === k);
    if (!e.includes('=')) continue; // a bare name means "unset in this container": Docker drops it
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/** Docker's mounts; a privileged container's /sys and cgroups (or asked-for writable cgroups) are writable. */
function defaultMounts(shmSize: number, sysWritable = false, cgroupsWritable = false): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/sys',
      type: 'sysfs',
      source: 'sysfs',
      options: ['nosuid', 'noexec', 'nodev', sysWritable ? 'rw' : 'ro'],
    },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: [cgroupsWritable ? 'rw' : 'ro', 'nosuid', 'noexec', 'nodev'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`],
    },
  ];
}

function bindMount(b: BindMount): Mount {
  if (!b.destination.startsWith('/'))
    throw invalidArgument(`bind destination ${JSON.stringify(b.destination)} is not an absolute path`);
  const options = ['rbind', b.propagation ?? 'rprivate'];
  if (b.readonly) options.push('ro');
  return { destination: b.destination, type: 'bind', source: b.source, options };
}

/** Stable sort by the depth of the destination (Docker's sortMounts). */
function byDepth(mounts: Mount[]): Mount[] {
  const depth = (d: string) => d.split('/').filter(Boolean).length;
  return mounts
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i)
    .map((x) => x.m);
}

function clampRlimit(r: POSIXRlimit, host: Record<string, number> | undefined): POSIXRlimit {
  const max = host?.[r.type];
  if (max === undefined) return r;
  const hard = Math.min(r.hard, max);
  return { type: r.type, hard, soft: Math.min(r.soft, hard) };
}

export function buildSpec(o: SpecOptions): Spec {
  if (o.args.length === 0) throw invalidArgument('no command specified');
  const caps = o.privileged ? allCapabilities() : capabilities(o.capAdd, o.capDrop);

  const namespaces: LinuxNamespace[] = [{ type: 'mount' }];
  const join = o.joinNamespaces ?? {};
  if (!o.pidHost) namespaces.push(join.pid ? { type: 'pid', path: join.pid } : { type: 'pid' });
  if (!o.ipcHost) namespaces.push(join.ipc ? { type: 'ipc', path: join.ipc } : { type: 'ipc' });
  if (!o.utsHost) namespaces.push(join.uts ? { type: 'uts', path: join.uts } : { type: 'uts' });
  const net = o.network ?? 'none';
  if (net === 'none') namespaces.push({ type: 'network' });
  else if (net !== 'host') namespaces.push({ type: 'network', path: net });
  if (o.cgroupNamespace) namespaces.push({ type: 'cgroup' });
  if (o.userns) namespaces.push(o.userns.path ? { type: 'user', path: o.userns.path } : { type: 'user' });

  const own = [...(o.binds ?? []).map(bindMount), ...(o.mounts ?? [])];
  const userAt = new Set(own.map((m) => m.destination));
  // A user mount replaces a default one at the same place, and a user /dev everything
  // below /dev (Docker's withMounts).
  const mounts = defaultMounts(o.shmSize ?? DEFAULT_SHM_SIZE, o.privileged, o.privileged || o.writableCgroups).filter(
    (m) => !userAt.has(m.destination) && !(userAt.has('/dev') && m.destination.startsWith('/dev/')),
  );
  const mqAt = mounts.findIndex((m) => m.destination === '/dev/mqueue');
  if (mqAt >= 0 && o.mqueueSource)
    mounts[mqAt] = {
      destination: '/dev/mqueue',
      type: 'bind',
      source: o.mqueueSource,
      options: ['rbind', 'rprivate', 'nosuid', 'noexec', 'nodev'],
    };
  const shmAt = mounts.findIndex((m) => m.destination === '/dev/shm');
  if (shmAt >= 0) {
    if (o.shm === 'none') mounts.splice(shmAt, 1);
    else if (o.ipcHost || o.shm) {
      const source = o.shm ? o.shm.source : '/dev/shm';
      mounts[shmAt] = { destination: '/dev/shm', type: 'bind', source, options: ['rbind', 'rprivate'] };
    }
  }
  const etc = o.etcFiles ?? {};
  for (const [dest, src] of [
    ['/etc/resolv.conf', etc.resolvConf],
    ['/etc/hostname', etc.hostname],
    ['/etc/hosts', etc.hosts],
  ] as const) {
    if (src && !userAt.has(dest))
      own.push({ destination: dest, type: 'bind', source: src, options: ['rbind', 'rprivate'] });
  }
  // Parents before children: a volume on /etc must not hide the /etc/hosts mounted after it.
  mounts.push(...byDepth(own));

  let args = o.args;
  if (o.init) {
    const initPath = typeof o.init === 'string' ? o.init : DEFAULT_INIT_PATH;
    mounts.push({ destination: INIT_DESTINATION, type: 'bind', source: initPath, options: ['bind', 'ro'] });
    args = [INIT_DESTINATION, '--', ...args];
  }

  const rlimits: POSIXRlimit[] = [];
  const wanted = [{ type: 'RLIMIT_NOFILE', hard: DEFAULT_NOFILE, soft: DEFAULT_NOFILE }, ...(o.rlimits ?? [])];
  for (const r of wanted) {
    const i = rlimits.findIndex((x) => x.type === r.type);
    const c = clampRlimit(r, o.hostRlimits);
    if (i >= 0) rlimits[i] = c;
    else rlimits.push(c);
  }

  const user = o.user ?? { uid: 0, gid: 0 };
  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: o.terminal ?? false,
      user: {
        uid: user.uid,
        gid: user.gid,
        ...(user.additionalGids?.length ? { additionalGids: user.additionalGids } : {}),
      },
      args,
      env: buildEnv(o.env, o.hostname, o.terminal),
      cwd: o.cwd || '/',
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
      rlimits,
      noNewPrivileges: o.noNewPrivileges ?? false,
      ...(o.apparmorProfile ? { apparmorProfile: o.apparmorProfile } : {}),
      ...(o.oomScoreAdj !== undefined ? { oomScoreAdj: o.oomScoreAdj } : {}),
    },
    root: { path: o.rootPath ?? 'rootfs', readonly: o.readonlyRootfs ?? false },
    // The host's UTS namespace keeps the host's names: runc may not set them there.
    hostname: o.utsHost ? '' : (o.hostname ?? ''),
    ...(o.domainname && !o.utsHost ? { domainname: o.domainname } : {}),
    mounts,
    ...(o.annotations ? { annotations: o.annotations } : {}),
    linux: {
      ...(o.sysctls && Object.keys(o.sysctls).length ? { sysctl: { ...o.sysctls } } : {}),
      resources: {
        ...(o.resources ?? {}),
        // Privileged: every device; else Docker's list and what --device/--device-cgroup-rule add.
        devices: o.privileged
          ? [{ allow: true, access: 'rwm' }]
          : [...DEFAULT_DEVICE_RULES.map((d) => ({ ...d })), ...(o.deviceRules ?? [])],
      },
      ...(o.devices?.length ? { devices: o.devices } : {}),
      ...(o.userns
        ? {
            uidMappings: o.userns.uidMappings.map((m) => ({ ...m })),
            gidMappings: o.userns.gidMappings.map((m) => ({ ...m })),
          }
        : {}),
      cgroupsPath: `${`/${o.cgroupParent ?? '/berth'}`.replace(/^\/+/, '/').replace(/\/+$/, '')}/${o.id}`,
      namespaces,
      ...(o.rootfsPropagation ? { rootfsPropagation: o.rootfsPropagation } : {}),
      maskedPaths: o.privileged ? [] : [...(o.maskedPaths ?? DEFAULT_MASKED_PATHS)],
      readonlyPaths: o.privileged ? [] : [...(o.readonlyPaths ?? DEFAULT_READONLY_PATHS)],
      ...(o.seccomp ? { seccomp: o.seccomp } : {}),
    },
  };
  return spec;
}
