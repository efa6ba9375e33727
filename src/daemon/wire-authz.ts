// Authorization for the Engine API: the built-in policy file and Docker plugins from the
// configuration, the record of who created which container, the `authz` events. Reload
// builds a new authorizer first and swaps it in only when everything in it loaded.
import { readFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument, messageOf } from '../common/errors.ts';
import { isObject, parseJsonSafe } from '../common/json.ts';
import type { Logger } from '../common/logger.ts';
import { writeFileAtomic } from '../sys/atomic.ts';
import { Authorizer, type Owners } from '../authz/authorizer.ts';
import { AuthzPlugin } from '../authz/plugin.ts';
import { parsePolicy, type Policy } from '../authz/policy.ts';
import type { EventBus } from '../events/bus.ts';
import type { ContainerDeps } from '../services/containers/deps.ts';
import type { DaemonConfig } from './config.ts';

export async function readPolicy(path: string): Promise<Policy> {
  return (await readPolicyText(path)).policy;
}

async function readPolicyText(path: string): Promise<{ policy: Policy; text: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw invalidArgument(`authorization-policy: cannot read ${path}: ${messageOf(err)}`);
  }
  return { policy: parsePolicy(parseJsonSafe(text, `authorization policy ${path}`), path), text };
}

/** container ID → creator, kept in <data-root>/authz/owners.json. */
async function loadOwners(dataRoot: string, log: Logger): Promise<Owners & { drop(id: string): void }> {
  const dir = join(dataRoot, 'authz');
  const file = join(dir, 'owners.json');
  const map = new Map<string, string>();
  try {
    const doc = parseJsonSafe(await readFile(file, 'utf8'), file);
    if (isObject(doc)) for (const [k, v] of Object.entries(doc)) if (typeof v === 'string') map.set(k, v);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn('could not read container owners; ownership rules will deny until containers are re-created', {
        err: messageOf(err),
      });
  }
  let writing = Promise.resolve();
  const save = () => {
    writing = writing
      .then(async () => {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await writeFileAtomic(file, JSON.stringify(Object.fromEntries(map)) + '\n', 0o600);
      })
      .catch((err) => log.warn('could not save container owners', { err: messageOf(err) }));
  };
  return {
    get: (id) => map.get(id),
    set(id, owner) {
      map.set(id, owner);
      save();
    },
    drop(id) {
      if (map.delete(id)) save();
    },
  };
}

export interface AuthzHolder {
  /** The authorizer in force; undefined when neither a policy nor plugins are configured. */
  current(): Authorizer | undefined;
  /**
   * Loads the configuration's policy and plugins and swaps them in (all or nothing).
   * True when the policy's content or the plugins differ from the ones in force.
   */
  apply(config: DaemonConfig): Promise<boolean>;
}

export async function wireAuthz(o: {
  config: DaemonConfig;
  containers: ContainerDeps;
  events: EventBus;
  log: Logger;
}): Promise<AuthzHolder> {
  const owners = await loadOwners(o.config.dataRoot, o.log);
  o.events.subscribe((e) => {
    if (e.Type === 'container' && e.Action === 'destroy') owners.drop(e.Actor.ID);
  });
  const context = {
    resolveContainer: (ref: string) => {
      try {
        return o.containers.store.tryResolve(ref)?.record.id;
      } catch {
        return undefined; // an ambiguous prefix: the handler refuses it
      }
    },
    execContainer: (execId: string) => {
      try {
        return o.containers.execs.get(execId).record.ContainerID;
      } catch {
        return undefined;
      }
    },
    realpath: (p: string) => {
      try {
        return realpathSync(p);
      } catch {
        return p;
      }
    },
  };
  let current: Authorizer | undefined;
  let inForce = '';
  const build = async (c: DaemonConfig): Promise<{ authorizer: Authorizer | undefined; what: string }> => {
    const read = c.authorizationPolicy ? await readPolicyText(c.authorizationPolicy) : undefined;
    const policy = read?.policy;
    const what = JSON.stringify([read?.text ?? '', c.authorizationPlugins]);
    const plugins = [...new Set(c.authorizationPlugins)].map((n) => new AuthzPlugin(n));
    // dockerd refuses to start with an authorization plugin it cannot find.
    for (const p of plugins) {
      try {
        await p.activate();
      } catch (err) {
        throw invalidArgument(`authorization plugin ${p.name}: ${messageOf(err)}`);
      }
    }
    if (!policy && plugins.length === 0) return { authorizer: undefined, what };
    const authorizer = new Authorizer({
      policy,
      plugins,
      owners,
      context,
      onDeny: (d) => {
        o.log.info('request denied by authorization', { ...d });
        o.events.publish('authz', 'deny', d.by, {
          name: d.by,
          user: d.caller,
          method: d.method,
          uri: d.uri,
          reason: d.reason,
        });
      },
    });
    return { authorizer, what };
  };
  ({ authorizer: current, what: inForce } = await build(o.config));
  return {
    current: () => current,
    async apply(c) {
      const next = await build(c);
      const changed = next.what !== inForce;
      ({ authorizer: current, what: inForce } = next);
      return changed;
    },
  };
}
