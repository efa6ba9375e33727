// berthd's configuration: flags named like dockerd's, plus daemon.json with the same keys
// where they apply. As dockerd does, unknown keys and keys given both ways are errors, and
// every documented dockerd key Berth does not implement is refused by name (config-keys.ts).
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { invalidArgument, isNotExist } from '../common/errors.ts';
import { isObject, parseJsonSafe } from '../common/json.ts';
import { parseLevel, type Level } from '../common/logger.ts';
import { FIXED, FLAG_OF, REFUSED, refusal } from './config-keys.ts';
import {
  checkLabel,
  checkRuntimes,
  logFormat,
  mtuOf,
  normalizeHost,
  parseBool,
  parseUlimitFlag,
  pluginTimeout,
  poolsFromJson,
  type RuntimeConfig,
  runtimesFromJson,
  stringList,
  type Ulimit,
  ulimitsFromJson,
} from './config-values.ts';

export type { RuntimeConfig, Ulimit } from './config-values.ts';
export { normalizeHost, parseUlimitFlag };

export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  configFile: string;
  runtime: string;
  shim: string;
  logLevel: Level;
  logFormat: 'text' | 'json';
  pidfile: string;
  logDriver: string;
  logOpts: Record<string, string>;
  cgroupParent: string;
  group: string;
  insecureRegistries: string[];
  registryMirrors: string[];
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  /** Default detach keys for attach and exec (Docker's format, e.g. "ctrl-p,ctrl-q"). */
  detachKeys: string;
  /** Networking: default bridge name and `--bip`, address pools, MTU, icc, nftables on/off, DNS. */
  bridge: string;
  bip: string;
  defaultAddressPools: { base: string; size: number }[];
  mtu: number;
  icc: boolean;
  iptables: boolean;
  dns: string[];
  /** IPv6 on the default bridge (`--ipv6`), its subnet (`--fixed-cidr-v6`). */
  ipv6: boolean;
  fixedCidrV6: string;
  /** Seconds every volume plugin call may take; 0: Docker's deadlines (1–2 minutes). */
  volumePluginTimeout: number;
  /** Engine labels shown by `info` (key=value). */
  labels: string[];
  /** Ulimits a container gets unless it sets its own (daemon.json `default-ulimits`). */
  defaultUlimits: Record<string, Ulimit>;
  /** Extra OCI runtimes by name; "runc" is the built-in one (`runtime`). */
  runtimes: Record<string, RuntimeConfig>;
  defaultRuntime: string;
  /** TLS on tcp:// listeners; `tlsVerify` requires and verifies client certificates. */
  tls: boolean;
  tlsVerify: boolean;
  tlsCaCert: string;
  tlsCert: string;
  tlsKey: string;
  /** `--tls=false` or `--tlsverify` was given explicitly: plain or unverified TCP is intended. */
  tlsExplicit: boolean;
  /** Docker authorization plugins, asked in order (`--authorization-plugin`). */
  authorizationPlugins: string[];
  /** Berth's built-in authorization policy file (daemon.json `authorization-policy`). */
  authorizationPolicy: string;
  /** Seccomp profile for containers: '' (Berth's default), 'builtin', 'unconfined', or a file. */
  seccompProfile: string;
  /** Every container gets no-new-privileges (a container may still opt out with =false). */
  noNewPrivileges: boolean;
  /** `--userns-remap`: '' (off), 'default' (the dockremap user), or `user[:group]` with /etc/subuid and /etc/subgid ranges. */
  usernsRemap: string;
  /** The CRI (issue 13): serve runtime.v1 on `criHost` (default <exec-root>/cri.sock). */
  cri: boolean;
  criHost: string;
  cniConfDir: string;
  /** Directories searched for CNI plugin binaries, ':'-separated. */
  cniBinDir: string;
  sandboxImage: string;
  /** host:port of the CRI streaming server (exec/attach/port-forward); port 0 picks one. */
  criStreamAddress: string;
}

/** Where dockerd looks for ca.pem/cert.pem/key.pem by default. */
function defaultCertPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CERT_PATH || env.DOCKER_CONFIG || join(homedir(), '.docker');
}

export const DEFAULTS: DaemonConfig = {
  hosts: [],
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
  configFile: '/etc/berth/daemon.json',
  runtime: 'runc',
  shim: 'containerd-shim-runc-v2',
  logLevel: 'info',
  logFormat: 'text',
  pidfile: '',
  logDriver: 'json-file',
  logOpts: {},
  cgroupParent: '/berth',
  group: 'docker',
  insecureRegistries: [],
  registryMirrors: [],
  maxConcurrentDownloads: 3,
  maxConcurrentUploads: 5,
  detachKeys: '',
  bridge: 'berth0',
  bip: '',
  // Docker's default-address-pools.
  defaultAddressPools: [
    { base: '172.17.0.0/16', size: 16 },
    { base: '172.18.0.0/15', size: 16 },
    { base: '172.20.0.0/14', size: 16 },
    { base: '172.24.0.0/13', size: 16 },
    { base: '192.168.0.0/16', size: 20 },
  ],
  mtu: 1500,
  icc: true,
  iptables: true,
  dns: [],
  ipv6: false,
  fixedCidrV6: '',
  volumePluginTimeout: 0,
  labels: [],
  defaultUlimits: {},
  runtimes: {},
  defaultRuntime: 'runc',
  tls: false,
  tlsVerify: false,
  tlsCaCert: '',
  tlsCert: '',
  tlsKey: '',
  tlsExplicit: false,
  authorizationPlugins: [],
  authorizationPolicy: '',
  seccompProfile: '',
  noNewPrivileges: false,
  usernsRemap: '',
  cri: false,
  criHost: '',
  cniConfDir: '/etc/cni/net.d',
  cniBinDir: '/usr/lib/cni:/opt/cni/bin',
  sandboxImage: 'localhost/berth-pause:catatonit',
  criStreamAddress: '127.0.0.1:0',
};

export const DEFAULT_UNIX_HOST = 'unix:///run/berth/berth.sock';
/** dockerd's host when --tls is given without -H. */
export const DEFAULT_TLS_HOST = 'tcp://localhost:2376';

type Key = keyof DaemonConfig;
type Kind = 'string' | 'bool' | 'int' | 'list' | 'custom';

interface Option {
  key: Key;
  kind: Kind;
  /** daemon.json key (absent: flag only). */
  json?: string;
  flags?: string[];
  /** For 'custom': a value from daemon.json, and one flag argument added to what came before. */
  fromJson?(v: unknown, name: string): unknown;
  fromFlag?(s: string, prev: unknown, name: string): unknown;
}

const OPTIONS: Option[] = [
  { key: 'hosts', kind: 'custom', json: 'hosts', flags: ['-H', '--host'] },
  { key: 'dataRoot', kind: 'string', json: 'data-root', flags: ['--data-root'] },
  { key: 'execRoot', kind: 'string', json: 'exec-root', flags: ['--exec-root'] },
  { key: 'configFile', kind: 'string', flags: ['--config-file'] },
  { key: 'runtime', kind: 'string', json: 'runtime', flags: ['--runtime'] },
  { key: 'shim', kind: 'string', json: 'shim', flags: ['--shim'] },
  {
    key: 'logLevel',
    kind: 'custom',
    json: 'log-level',
    flags: ['-l', '--log-level'],
    fromJson: (v) => parseLevel(String(v)),
    fromFlag: (s) => parseLevel(s),
  },
  {
    key: 'logFormat',
    kind: 'custom',
    json: 'log-format',
    flags: ['--log-format'],
    fromJson: (v) => logFormat(String(v)),
    fromFlag: (s) => logFormat(s),
  },
  { key: 'pidfile', kind: 'string', json: 'pidfile', flags: ['-p', '--pidfile'] },
  { key: 'logDriver', kind: 'string', json: 'log-driver', flags: ['--log-driver'] },
  {
    key: 'logOpts',
    kind: 'custom',
    json: 'log-opts',
    flags: ['--log-opt'],
    fromJson: (v) => {
      if (!isObject(v)) throw invalidArgument('log-opts must be an object');
      return Object.fromEntries(Object.entries(v).map(([a, b]) => [a, String(b)]));
    },
    fromFlag: (s, prev) => {
      const j = s.indexOf('=');
      if (j <= 0) throw invalidArgument(`invalid log-opt: ${s}`);
      return { ...(prev as Record<string, string>), [s.slice(0, j)]: s.slice(j + 1) };
    },
  },
  { key: 'cgroupParent', kind: 'string', json: 'cgroup-parent', flags: ['--cgroup-parent'] },
  { key: 'group', kind: 'string', json: 'group', flags: ['-G', '--group'] },
  { key: 'detachKeys', kind: 'string', json: 'detach-keys', flags: ['--detach-keys'] },
  { key: 'insecureRegistries', kind: 'list', json: 'insecure-registries', flags: ['--insecure-registry'] },
  { key: 'registryMirrors', kind: 'list', json: 'registry-mirrors', flags: ['--registry-mirror'] },
  {
    key: 'maxConcurrentDownloads',
    kind: 'int',
    json: 'max-concurrent-downloads',
    flags: ['--max-concurrent-downloads'],
  },
  { key: 'maxConcurrentUploads', kind: 'int', json: 'max-concurrent-uploads', flags: ['--max-concurrent-uploads'] },
  { key: 'bridge', kind: 'string', json: 'bridge', flags: ['-b', '--bridge'] },
  { key: 'bip', kind: 'string', json: 'bip', flags: ['--bip'] },
  {
    key: 'defaultAddressPools',
    kind: 'custom',
    json: 'default-address-pools',
    fromJson: poolsFromJson,
  },
  { key: 'mtu', kind: 'custom', json: 'mtu', flags: ['--mtu'], fromJson: mtuOf, fromFlag: mtuOf },
  { key: 'icc', kind: 'bool', json: 'icc', flags: ['--icc'] },
  { key: 'iptables', kind: 'bool', json: 'iptables', flags: ['--iptables'] },
  { key: 'dns', kind: 'list', json: 'dns', flags: ['--dns'] },
  { key: 'ipv6', kind: 'bool', json: 'ipv6', flags: ['--ipv6'] },
  { key: 'fixedCidrV6', kind: 'string', json: 'fixed-cidr-v6', flags: ['--fixed-cidr-v6'] },
  {
    key: 'volumePluginTimeout',
    kind: 'custom',
    json: 'volume-plugin-timeout',
    flags: ['--volume-plugin-timeout'],
    fromJson: pluginTimeout,
    fromFlag: (s, _prev, name) => pluginTimeout(s, name),
  },
  {
    key: 'labels',
    kind: 'custom',
    json: 'labels',
    flags: ['--label'],
    fromJson: (v, n) => stringList(v, n).map(checkLabel),
    fromFlag: (s, prev) => [...((prev as string[]) ?? []), checkLabel(s)],
  },
  {
    key: 'defaultUlimits',
    kind: 'custom',
    json: 'default-ulimits',
    flags: ['--default-ulimit'],
    fromJson: ulimitsFromJson,
    fromFlag: (s, prev) => {
      const u = parseUlimitFlag(s);
      return { ...(prev as Record<string, Ulimit>), [u.Name]: u };
    },
  },
  {
    key: 'runtimes',
    kind: 'custom',
    json: 'runtimes',
    flags: ['--add-runtime'],
    fromJson: runtimesFromJson,
    fromFlag: (s, prev) => {
      const j = s.indexOf('=');
      if (j <= 0 || j === s.length - 1) throw invalidArgument(`invalid runtime: ${s} (want name=path)`);
      return checkRuntimes({ ...(prev as Record<string, RuntimeConfig>), [s.slice(0, j)]: { path: s.slice(j + 1) } });
    },
  },
  { key: 'defaultRuntime', kind: 'string', json: 'default-runtime', flags: ['--default-runtime'] },
  { key: 'tls', kind: 'bool', json: 'tls', flags: ['--tls'] },
  { key: 'tlsVerify', kind: 'bool', json: 'tlsverify', flags: ['--tlsverify'] },
  { key: 'tlsCaCert', kind: 'string', json: 'tlscacert', flags: ['--tlscacert'] },
  { key: 'tlsCert', kind: 'string', json: 'tlscert', flags: ['--tlscert'] },
  { key: 'tlsKey', kind: 'string', json: 'tlskey', flags: ['--tlskey'] },
  { key: 'authorizationPlugins', kind: 'list', json: 'authorization-plugins', flags: ['--authorization-plugin'] },
  { key: 'authorizationPolicy', kind: 'string', json: 'authorization-policy', flags: ['--authorization-policy'] },
  { key: 'seccompProfile', kind: 'string', json: 'seccomp-profile', flags: ['--seccomp-profile'] },
  { key: 'noNewPrivileges', kind: 'bool', json: 'no-new-privileges', flags: ['--no-new-privileges'] },
  { key: 'usernsRemap', kind: 'string', json: 'userns-remap', flags: ['--userns-remap'] },
  { key: 'cri', kind: 'bool', json: 'cri', flags: ['--cri'] },
  { key: 'criHost', kind: 'string', json: 'cri-host', flags: ['--cri-host'] },
  { key: 'cniConfDir', kind: 'string', json: 'cni-conf-dir', flags: ['--cni-conf-dir'] },
  { key: 'cniBinDir', kind: 'string', json: 'cni-bin-dir', flags: ['--cni-bin-dir'] },
  { key: 'sandboxImage', kind: 'string', json: 'sandbox-image', flags: ['--sandbox-image'] },
  { key: 'criStreamAddress', kind: 'string', json: 'cri-stream-address', flags: ['--cri-stream-address'] },
];

/** Keys a SIGHUP re-reads from daemon.json (the rest need a restart). */
export const RELOADABLE = new Set<Key>([
  'logLevel',
  'labels',
  'insecureRegistries',
  'registryMirrors',
  'maxConcurrentDownloads',
  'maxConcurrentUploads',
  'runtimes',
  'defaultRuntime',
  'defaultUlimits',
  'authorizationPlugins',
  'authorizationPolicy',
]);

/** The daemon.json name of a config key (for messages). */
export function jsonNameOf(key: Key): string {
  return OPTIONS.find((o) => o.key === key)?.json ?? key;
}

const byFlag = new Map<string, Option>();
for (const o of OPTIONS) for (const f of o.flags ?? []) byFlag.set(f, o);
const byJson = new Map<string, Option>();
for (const o of OPTIONS) if (o.json) byJson.set(o.json, o);

export const USAGE = `Usage: berthd [OPTIONS]

A container engine that speaks the Docker Engine API

Options:
      --add-runtime runtime                   Register an additional OCI compatible runtime (name=path)
      --authorization-plugin list             Authorization plugins to load
      --authorization-policy string           Berth's built-in authorization policy file
      --cgroup-parent string                  Parent cgroup for all containers (default "/berth")
      --cni-bin-dir string                    Directories of CNI plugins, ':'-separated (default "/usr/lib/cni:/opt/cni/bin")
      --cni-conf-dir string                   CNI network configuration directory (default "/etc/cni/net.d")
      --config-file string                    Daemon configuration file (default "/etc/berth/daemon.json")
      --cri                                   Serve the Kubernetes CRI (runtime.v1) for a kubelet or crictl
      --cri-host string                       CRI socket (default unix://<exec-root>/cri.sock)
      --cri-stream-address string             Address of the CRI streaming server (default "127.0.0.1:0")
      --data-root string                      Root directory of persistent state (default "/var/lib/berth")
  -D, --debug                                 Enable debug mode
      --default-runtime string                Default OCI runtime for containers (default "runc")
      --default-ulimit ulimit                 Default ulimits for containers (name=soft[:hard])
      --detach-keys string                    Default key sequence for detaching from a container (default "ctrl-p,ctrl-q")
      --exec-root string                      Root directory for execution state files (default "/run/berth")
  -G, --group string                          Group for the unix socket (default "docker")
  -H, --host list                             Daemon socket(s) to connect to (unix://, tcp://, fd://)
      --insecure-registry list                Enable insecure registry communication
      --label list                            Set key=value labels to the daemon
      --live-restore                          Keep containers running while berthd is down (always on)
      --log-driver string                     Default driver for container logs (default "json-file")
      --log-format string                     Set the logging format ("text"|"json") (default "text")
      --log-level string                      Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
      --log-opt map                           Default log driver options for containers
      --max-concurrent-downloads int          Set the max concurrent downloads (default 3)
      --max-concurrent-uploads int            Set the max concurrent uploads (default 5)
      --no-new-privileges                     Set no-new-privileges by default for new containers
  -p, --pidfile string                        Path to use for daemon PID file
      --registry-mirror list                  Preferred registry mirror
      --runtime string                        Path of the runc binary (default "runc")
      --sandbox-image string                  Image of pod sandboxes' infra process (default "localhost/berth-pause:catatonit",
                                              made from Debian's catatonit when missing)
      --seccomp-profile string                Path to seccomp profile; "unconfined" to turn it off, "builtin" for the default
      --shim string                           Path of containerd-shim-runc-v2 (default "containerd-shim-runc-v2")
      --tls                                   Use TLS; implied by --tlsverify
      --tlscacert string                      Trust certs signed only by this CA (default "~/.docker/ca.pem")
      --tlscert string                        Path to TLS certificate file (default "~/.docker/cert.pem")
      --tlskey string                         Path to TLS key file (default "~/.docker/key.pem")
      --tlsverify                             Use TLS and verify the remote
      --userns-remap string                   User/Group setting for user namespaces ("default" or user[:group])
      --validate                              Validate daemon configuration and exit
  -v, --version                               Print version information and quit
      --volume-plugin-timeout n               Seconds a volume plugin call may take (default: Docker's 1-2 minutes)
`;

export interface ParsedFlags {
  values: Partial<DaemonConfig>;
  set: Set<Key>;
  help: boolean;
  version: boolean;
  validate: boolean;
}

/** Flags dockerd has that name a refused daemon.json key: the same refusal. */
function refusedFlag(flag: string): string | undefined {
  const name = flag.replace(/^--/, '');
  for (const k of [...Object.keys(REFUSED), ...Object.keys(FIXED)]) {
    if ((FLAG_OF[k] ?? `--${k}`) === flag || `--${k}` === flag || k === name) return k;
  }
  return undefined;
}

export function parseFlags(argv: readonly string[]): ParsedFlags {
  const values: Partial<DaemonConfig> = {};
  const set = new Set<Key>();
  let help = false;
  let version = false;
  let validate = false;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let val: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq !== -1) {
      val = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const boolArg = () => (val === undefined ? true : parseBool(val, arg.replace(/^-+/, '')));
    if (arg === '-h' || arg === '--help') help = true;
    else if (arg === '-v' || arg === '--version') version = true;
    else if (arg === '--validate') validate = boolArg();
    else if (arg === '-D' || arg === '--debug') {
      if (boolArg()) {
        values.logLevel = 'debug';
        set.add('logLevel');
      }
    } else if (arg === '--live-restore') {
      const why = refusal('live-restore', boolArg());
      if (why) throw invalidArgument(why);
    } else {
      const o = byFlag.get(arg);
      if (!o) {
        const k = refusedFlag(arg);
        if (k) {
          const r = REFUSED[k] ?? FIXED[k]?.reason;
          throw invalidArgument(`${arg} is not supported: ${r}`);
        }
        throw invalidArgument(`unknown flag: ${arg}`);
      }
      if (o.kind === 'bool') {
        (values as Record<string, unknown>)[o.key] = boolArg();
      } else {
        if (val === undefined) {
          if (i + 1 >= argv.length) throw invalidArgument(`flag needs an argument: ${arg}`);
          val = argv[++i];
        }
        const prev = set.has(o.key) ? values[o.key] : undefined;
        (values as Record<string, unknown>)[o.key] = flagValue(o, val, prev, arg);
      }
      set.add(o.key);
    }
  }
  return { values, set, help, version, validate };
}

function flagValue(o: Option, s: string, prev: unknown, name: string): unknown {
  switch (o.kind) {
    case 'string':
      return s;
    case 'int': {
      if (!/^\d+$/.test(s) || Number(s) < 1) throw invalidArgument(`invalid value for ${name}: ${s}`);
      return Number(s);
    }
    case 'list':
      return [...((prev as string[] | undefined) ?? []), s];
    case 'custom':
      if (o.key === 'hosts') return [...((prev as string[] | undefined) ?? []), normalizeHost(s)];
      return o.fromFlag!(s, prev, name);
    default:
      throw invalidArgument(`flag ${name} takes no value`);
  }
}

function jsonValue(o: Option, v: unknown, name: string): unknown {
  switch (o.kind) {
    case 'string':
      if (typeof v !== 'string') throw invalidArgument(`${name} must be a string`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw invalidArgument(`${name} must be true or false`);
      return v;
    case 'int':
      if (!Number.isInteger(v) || (v as number) < 1) throw invalidArgument(`${name} must be a positive integer`);
      return v;
    case 'list':
      return stringList(v, name);
    case 'custom':
      if (o.key === 'hosts') return stringList(v, name).map(normalizeHost);
      return o.fromJson!(v, name);
  }
}

/** daemon.json: the values it sets and the keys it names. Missing file: none. */
export async function readConfigFile(
  path: string,
  mustExist: boolean,
): Promise<{ values: Partial<DaemonConfig>; keys: Set<Key> }> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!isNotExist(err) || mustExist)
      throw invalidArgument(`unable to configure the daemon with file ${path}: ${(err as Error).message}`);
  }
  const values: Partial<DaemonConfig> = {};
  const keys = new Set<Key>();
  if (text === undefined || text.trim() === '') return { values, keys };
  const json = parseJsonSafe(text, `configuration file ${path}`);
  if (!isObject(json)) throw invalidArgument(`invalid configuration file ${path}: expected a JSON object`);
  const known = (k: string) => byJson.has(k) || k === 'debug' || k in REFUSED || k in FIXED;
  const unknown = Object.keys(json).filter((k) => !known(k));
  if (unknown.length)
    throw invalidArgument(`the following directives don't match any configuration option: ${unknown.join(', ')}`);
  const refused = Object.entries(json)
    .map(([k, v]) => refusal(k, v))
    .filter(Boolean);
  if (refused.length) throw invalidArgument(`invalid configuration file ${path}: ${refused.join('; ')}`);
  for (const [k, v] of Object.entries(json)) {
    if (k === 'debug') {
      if (typeof v !== 'boolean') throw invalidArgument('debug must be true or false');
      if (v && json['log-level'] === undefined) {
        values.logLevel = 'debug';
        keys.add('logLevel');
      }
      continue;
    }
    const o = byJson.get(k);
    if (!o) continue; // a FIXED key with the value Berth always has
    (values as Record<string, unknown>)[o.key] = jsonValue(o, v, k);
    keys.add(o.key);
  }
  return { values, keys };
}

export interface LoadedConfig {
  config: DaemonConfig;
  help: boolean;
  version: boolean;
  validate: boolean;
  /** Re-reads daemon.json with the same flags (SIGHUP). */
  reload(): Promise<DaemonConfig>;
}

export async function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const flags = parseFlags(argv);
  const configFile = flags.values.configFile ?? DEFAULTS.configFile;
  const build = async (): Promise<DaemonConfig> => {
    const file = await readConfigFile(configFile, flags.set.has('configFile'));
    const both = [...file.keys].filter((k) => flags.set.has(k)).map(jsonNameOf);
    if (both.length)
      throw invalidArgument(
        `the following directives are specified both as a flag and in the configuration file: ${both.join(', ')}`,
      );
    return finish(
      { ...DEFAULTS, ...file.values, ...flags.values, configFile },
      new Set([...file.keys, ...flags.set]),
      env,
    );
  };
  const config = await build();
  return { config, help: flags.help, version: flags.version, validate: flags.validate, reload: build };
}

/** dockerd's TLS rules, default hosts and cross-key checks, applied after merging. */
function finish(c: DaemonConfig, given: Set<Key>, env: NodeJS.ProcessEnv): DaemonConfig {
  // Any tlsverify, even false, turns TLS on (dockerd); without one, verification follows --tls.
  if (given.has('tlsVerify')) c.tls = true;
  else c.tlsVerify = c.tls;
  c.tlsExplicit = given.has('tlsVerify') || given.has('tls');
  const certDir = defaultCertPath(env);
  if (!given.has('tlsCaCert')) c.tlsCaCert = join(certDir, 'ca.pem');
  if (!given.has('tlsCert')) c.tlsCert = existsSync(join(certDir, 'cert.pem')) ? join(certDir, 'cert.pem') : '';
  if (!given.has('tlsKey')) c.tlsKey = existsSync(join(certDir, 'key.pem')) ? join(certDir, 'key.pem') : '';
  if (c.hosts.length === 0) c.hosts = [c.tls ? DEFAULT_TLS_HOST : DEFAULT_UNIX_HOST];
  if (c.criHost.startsWith('unix://')) c.criHost = c.criHost.slice('unix://'.length);
  if (c.criHost && !c.criHost.startsWith('/'))
    throw invalidArgument(`invalid cri-host ${c.criHost}: only unix sockets are served`);
  if (c.defaultRuntime !== 'runc' && !c.runtimes[c.defaultRuntime])
    throw invalidArgument(`default runtime ${c.defaultRuntime} does not exist`);
  const labels = new Map<string, string>();
  for (const l of c.labels) {
    const [k, v] = [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)];
    if (labels.has(k) && labels.get(k) !== v)
      throw invalidArgument(`conflict labels for ${k}=${labels.get(k)} and ${l}`);
    labels.set(k, v);
  }
  c.labels = [...labels].map(([k, v]) => `${k}=${v}`);
  return c;
}
