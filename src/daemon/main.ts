// berthd: parse configuration, take the data-root lock, build the engine, re-adopt running
// containers, then serve the API. SIGTERM stops serving and leaves containers running
// under their shims: the next berthd picks them up.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getgrnam } from './group.ts';
import { createLogger } from '../common/logger.ts';
import { messageOf } from '../common/errors.ts';
import { lockFile } from '../sys/lock.ts';
import { raiseNofileLimit } from '../sys/limits.ts';
import { ApiServer } from '../api/server.ts';
import { ENGINE_VERSION } from '../services/system/info.ts';
import { loadConfig, USAGE } from './config.ts';
import { buildEngine } from './wire-engine.ts';

async function main(): Promise<void> {
  const { config, help, version } = await loadConfig(process.argv.slice(2));
  if (help) {
    process.stdout.write(USAGE);
    return;
  }
  if (version) {
    process.stdout.write(`Berth version ${ENGINE_VERSION}\n`);
    return;
  }
  const log = createLogger(config.logLevel);
  if (process.getuid?.() !== 0) throw new Error('berthd needs to be started with root privileges');

  await mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
  await mkdir(config.execRoot, { recursive: true, mode: 0o711 });
  // One daemon per data root (and per exec root): a second one refuses to start.
  const locks = [
    await lockFile(join(config.dataRoot, 'berthd.lock')),
    await lockFile(join(config.execRoot, 'berthd.lock')),
  ];
  raiseNofileLimit();
  if (config.pidfile) await writeFile(config.pidfile, `${process.pid}\n`);

  const engine = await buildEngine(config, log);
  await engine.restore();
  const server = new ApiServer({ router: engine.router, log, socketGid: getgrnam(config.group) });
  await server.listen(config.hosts);
  for (const h of config.hosts) log.info('API listen on ' + h.replace(/^unix:\/\//, ''));
  log.info('Daemon has completed initialization', { version: ENGINE_VERSION });

  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info('Processing signal', { signal: sig });
    await server.close().catch(() => {});
    await engine.shutdown().catch(() => {});
    if (config.pidfile) await rm(config.pidfile, { force: true });
    for (const l of locks) l.release();
    log.info('Daemon shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGPIPE', () => {});
}

main().catch((err) => {
  process.stderr.write(`berthd: ${messageOf(err)}\n`);
  process.exit(1);
});
