// A CNI runtime of our own (the libcni part): finds the network configuration in a conf
// directory the way libcni does (first *.conflist/*.conf/*.json by name), runs each
// plugin binary of the list for ADD (in order, chaining prevResult) and DEL (reverse), and
// passes runtime capabilities (portMappings, dns) to the plugins that declare them.
// It knows nothing of pods: a container ID, a netns path and an interface name.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { internal, invalidArgument, isNotExist, messageOf } from '../common/errors.ts';
import { isObject } from '../common/json.ts';
import { run } from '../sys/exec.ts';

export interface CniPlugin {
  type: string;
  capabilities?: Record<string, boolean>;
  [k: string]: unknown;
}

export interface CniConfList {
  cniVersion: string;
  name: string;
  plugins: CniPlugin[];
  disableCheck?: boolean;
  /** The file it was read from. */
  source: string;
}

export interface CniPortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

export interface CniAttachment {
  containerId: string;
  netns: string;
  ifname: string;
  /** CNI_ARGS, e.g. K8S_POD_NAMESPACE, K8S_POD_NAME. */
  args?: Record<string, string>;
  capabilities?: { portMappings?: CniPortMapping[]; dns?: unknown; bandwidth?: unknown };
}

/** The plugins' result (CNI spec 0.4/1.0): interfaces, IPs, routes, DNS. */
export interface CniResult {
  cniVersion?: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  routes?: unknown[];
  dns?: unknown;
  [k: string]: unknown;
}

const CONF_EXT = /\.(conflist|conf|json)$/;

/** The network libcni would pick from a conf dir; undefined when there is none. */
export async function loadConfList(dir: string): Promise<CniConfList | undefined> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => CONF_EXT.test(n)).sort();
  } catch (err) {
    if (isNotExist(err)) return undefined;
    throw err;
  }
  for (const n of names) {
    const path = join(dir, n);
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      continue; // libcni skips files it cannot parse
    }
    if (!isObject(doc)) continue;
    if (n.endsWith('.conflist') || Array.isArray(doc.plugins)) {
      const plugins = doc.plugins;
      if (
        !Array.isArray(plugins) ||
        plugins.length === 0 ||
        !plugins.every((p) => isObject(p) && typeof p.type === 'string')
      )
        continue;
      return {
        cniVersion: String(doc.cniVersion ?? '0.4.0'),
        name: String(doc.name ?? ''),
        plugins: plugins as CniPlugin[],
        disableCheck: doc.disableCheck === true,
        source: path,
      };
    }
    if (typeof doc.type !== 'string') continue;
    // A single-plugin .conf is a list of one.
    const { cniVersion, name, ...plugin } = doc;
    return {
      cniVersion: String(cniVersion ?? '0.4.0'),
      name: String(name ?? ''),
      plugins: [plugin as CniPlugin],
      source: path,
    };
  }
  return undefined;
}

/** Whether every plugin of the list has its binary in one of the bin dirs. */
export async function missingPlugins(list: CniConfList, binDirs: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const p of list.plugins) if (!(await findPlugin(p.type, binDirs))) missing.push(p.type);
  return missing;
}

async function findPlugin(type: string, binDirs: string[]): Promise<string | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(type)) throw invalidArgument(`CNI plugin type ${JSON.stringify(type)} is not a name`);
  for (const d of binDirs) {
    try {
      const entries = await readdir(d);
      if (entries.includes(type)) return join(d, type);
    } catch {
      /* a missing dir is skipped, as libcni does */
    }
  }
  return undefined;
}

function pluginConfig(list: CniConfList, p: CniPlugin, a: CniAttachment, prev: CniResult | undefined): string {
  const conf: Record<string, unknown> = { ...p, cniVersion: list.cniVersion, name: list.name };
  if (prev) conf.prevResult = prev;
  const rc: Record<string, unknown> = {};
  for (const [cap, on] of Object.entries(p.capabilities ?? {})) {
    const v = on ? (a.capabilities as Record<string, unknown> | undefined)?.[cap] : undefined;
    if (v !== undefined) rc[cap] = v;
  }
  if (Object.keys(rc).length) conf.runtimeConfig = rc;
  return JSON.stringify(conf);
}

async function exec(
  command: 'ADD' | 'DEL' | 'CHECK',
  list: CniConfList,
  p: CniPlugin,
  a: CniAttachment,
  prev: CniResult | undefined,
  binDirs: string[],
  signal?: AbortSignal,
): Promise<CniResult | undefined> {
  const bin = await findPlugin(p.type, binDirs);
  if (!bin) throw internal(`failed to find plugin "${p.type}" in path [${binDirs.join(' ')}]`);
  const args = Object.entries(a.args ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(';');
  const r = await run(bin, [], {
    input: pluginConfig(list, p, a, prev),
    env: {
      CNI_COMMAND: command,
      CNI_CONTAINERID: a.containerId,
      CNI_NETNS: a.netns,
      CNI_IFNAME: a.ifname,
      CNI_PATH: binDirs.join(':'),
      ...(args ? { CNI_ARGS: args } : {}),
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    },
    timeoutMs: 60_000,
    allowFail: true,
    signal,
  });
  const out = r.stdout.toString('utf8').trim();
  if (r.code !== 0) {
    let msg = r.stderr.toString('utf8').trim() || `exit status ${r.code}`;
    try {
      const e = JSON.parse(out) as { msg?: string; details?: string };
      if (e.msg) msg = e.details ? `${e.msg}: ${e.details}` : e.msg;
    } catch {
      /* not a CNI error document */
    }
    throw internal(`plugin type="${p.type}" name="${list.name}" failed (${command.toLowerCase()}): ${msg}`);
  }
  if (command !== 'ADD') return undefined;
  try {
    return JSON.parse(out) as CniResult;
  } catch (err) {
    throw internal(`plugin type="${p.type}" (add) printed no result: ${messageOf(err)}`);
  }
}

/** Runs ADD through the list; on failure the plugins already run are undone with DEL. */
export async function cniAdd(
  list: CniConfList,
  a: CniAttachment,
  binDirs: string[],
  signal?: AbortSignal,
): Promise<CniResult> {
  let prev: CniResult | undefined;
  try {
    for (const p of list.plugins) prev = await exec('ADD', list, p, a, prev, binDirs, signal);
  } catch (err) {
    await cniDel(list, a, binDirs, prev).catch(() => {});
    throw err;
  }
  return prev ?? {};
}

/** Runs DEL through the list in reverse; every plugin is tried, the first error is thrown. */
export async function cniDel(
  list: CniConfList,
  a: CniAttachment,
  binDirs: string[],
  prev: CniResult | undefined,
): Promise<void> {
  let first: unknown;
  for (const p of [...list.plugins].reverse()) {
    await exec('DEL', list, p, a, prev, binDirs).catch((err) => {
      first ??= err;
    });
  }
  if (first) throw first;
}
