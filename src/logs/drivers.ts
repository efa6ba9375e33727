// The logging drivers Berth has, by name: create-time validation in dockerd's order and
// words, opening a driver for a run (with the non-blocking ring and, for drivers that cannot
// be read back, dockerd's "dual logging" cache in the local format), and which reader
// serves `logs` for a container.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { invalidArgument } from '../common/errors.ts';
import type { ContainerLogInfo, DriverContext, LogDriver } from './driver.ts';
import { openFluentd, validateFluentdOpts } from './fluentd.ts';
import { openGelf, validateGelfOpts } from './gelf.ts';
import { extraAttributes, parseLogTag } from './info.ts';
import { openJournald, validateJournaldOpts } from './journald.ts';
import { cachedLogPath, LocalLogWriter, localLogPath, parseLocalOpts, validateLocalKeys } from './local.ts';
import { isNonBlocking, ringBytes, validateMode, withRing } from './modes.ts';
import { type JsonFileOpts, parseLogOpts, validateLogOpts } from './options.ts';
import { openSyslog, validateSyslogOpts } from './syslog.ts';
import { goParseBool } from '../common/go-values.ts';
import { JsonFileWriter } from './writer.ts';
import { CriLogWriter, validateCriLogOpts } from './cri.ts';

export const LOG_DRIVERS = ['json-file', 'local', 'none', 'syslog', 'fluentd', 'gelf', 'journald'] as const;

/** Options every driver takes (dockerd's builtin log opts), removed before a driver's own check. */
const BUILTIN = new Set([
  'mode',
  'max-buffer-size',
  'cache-disabled',
  'cache-max-file',
  'cache-max-size',
  'cache-compress',
]);

/** Drivers whose records `logs` reads from their own store; the others get the cache. */
const READABLE = new Set(['json-file', 'local', 'journald']);

const VALIDATORS: Record<string, (opts: Record<string, string>) => void> = {
  'json-file': (o) => {
    validateLogOpts(o);
    parseLogOpts(o);
  },
  local: validateLocalKeys,
  syslog: validateSyslogOpts,
  fluentd: validateFluentdOpts,
  gelf: validateGelfOpts,
  journald: validateJournaldOpts,
  // Pods' containers (the CRI): kubelet's file, in the CRI's format.
  cri: validateCriLogOpts,
};

const own = (opts: Record<string, string>) => Object.fromEntries(Object.entries(opts).filter(([k]) => !BUILTIN.has(k)));

/** dockerd's ValidateLogOpts: the mode, the cache switch, the driver's existence, its options. */
export function validateLogConfig(type: string, opts: Record<string, string>): void {
  if (type === 'none') return;
  validateMode(opts);
  const cache = opts['cache-disabled'];
  if (cache) {
    try {
      goParseBool(cache);
    } catch {
      throw invalidArgument(`invalid value for option cache-disabled: ${cache}`);
    }
  }
  const v = VALIDATORS[type];
  if (!v) throw invalidArgument(`error looking up logging plugin ${type}: plugin "${type}" not found`);
  v(own(opts));
}

const cacheEnabled = (opts: Record<string, string>) => !opts['cache-disabled'] || !goParseBool(opts['cache-disabled']);

/** Where `logs` reads a container's records from, or undefined when it cannot (dockerd's 501). */
export function logSource(
  type: string,
  opts: Record<string, string>,
): { kind: 'json-file' | 'local' | 'journald'; cache?: boolean } | undefined {
  if (type === 'none') return undefined;
  if (READABLE.has(type)) return { kind: type as 'json-file' | 'local' | 'journald' };
  if (VALIDATORS[type] && cacheEnabled(opts)) return { kind: 'local', cache: true };
  return undefined;
}

/** The file a file-backed source reads (json-file, local, or the dual-logging cache). */
export function logFileOf(type: string, info: { dir: string; jsonPath: string }): string {
  if (type === 'json-file') return info.jsonPath;
  if (type === 'local') return localLogPath(info.dir);
  return cachedLogPath(info.dir);
}

export interface OpenOptions {
  /** json-file's defaults for keys the container does not set (daemon log-opts, bounded). */
  jsonDefaults: JsonFileOpts;
  jsonPath: string;
}

/**
 * Opens `type` for a run; undefined for `none`. Errors are the driver's own (dockerd's
 * words); the caller reports them as "failed to initialize logging driver: …".
 */
export async function openLogDriver(
  type: string,
  info: ContainerLogInfo,
  opts: Record<string, string>,
  ctx: DriverContext,
  o: OpenOptions,
): Promise<LogDriver | undefined> {
  if (type === 'none') return undefined;
  const mine = own(opts);
  let driver: LogDriver;
  switch (type) {
    case 'json-file': {
      const attrs = fileAttrs(info, mine);
      const w = new JsonFileWriter(o.jsonPath, { ...parseLogOpts(mine, o.jsonDefaults), attrs, onWarning: ctx.warn });
      driver = { handler: w.handler, close: () => w.close(), bind: (d) => w.bindDurable(d) };
      break;
    }
    case 'local': {
      const cfg = parseLocalOpts(mine);
      const path = localLogPath(info.dir);
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const w = new LocalLogWriter(path, { ...cfg, attrs: fileAttrs(info, mine), onWarning: ctx.warn });
      driver = { handler: w.handler, close: () => w.close() };
      break;
    }
    case 'cri': {
      const w = new CriLogWriter(mine.path);
      driver = { handler: w.handler, close: () => w.close(), reopen: () => w.reopen() };
      break;
    }
    case 'syslog':
      driver = serial(await openSyslog(info, mine, ctx));
      break;
    case 'fluentd':
      driver = serial(await openFluentd(info, mine, ctx));
      break;
    case 'gelf':
      driver = serial(await openGelf(info, mine, ctx));
      break;
    case 'journald':
      driver = serial(await openJournald(info, mine, ctx));
      break;
    default:
      throw invalidArgument(`error looking up logging plugin ${type}: plugin "${type}" not found`);
  }
  if (isNonBlocking(opts)) driver = withRing(driver, ringBytes(opts), ctx, type);
  if (READABLE.has(type) || !cacheEnabled(opts)) return driver;
  return withCache(driver, info, opts, ctx);
}

/**
 * One message at a time, in the order the copier hands them over (stdout and stderr arrive
 * concurrently): a network driver's reconnects, retries and acks then never interleave.
 */
function serial(d: LogDriver): LogDriver {
  let tail: Promise<void> = Promise.resolve();
  return {
    handler: (msg) => {
      tail = tail.then(() => d.handler(msg)).catch(() => {});
      return tail;
    },
    close: async () => {
      await d.close();
    },
  };
}

/** json-file and local records carry the picked labels/env, and the tag when one was asked for. */
function fileAttrs(info: ContainerLogInfo, opts: Record<string, string>): Record<string, string> {
  const attrs = extraAttributes(info, opts);
  if (opts.tag) attrs.tag = parseLogTag(info, opts, '');
  return attrs;
}

/**
 * dockerd's dual logging: the records also go to container-cached.log (local format,
 * cache-max-size/-max-file/-compress, defaults 20 MB × 5 compressed) so `logs` can read
 * them; the cache never holds the container back unless mode=blocking is set.
 */
function withCache(
  main: LogDriver,
  info: ContainerLogInfo,
  opts: Record<string, string>,
  ctx: DriverContext,
): LogDriver {
  const w = new LocalLogWriter(cachedLogPath(info.dir), { ...parseLocalOpts(opts, 'cache-'), onWarning: ctx.warn });
  let cache: LogDriver = { handler: w.handler, close: () => w.close() };
  if (opts.mode !== 'blocking') cache = withRing(cache, ringBytes(opts), ctx, 'local cache');
  return {
    handler: (msg) => {
      const a = main.handler(msg);
      const b = cache.handler(msg);
      return a || b ? Promise.all([a, b]).then(() => {}) : undefined;
    },
    close: async () => {
      await Promise.all([main.close(), cache.close()]);
    },
  };
}
