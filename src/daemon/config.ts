// berthd's configuration: flags named like dockerd's, plus daemon.json with the same keys
// where they apply. As dockerd does, unknown keys and keys given both ways are errors.
import { readFile } from 'node:fs/promises';
import { invalidArgument, isNotExist } from '../common/errors.ts';
import { isObject, parseJsonSafe } from '../common/json.ts';
import { parseLevel, type Level } from '../common/logger.ts';
import { parseCidr } from '../network/cidr.ts';

export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  configFile: string;
  runtime: string;
  shim: string;
  logLevel: Level;
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
  /** Seccomp profile for containers: '' (Berth's default), 'builtin', 'unconfined', or a file. */
  seccompProfile: string;
  /** Every container gets no-new-privileges (a container may still opt out with =false). */
  noNewPrivileges: boolean;
}

export const DEFAULTS: DaemonConfig = {
  hosts: ['unix:///run/berth/berth.sock'],
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
  configFile: '/etc/berth/daemon.json',
  runtime: 'runc',
  shim: 'containerd-shim-runc-v2',
  logLevel: 'info',
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
  seccompProfile: '',
  noNewPrivileges: false,
};

// flag names → config keys (daemon.json uses the long flag names)
const FLAGS: Record<string, keyof DaemonConfig> = {
  '-H': 'hosts',
  '--host': 'hosts',
  '--data-root': 'dataRoot',
  '--exec-root': 'execRoot',
  '--config-file': 'configFile',
  '--runtime': 'runtime',
  '--shim': 'shim',
  '--log-level': 'logLevel',
  '-l': 'logLevel',
  '-p': 'pidfile',
  '--pidfile': 'pidfile',
  '--log-driver': 'logDriver',
  '--log-opt': 'logOpts',
  '--cgroup-parent': 'cgroupParent',
  '-G': 'group',
  '--group': 'group',
  '--detach-keys': 'detachKeys',
  '-b': 'bridge',
  '--bridge': 'bridge',
  '--bip': 'bip',
  '--mtu': 'mtu',
  '--icc': 'icc',
  '--iptables': 'iptables',
  '--dns': 'dns',
  '--ipv6': 'ipv6',
  '--fixed-cidr-v6': 'fixedCidrV6',
  '--volume-plugin-timeout': 'volumePluginTimeout',
  '--seccomp-profile': 'seccompProfile',
  '--no-new-privileges': 'noNewPrivileges',
};

const JSON_KEYS: Record<string, keyof DaemonConfig> = {
  hosts: 'hosts',
  'data-root': 'dataRoot',
  'exec-root': 'execRoot',
  runtime: 'runtime',
  shim: 'shim',
  'log-level': 'logLevel',
  pidfile: 'pidfile',
  'log-driver': 'logDriver',
  'log-opts': 'logOpts',
  'cgroup-parent': 'cgroupParent',
  group: 'group',
  'detach-keys': 'detachKeys',
  'insecure-registries': 'insecureRegistries',
  'registry-mirrors': 'registryMirrors',
  'max-concurrent-downloads': 'maxConcurrentDownloads',
  'max-concurrent-uploads': 'maxConcurrentUploads',
  bridge: 'bridge',
  bip: 'bip',
  'default-address-pools': 'defaultAddressPools',
  mtu: 'mtu',
  icc: 'icc',
  iptables: 'iptables',
  dns: 'dns',
  ipv6: 'ipv6',
  'fixed-cidr-v6': 'fixedCidrV6',
  'volume-plugin-timeout': 'volumePluginTimeout',
  'seccomp-profile': 'seccompProfile',
  'no-new-privileges': 'noNewPrivileges',
};

/** Typed values of the networking keys, from a flag's string or daemon.json's JSON. */
function networkValue(key: keyof DaemonConfig, v: unknown, name: string): unknown {
  switch (key) {
    case 'mtu': {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 68) throw invalidArgument(`invalid mtu: ${String(v)}`);
      return n;
    }
    case 'icc':
    case 'iptables':
    case 'ipv6':
    case 'noNewPrivileges':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw invalidArgument(`invalid value for ${name}: ${String(v)}`);
    case 'dns':
      return Array.isArray(v) ? v.map(String) : [String(v)];
    case 'volumePluginTimeout': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
      if (!Number.isFinite(n) || n < 0) throw invalidArgument(`invalid value for ${name}: ${String(v)} (seconds)`);
      return n;
    }
    case 'defaultAddressPools':
      if (!Array.isArray(v) || !v.every((p) => isObject(p) && typeof p.base === 'string' && Number.isInteger(p.size))) {
        throw invalidArgument('default-address-pools must be a list of {"base": CIDR, "size": prefix length}');
      }
      for (const p of v as { base: string; size: number }[]) {
        const base = parseCidr(p.base, 'default-address-pools base');
        if (p.size < base.prefix || p.size > (base.family === 4 ? 32 : 128))
          throw invalidArgument(`invalid default-address-pools size ${p.size} for base ${p.base}`);
      }
      return v.map((p) => ({ base: p.base as string, size: p.size as number }));
    default:
      return undefined;
  }
}
const NETWORK_KEYS = new Set<keyof DaemonConfig>([
  'mtu',
  'icc',
  'iptables',
  'dns',
  'defaultAddressPools',
  'ipv6',
  'volumePluginTimeout',
  'noNewPrivileges',
]);

export const USAGE = `Usage: berthd [OPTIONS]

A container engine that speaks the Docker Engine API

Options:
      --cgroup-parent string   Parent cgroup for all containers (default "/berth")
      --config-file string     Daemon configuration file (default "/etc/berth/daemon.json")
      --data-root string       Root directory of persistent state (default "/var/lib/berth")
      --detach-keys string     Default key sequence for detaching from a container (default "ctrl-p,ctrl-q")
      --exec-root string       Root directory for execution state files (default "/run/berth")
  -G, --group string           Group for the unix socket (default "docker")
  -H, --host list              Daemon socket(s) to connect to (default unix:///run/berth/berth.sock)
      --log-driver string      Default driver for container logs (default "json-file")
      --log-level string       Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
      --log-opt map            Default log driver options for containers
      --no-new-privileges      Set no-new-privileges by default for new containers
  -p, --pidfile string         Path to use for daemon PID file
      --runtime string         Path of the OCI runtime binary (default "runc")
      --seccomp-profile string Path to seccomp profile; "unconfined" to turn it off, "builtin" for the default
      --shim string            Path of containerd-shim-runc-v2 (default "containerd-shim-runc-v2")
  -v, --version                Print version information and quit
      --volume-plugin-timeout n  Seconds a volume plugin call may take (default: Docker's 1-2 minutes)
`;

export interface ParsedFlags {
  values: Partial<DaemonConfig>;
  set: Set<keyof DaemonConfig>;
  help: boolean;
  version: boolean;
}

export function parseFlags(argv: readonly string[]): ParsedFlags {
  const values: Partial<DaemonConfig> = {};
  const set = new Set<keyof DaemonConfig>();
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (arg === '-v' || arg === '--version') {
      version = true;
      continue;
    }
    if (arg === '--ipv6') {
      // A boolean flag as in dockerd: bare means true, `--ipv6=false` turns it off.
      values.ipv6 = true;
      set.add('ipv6');
      continue;
    }
    if (arg === '-D' || arg === '--debug') {
      values.logLevel = 'debug';
      set.add('logLevel');
      continue;
    }
    let val: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq !== -1) {
      val = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const key = FLAGS[arg];
    if (!key) throw invalidArgument(`unknown flag: ${arg}`);
    // A boolean flag alone means true (dockerd's --no-new-privileges).
    if (val === undefined && key === 'noNewPrivileges') val = 'true';
    if (val === undefined) {
      if (i + 1 >= argv.length) throw invalidArgument(`flag needs an argument: ${arg}`);
      val = argv[++i];
    }
    set.add(key);
    if (key === 'hosts') values.hosts = [...(values.hosts ?? []), normalizeHost(val)];
    else if (key === 'logOpts') {
      const j = val.indexOf('=');
      if (j <= 0) throw invalidArgument(`invalid log-opt: ${val}`);
      values.logOpts = { ...values.logOpts, [val.slice(0, j)]: val.slice(j + 1) };
    } else if (key === 'logLevel') values.logLevel = parseLevel(val);
    else if (key === 'dns') values.dns = [...(values.dns ?? []), val];
    else if (NETWORK_KEYS.has(key)) (values as Record<string, unknown>)[key] = networkValue(key, val, arg);
    else (values as Record<string, unknown>)[key] = val;
  }
  return { values, set, help, version };
}

function normalizeHost(h: string): string {
  if (h.startsWith('/')) return `unix://${h}`;
  if (h.startsWith('unix://') || h.startsWith('tcp://')) return h;
  if (h.startsWith('fd://')) throw invalidArgument('fd:// listeners are not supported');
  throw invalidArgument(`invalid host address: ${h}`);
}

export async function loadConfig(
  argv: readonly string[],
): Promise<{ config: DaemonConfig; help: boolean; version: boolean }> {
  const flags = parseFlags(argv);
  const configFile = flags.values.configFile ?? DEFAULTS.configFile;
  let text: string | undefined;
  try {
    text = await readFile(configFile, 'utf8');
  } catch (err) {
    if (!isNotExist(err) || flags.set.has('configFile'))
      throw invalidArgument(`unable to configure the daemon with file ${configFile}: ${(err as Error).message}`);
  }
  const fromFile: Partial<DaemonConfig> = {};
  if (text !== undefined && text.trim() !== '') {
    const json = parseJsonSafe(text, `configuration file ${configFile}`);
    if (!isObject(json)) throw invalidArgument(`invalid configuration file ${configFile}: expected a JSON object`);
    const unknown = Object.keys(json).filter((k) => !(k in JSON_KEYS) && k !== 'debug');
    if (unknown.length)
      throw invalidArgument(`the following directives don't match any configuration option: ${unknown.join(', ')}`);
    const both = Object.keys(json).filter((k) => k in JSON_KEYS && flags.set.has(JSON_KEYS[k]));
    if (both.length)
      throw invalidArgument(
        `the following directives are specified both as a flag and in the configuration file: ${both.join(', ')}`,
      );
    for (const [k, v] of Object.entries(json)) {
      if (k === 'debug') {
        if (v === true) fromFile.logLevel = 'debug';
        continue;
      }
      const key = JSON_KEYS[k];
      if (key === 'hosts') {
        if (!Array.isArray(v)) throw invalidArgument('hosts must be a list');
        fromFile.hosts = v.map((h) => normalizeHost(String(h)));
      } else if (key === 'logOpts') {
        if (!isObject(v)) throw invalidArgument('log-opts must be an object');
        fromFile.logOpts = Object.fromEntries(Object.entries(v).map(([a, b]) => [a, String(b)]));
      } else if (key === 'logLevel') fromFile.logLevel = parseLevel(String(v));
      else if (NETWORK_KEYS.has(key)) (fromFile as Record<string, unknown>)[key] = networkValue(key, v, k);
      else if (key === 'insecureRegistries' || key === 'registryMirrors') {
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
          throw invalidArgument(`${k} must be a list of strings`);
        fromFile[key] = v as string[];
      } else if (key === 'maxConcurrentDownloads' || key === 'maxConcurrentUploads') {
        if (!Number.isInteger(v) || (v as number) < 1) throw invalidArgument(`${k} must be a positive integer`);
        fromFile[key] = v as number;
      } else if (typeof v !== 'string') throw invalidArgument(`${k} must be a string`);
      else (fromFile as Record<string, unknown>)[key] = v;
    }
  }
  const config: DaemonConfig = { ...DEFAULTS, ...fromFile, ...flags.values, configFile };
  return { config, help: flags.help, version: flags.version };
}
