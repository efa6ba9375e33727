// SIGHUP (what `systemctl reload` sends): re-read daemon.json with the same flags, apply
// the keys that can change while berthd runs, say what changed, and warn about the ones
// that need a restart. Nothing stops: containers, shims and connections stay as they are.
// A configuration that does not load changes nothing.
import { hostname } from 'node:os';
import { messageOf } from '../common/errors.ts';
import type { RootLogger } from '../common/logger.ts';
import type { EventBus } from '../events/bus.ts';
import { sdNotify } from '../sys/sockets.ts';
import { jsonNameOf, RELOADABLE, type DaemonConfig, type LoadedConfig } from './config.ts';
import type { AuthzHolder } from './wire-authz.ts';

export interface ReloadTargets {
  /** The configuration the engine reads while it runs: reloadable keys change in place. */
  live: DaemonConfig;
  log: RootLogger;
  authz: AuthzHolder;
  events: EventBus;
  engineId: string;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Returns the daemon.json names of the keys that changed (empty on failure or no change). */
export async function reloadConfig(loaded: LoadedConfig, t: ReloadTargets): Promise<string[]> {
  const { live, log } = t;
  log.info('Got signal to reload configuration', { 'config-file': live.configFile });
  notify(`RELOADING=1\nMONOTONIC_USEC=${monotonicUsec()}`, log);
  try {
    let next: DaemonConfig;
    try {
      next = await loaded.reload();
    } catch (err) {
      log.error('Error reloading configuration: the running configuration is kept', { err: messageOf(err) });
      return [];
    }
    const changed = (Object.keys(next) as (keyof DaemonConfig)[]).filter((k) => !same(next[k], live[k]));
    const now = changed.filter((k) => RELOADABLE.has(k));
    const later = changed.filter((k) => !RELOADABLE.has(k));
    if (now.includes('authorizationPolicy') || now.includes('authorizationPlugins') || next.authorizationPolicy) {
      try {
        // The policy file is read again even under the same name: its rules may have changed.
        if ((await t.authz.apply(next)) && !now.includes('authorizationPolicy')) now.push('authorizationPolicy');
      } catch (err) {
        log.error('Error reloading configuration: authorization did not load; nothing was changed', {
          err: messageOf(err),
        });
        return [];
      }
    }
    for (const k of now) {
      log.info('configuration changed', {
        key: jsonNameOf(k),
        from: JSON.stringify(live[k]),
        to: JSON.stringify(next[k]),
      });
      (live as unknown as Record<string, unknown>)[k] = next[k];
    }
    if (now.includes('logLevel')) log.setLevel(live.logLevel);
    for (const k of later)
      log.warn(`${jsonNameOf(k)} changed in the configuration; it takes effect when berthd restarts`, {
        running: JSON.stringify(live[k]),
        configured: JSON.stringify(next[k]),
      });
    const names = now.map(jsonNameOf);
    t.events.publish('daemon', 'reload', t.engineId, {
      name: hostname(),
      ...Object.fromEntries([...RELOADABLE].map((k) => [jsonNameOf(k), JSON.stringify(live[k])])),
    });
    log.info('Reloaded configuration', { changed: names.length ? names.join(',') : 'nothing' });
    return names;
  } finally {
    notify('READY=1', log);
  }
}

function notify(state: string, log: RootLogger): void {
  try {
    sdNotify(state);
  } catch (err) {
    log.warn('sd_notify failed', { err: messageOf(err) });
  }
}

function monotonicUsec(): string {
  return (process.hrtime.bigint() / 1000n).toString();
}
