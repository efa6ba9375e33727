// A small leveled logger writing logfmt-ish lines to stderr (berthd's log).
export type Level = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function parseLevel(s: string): Level {
  if (s in ORDER) return s as Level;
  throw new Error(`unknown log level ${JSON.stringify(s)} (debug, info, warn, error, fatal)`);
}

function fmt(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[\s"=]/.test(s ?? '') ? JSON.stringify(s) : String(s);
}

/** A root logger: its level (shared with its children) can change while it runs (reload). */
export interface RootLogger extends Logger {
  setLevel(level: Level): void;
  readonly level: Level;
}

/** One line of JSON per entry (dockerd's --log-format json), else logfmt-ish text. */
export type LogFormat = 'text' | 'json';

const jsonValue = (v: unknown) => (v instanceof Error ? v.message : v);

export function createLogger(
  level: Level = 'info',
  base: Record<string, unknown> = {},
  write: (line: string) => void = (l) => process.stderr.write(l),
  format: LogFormat = 'text',
): RootLogger {
  const state = { level };
  const make = (fixed: Record<string, unknown>): Logger => {
    const emit = (lvl: Level, msg: string, fields?: Record<string, unknown>) => {
      if (ORDER[lvl] < ORDER[state.level]) return;
      const all = { ...fixed, ...fields };
      if (format === 'json') {
        const doc: Record<string, unknown> = { level: lvl, msg, time: new Date().toISOString() };
        for (const [k, v] of Object.entries(all)) if (v !== undefined) doc[k] = jsonValue(v);
        write(JSON.stringify(doc) + '\n');
        return;
      }
      let line = `time="${new Date().toISOString()}" level=${lvl} msg=${JSON.stringify(msg)}`;
      for (const [k, v] of Object.entries(all)) if (v !== undefined) line += ` ${k}=${fmt(v)}`;
      write(line + '\n');
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (f) => make({ ...fixed, ...f }),
    };
  };
  const root = make(base) as RootLogger;
  root.setLevel = (l: Level) => {
    state.level = l;
  };
  Object.defineProperty(root, 'level', { get: () => state.level });
  return root;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
