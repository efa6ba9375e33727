// Finding volume plugins the way dockerd finds legacy ("v1") plugins: a socket
// `/run/docker/plugins/<name>.sock` (or `<name>/<name>.sock`), else a spec file
// `<name>.spec` (one address line) or `<name>.json` ({"Addr": …}) in /etc/docker/plugins
// or /usr/lib/docker/plugins. A found plugin is activated once (`Plugin.Activate` must
// list "VolumeDriver") and then kept.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError, notFound } from '../common/errors.ts';
import { isObject, parseJsonSafe } from '../common/json.ts';
import { parseAddress, PluginClient, PluginError, type PluginAddress } from './plugin-client.ts';
import { PluginDriver } from './plugin-driver.ts';

export interface PluginPaths {
  sockets: string;
  specs: string[];
}

export const DOCKER_PLUGIN_PATHS: PluginPaths = {
  sockets: '/run/docker/plugins',
  specs: ['/etc/docker/plugins', '/usr/lib/docker/plugins'],
};

/** Docker's per-call deadlines for volume plugins (create and mount may attach storage). */
export const PLUGIN_TIMEOUTS = { activate: 30_000, long: 120_000, short: 60_000 };

export class PluginRegistry {
  private readonly paths: PluginPaths;
  /** Overrides every deadline when set (daemon.json `volume-plugin-timeout`). */
  private readonly timeoutMs: number | undefined;
  private readonly active = new Map<string, Promise<PluginDriver>>();

  constructor(opts: { paths?: PluginPaths; timeoutMs?: number } = {}) {
    this.paths = opts.paths ?? DOCKER_PLUGIN_PATHS;
    this.timeoutMs = opts.timeoutMs;
  }

  /** The plugin called `name`, activated; 404 when there is none. */
  get(name: string): Promise<PluginDriver> {
    let p = this.active.get(name);
    if (!p) {
      p = this.activate(name);
      this.active.set(name, p);
      // A failed activation is not kept: the plugin may come up later.
      p.catch(() => {
        if (this.active.get(name) === p) this.active.delete(name);
      });
    }
    return p;
  }

  /** Drivers activated so far (what `volume ls` asks for their volumes). */
  async activated(): Promise<PluginDriver[]> {
    const out: PluginDriver[] = [];
    for (const p of this.active.values()) {
      try {
        out.push(await p);
      } catch {
        /* not activated */
      }
    }
    return out;
  }

  private async activate(name: string): Promise<PluginDriver> {
    const address = this.find(name);
    if (!address) throw notFound(`error looking up volume plugin ${name}: plugin "${name}" not found`);
    const t = (d: number) => this.timeoutMs ?? d;
    const client = new PluginClient(name, address, t(PLUGIN_TIMEOUTS.short));
    let answer: Record<string, unknown>;
    try {
      answer = await client.call('Plugin.Activate', undefined, t(PLUGIN_TIMEOUTS.activate));
    } catch (err) {
      throw new BerthError('internal', `error looking up volume plugin ${name}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const impl = answer.Implements;
    if (!Array.isArray(impl) || !impl.includes('VolumeDriver')) {
      throw new BerthError(
        'internal',
        `error looking up volume plugin ${name}: Plugin does not implement the requested driver`,
        { cause: new PluginError('Plugin.Activate', JSON.stringify(answer)) },
      );
    }
    return new PluginDriver(name, client, { long: t(PLUGIN_TIMEOUTS.long), short: t(PLUGIN_TIMEOUTS.short) });
  }

  private find(name: string): PluginAddress | undefined {
    // A plugin name becomes a file name: the same rule as a volume's keeps it one component.
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.:-]*$/.test(name) || name.includes('..')) return undefined;
    for (const p of [join(this.paths.sockets, `${name}.sock`), join(this.paths.sockets, name, `${name}.sock`)]) {
      if (statSync(p, { throwIfNoEntry: false })?.isSocket()) return { kind: 'unix', path: p };
    }
    for (const dir of this.paths.specs) {
      for (const p of [join(dir, `${name}.spec`), join(dir, name, `${name}.spec`)]) {
        if (statSync(p, { throwIfNoEntry: false })?.isFile()) return parseAddress(readFileSync(p, 'utf8').trim());
      }
      for (const p of [join(dir, `${name}.json`), join(dir, name, `${name}.json`)]) {
        if (!statSync(p, { throwIfNoEntry: false })?.isFile()) continue;
        const spec = parseJsonSafe(readFileSync(p, 'utf8'), `plugin spec ${p}`);
        if (!isObject(spec) || typeof spec.Addr !== 'string') throw notFound(`plugin spec ${p} has no Addr`);
        if (spec.TLSConfig) throw notFound(`plugin spec ${p}: TLS connections to plugins are not supported`);
        return parseAddress(spec.Addr);
      }
    }
    return undefined;
  }
}
