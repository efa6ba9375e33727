// berthd: parse configuration, take the data-root lock, build the engine, re-adopt running
// containers, then serve the API. SIGTERM stops serving and leaves containers running
// under their shims: the next berthd picks them up. SIGHUP reloads daemon.json.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getgrnam } from './group.ts';
import { createLogger } from '../common/logger.ts';
import { messageOf } from '../common/errors.ts';
import { lockFile } from '../sys/lock.ts';
import { raiseNofileLimit } from '../sys/limits.ts';
import { peerCredentials, sdNotify } from '../sys/sockets.ts';
import { ApiServer } from '../api/server.ts';
import { ENGINE_VERSION } from '../services/system/info.ts';
import { loadConfig, USAGE } from './config.ts';
import { buildEngine } from './wire-engine.ts';
import { buildCri, type Cri } from './wire-cri.ts';
import { serverTls } from './tls.ts';
import { listenSpecs } from './listeners.ts';
import { readPolicy, wireAuthz } from './wire-authz.ts';
import { reloadConfig } from './reload.ts';
import { claimBridge, markBridge } from './bridge-claim.ts';
import { bodyLimitsFor } from './body-limits.ts';

// A SIGHUP during start-up must not kill berthd (the default action): it is applied once
// the daemon is up.
let onHup = () => {
  hupPending = true;
};
let hupPending = false;
process.on('SIGHUP', () => onHup());

async function main(): Promise<void> {
  const loaded = await loadConfig(process.argv.slice(2));
  const { config } = loaded;
  if (loaded.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (loaded.version) {
    process.stdout.write(`Berth version ${ENGINE_VERSION}\n`);
    return;
  }
  const log = createLogger(config.logLevel, {}, undefined, config.logFormat);
  const tls = await serverTls(config);
  if (loaded.validate) {
    if (config.authorizationPolicy) await readPolicy(config.authorizationPolicy);
    process.stderr.write('configuration OK\n');
    return;
  }
  if (process.getuid?.() !== 0) throw new Error('berthd needs to be started with root privileges');
  const listen = await listenSpecs(config, tls, log);

  await mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
  await mkdir(config.execRoot, { recursive: true, mode: 0o711 });
  // One daemon per data root (and per exec root): a second one refuses to start.
  const locks = [
    await lockFile(join(config.dataRoot, 'berthd.lock')),
    await lockFile(join(config.execRoot, 'berthd.lock')),
  ];
  const bridgeLock = await claimBridge(config.bridge, config.execRoot);
  if (bridgeLock) locks.push(bridgeLock);
  raiseNofileLimit();
  if (config.pidfile) await writeFile(config.pidfile, `${process.pid}\n`);

  const engine = await buildEngine(config, log);
  let server: ApiServer | undefined;
  let cri: Cri | undefined;
  let authz: Awaited<ReturnType<typeof wireAuthz>>;
  try {
    await markBridge(config.bridge, config.execRoot);
    authz = await wireAuthz({ config, containers: engine.containers, events: engine.events, log });
    await engine.restore();
    const az = authz;
    server = new ApiServer({
      router: engine.router,
      log,
      socketGid: getgrnam(config.group),
      peerCredentials,
      authorizer: () => az.current(),
      bodyLimits: bodyLimitsFor(config),
    });
    await server.listen(listen);
    if (config.cri) {
      cri = await buildCri(config, engine, log, getgrnam(config.group));
      log.info('CRI listen on ' + (await cri.listen()));
    }
  } catch (err) {
    // Nothing started for this daemon outlives its failed start (the idle shim pool).
    await server?.close().catch(() => {});
    await cri?.close().catch(() => {});
    await engine.shutdown().catch(() => {});
    throw err;
  }
  for (const b of server.bound) log.info('API listen on ' + b.replace(/^unix:\/\//, ''));
  log.info('Daemon has completed initialization', { version: ENGINE_VERSION });
  notify('READY=1', log);

  let stopping = false;
  let reloading: Promise<unknown> = Promise.resolve();
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info('Processing signal', { signal: sig });
    notify('STOPPING=1', log);
    await reloading.catch(() => {});
    await server?.close().catch(() => {});
    await cri?.close().catch(() => {});
    await engine.shutdown().catch(() => {});
    if (config.pidfile) await rm(config.pidfile, { force: true });
    for (const l of locks) l.release();
    log.info('Daemon shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGPIPE', () => {});
  onHup = () => {
    if (stopping) return;
    reloading = reloading.then(() =>
      reloadConfig(loaded, { live: config, log, authz, events: engine.events, engineId: engine.id }),
    );
  };
  if (hupPending) onHup();
}

function notify(state: string, log: { warn(m: string, f?: Record<string, unknown>): void }): void {
  try {
    sdNotify(state);
  } catch (err) {
    log.warn('sd_notify failed', { err: messageOf(err) });
  }
}

main().catch((err) => {
  process.stderr.write(`berthd: ${messageOf(err)}\n`);
  process.exit(1);
});
