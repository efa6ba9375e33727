// Composition root: builds the stores, the services' dependencies and the API routers.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../sys/atomic.ts';
import type { Logger } from '../common/logger.ts';
import { KeyedMutex } from '../common/mutex.ts';
import { Background } from '../common/background.ts';
import { BERTH_DEFAULTS } from '../logs/options.ts';
import { checkedLogDefaults, journalSettings } from './log-settings.ts';
import { chainIds } from '../common/digest.ts';
import { ContentStore } from '../content/store.ts';
import { ImageStore } from '../images/store.ts';
import { ContainerStore } from '../containers/store.ts';
import { EventBus } from '../events/bus.ts';
import { openJournal } from '../events/journal.ts';
import { ExecRegistry } from '../services/containers/exec-registry.ts';
import { parseDetachKeys } from '../services/containers/stdin.ts';
import { imageLayers } from '../services/containers/rootfs.ts';
import { registerInteractive } from './wire-interactive.ts';
import { wireContainers } from './wire-containers.ts';
import { enrichContainerEvents } from './wire-events.ts';
import { Router } from '../api/router.ts';
import { imageRoutes } from '../api/routes/images.ts';
import { swarmRoutes } from '../api/routes/swarm.ts';
import { pluginRoutes } from '../api/routes/plugins.ts';
import { systemRoutes } from '../api/routes/system.ts';
import { distributionRoutes, createFromRegistry } from '../api/routes/distribution.ts';
import { buildDistribution } from './wire-distribution.ts';
import { decompress } from '../snapshots/decompress.ts';
import type { ContainerDeps } from '../services/containers/deps.ts';
import type { ImageDeps } from '../services/images/deps.ts';
import type { PullRequest } from '../services/images/pull.ts';
import { LiveRegistry } from '../services/containers/live.ts';
import { Supervisor } from '../services/containers/supervisor.ts';
import { HealthProbes } from '../services/containers/health.ts';
import { restoreContainers } from '../services/containers/restore.ts';
import { observeIllegalTransitions } from '../containers/state-machine.ts';
import type { OpContext } from '../common/context.ts';
import { importImage } from '../services/images/import.ts';
import { listImages, pruneImages, removeImage, tagImage } from '../services/images/manage.ts';
import { imageHistory, imageInspect } from '../services/images/views.ts';
import { systemInfo, versionInfo } from '../services/system/info.ts';
import { eventFollowers } from '../services/system/events.ts';
import { probeComponents } from './components.ts';
import type { DaemonConfig } from './config.ts';
import { Layers } from './layers-adapter.ts';
import { createRuntime, userResolver } from './runtime-adapter.ts';
import { loadRemap } from './userns-remap.ts';
import { buildNetworking } from './wire-network.ts';
import { wireContainerFs } from './wire-container-fs.ts';
import { wireBuild } from './wire-build.ts';
import { containerFs } from './fs-adapter.ts';
import { wireVolumes } from './wire-volumes.ts';
import { volumeUsage } from '../services/volumes/usage.ts';
import { hostFacts } from './host-adapter.ts';

const INIT_PATH = '/usr/bin/tini-static';

/** dockerd's warnings in `info` about an API reachable over the network without TLS. */
function apiWarnings(c: DaemonConfig): string[] {
  const out: string[] = [];
  for (const h of c.hosts.filter((x) => x.startsWith('tcp://'))) {
    const addr = h.slice('tcp://'.length);
    if (!c.tls)
      out.push(
        `WARNING: API is accessible on http://${addr} without encryption.\n         Access to the remote API is equivalent to root access on the host. Refer\n         to the 'Docker daemon attack surface' section in the documentation for\n         more information: https://docs.docker.com/go/attack-surface/`,
      );
    else if (!c.tlsVerify)
      out.push(
        `WARNING: API is accessible on https://${addr} without TLS client verification.\n         Access to the remote API is equivalent to root access on the host.`,
      );
  }
  return out;
}

export interface Engine {
  router: Router;
  containers: ContainerDeps;
  events: EventBus;
  /** The engine ID (`info` ID, the Actor of daemon events). */
  id: string;
  images: ImageDeps;
  /** The Engine API's pull (shared downloads, same store), for the CRI. */
  pull(req: PullRequest, signal: AbortSignal): Promise<void>;
  restore(): Promise<void>;
  shutdown(): Promise<void>;
}

async function engineId(dataRoot: string): Promise<string> {
  const p = join(dataRoot, 'engine-id');
  try {
    return (await readFile(p, 'utf8')).trim();
  } catch {
    const id = randomUUID();
    await writeFileAtomic(p, id + '\n', 0o600);
    return id;
  }
}

const EVENT_HISTORY = 1024;

/**
 * A berthd that fails to start must not leave what it already started behind (the shim
 * pool launches a shim as soon as the runtime exists): it is closed again.
 */
export async function buildEngine(config: DaemonConfig, log: Logger): Promise<Engine> {
  const opened: { close(): Promise<void> }[] = [];
  try {
    return await assembleEngine(config, log, opened);
  } catch (err) {
    for (const o of opened.reverse()) await o.close().catch(() => {});
    throw err;
  }
}

async function assembleEngine(
  config: DaemonConfig,
  log: Logger,
  opened: { close(): Promise<void> }[],
): Promise<Engine> {
  // daemon.json's log-driver and log-opts (and the journal namespace) are checked first,
  // before anything is started: a bad value stops berthd at once, leaving no shim, bridge or
  // firewall table behind. They are merged into each container's LogConfig at create.
  const logDriver = checkedLogDefaults(config.logDriver, config.logOpts);
  const journalTarget = journalSettings(process.env.BERTH_JOURNAL_NAMESPACE);
  if (config.detachKeys) parseDetachKeys(config.detachKeys);
  const warnings: string[] = [];
  const content = new ContentStore(join(config.dataRoot, 'content'));
  await content.init();
  const layers = new Layers(config.dataRoot);
  warnings.push(...(await layers.init()));
  const images = new ImageStore({
    root: join(config.dataRoot, 'images'),
    content,
    layerSize: (c) => layers.size(c),
    hasLayer: (c) => layers.has(c),
  });
  const containers = new ContainerStore(join(config.dataRoot, 'containers'));
  const router = new Router();
  const { journal, history } = await openJournal(join(config.dataRoot, 'events.jsonl'), EVENT_HISTORY);
  const events = new EventBus({ cap: EVENT_HISTORY, journal, history });
  journal.compactFrom(() => events.snapshot());
  const views = containerFs(config.execRoot, log);
  const remap = await loadRemap(config.usernsRemap);
  if (remap) log.info('user namespace remapping', { user: remap.user, group: remap.group, root: remap.root });
  const idMappings = remap ? { uidMappings: remap.uidMap, gidMappings: remap.gidMap } : undefined;
  const vols = wireVolumes({
    config,
    events,
    log,
    router,
    store: containers,
    fs: views,
    imageLayers: (ref) => imageLayers({ images, layers }, ref),
    ...(remap && idMappings ? { remap: { ...idMappings, root: remap.root } } : {}),
  });
  const quarantined = [...(await images.load((doc) => chainIds(doc.rootfs.diff_ids))), ...(await containers.load())];
  quarantined.push(...(await vols.init()));
  for (const q of quarantined) {
    log.warn('quarantined a damaged record', { path: q.path, reason: q.reason });
    warnings.push(`quarantined ${q.reason} (moved to ${q.path})`);
  }
  const runtime = await createRuntime(config, log, remap);
  opened.push(runtime);
  const locks = new KeyedMutex();
  // The daemon's own context: background work (restart policies, auto-removal, start-up)
  // runs under it, and shutdown aborts it. A request's context carries the request's
  // signal; shutdown closes every connection, which aborts those too.
  const life = new AbortController();
  const daemonCtx: OpContext = { signal: life.signal, log };
  const op = (signal: AbortSignal): OpContext => ({ signal, log });
  // Berth's bug, whoever swallows the throw: logged where the test harness looks for it.
  observeIllegalTransitions((err) => log.error(err.message, { from: err.from, to: err.to }));
  enrichContainerEvents(events, containers);
  const id = await engineId(config.dataRoot);
  const net = buildNetworking({ config, engineId: id, containers, events, locks, log, router });
  await net.init();
  const live = new LiveRegistry();
  const execs = new ExecRegistry();
  const background = new Background();
  const settings = {
    logDefaults: BERTH_DEFAULTS,
    logDriver,
    logOpts: config.logOpts,
    journal: journalTarget,
    detachKeys: config.detachKeys,
    ...(remap && idMappings ? { remappedRoot: remap.root, idMappings } : {}),
    // Read at each create: a SIGHUP may add or remove daemon.json runtimes.
    get runtimes() {
      return Object.keys(config.runtimes);
    },
  };
  const probes = new HealthProbes({ store: containers, images, layers, runtime, events, live, log });
  const supervisor = new Supervisor({
    store: containers,
    images,
    layers,
    runtime,
    events,
    live,
    execs,
    locks,
    network: net.containers,
    volumes: vols.containers,
    background,
    settings,
    ctx: daemonCtx,
    probes,
  });
  const cdeps: ContainerDeps = {
    store: containers,
    images,
    layers,
    runtime,
    users: userResolver,
    events,
    live,
    execs,
    locks,
    network: net.containers,
    volumes: vols.containers,
    settings,
    supervisor,
    host: hostFacts(),
    removalGuards: [],
  };
  const ideps: ImageDeps = {
    images,
    content,
    layers,
    containers,
    events,
    log,
    decompress: async (src) => (await decompress(src)).stream,
  };
  const dist = buildDistribution(config, ideps, log);

  const components = await probeComponents({ runc: runtime.runcPath, shim: runtime.shimPath, init: INIT_PATH });
  warnings.push(...apiWarnings(config));
  // `config` is the live configuration: reloadable keys change in it (daemon/reload.ts).
  systemRoutes(router, {
    version: () => versionInfo(components),
    info: async () =>
      systemInfo({
        containers,
        images,
        engineId: id,
        dataRoot: config.dataRoot,
        runtimePath: runtime.runcPath,
        logDriver: config.logDriver,
        warnings: () => warnings,
        debug: () => config.logLevel === 'debug',
        labels: () => config.labels,
        registry: () => ({ insecure: config.insecureRegistries, mirrors: config.registryMirrors }),
        runtimes: () => config.runtimes,
        defaultRuntime: () => config.defaultRuntime,
        authorizationPlugins: () => config.authorizationPlugins,
        components,
        eventListeners: eventFollowers,
        seccompProfile: config.seccompProfile,
        noNewPrivileges: config.noNewPrivileges,
        userns: Boolean(remap),
      }),
  });
  wireContainers(router, cdeps, op, daemonCtx, net.removeLink);
  registerInteractive(router, cdeps, events, op, daemonCtx);
  imageRoutes(router, {
    import: (req, signal) => importImage(ideps, op(signal), req),
    list: (o) => listImages(ideps, { all: o.all, filters: o.filters }),
    inspect: (name) => imageInspect(ideps, images.resolve(name)),
    history: (name) => imageHistory(ideps, images.resolve(name)),
    tag: (name, repo, tag) => tagImage(ideps, name, repo, tag),
    remove: (name, o) => removeImage(ideps, name, o),
    prune: (f, signal) =>
      pruneImages(ideps, op(signal), f).then(async (r) => ({
        ...r,
        SpaceReclaimed: r.SpaceReclaimed + (await dist.gc()).bytes,
      })),
    fromRegistry: (ctx) => createFromRegistry(ctx, dist),
  });
  distributionRoutes(router, dist);
  swarmRoutes(router);
  pluginRoutes(router);
  wireContainerFs(router, cdeps, ideps, views, op);
  const build = wireBuild(
    router,
    cdeps,
    { containers: cdeps, images: ideps, fs: views },
    (req, signal, emit) => dist.pull(req, signal, emit),
    config.dataRoot,
    op,
    () => volumeUsage(vols.deps),
  );

  return {
    router,
    containers: cdeps,
    events,
    id,
    images: ideps,
    pull: (req, signal) => dist.pull(req, signal, () => {}),
    restore: async () => {
      views.sweepViews();
      await restoreContainers(cdeps, daemonCtx);
      vols.afterRestore();
      await build.cleanup(daemonCtx);
      await net.reconcile((cid) => Boolean(live.peek(cid)?.task));
    },
    shutdown: async () => {
      life.abort();
      probes.stopAll();
      await background.drain();
      await runtime.close();
      await journal.close();
      await net.close();
    },
  };
}
