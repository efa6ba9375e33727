// Global flags, command dispatch, flag/arg validation and docker's error → exit-code mapping.

import { cliVersion } from './version.ts';
import { parseFlags, formatFlagHelp, FlagError, type FlagSpec } from './flags.ts';
import { CliError, type Command, type Ctx, type Output, type Stdin } from './command.ts';
import { commands, groups, lookup } from './registry.ts';
import type { Client } from '../client/index.ts';

export const BIN = 'berth';

export interface RunIO {
  io: Output;
  stdin: Stdin;
  env: NodeJS.ProcessEnv;
}

export function processIO(): RunIO {
  return {
    io: {
      out: (s) => process.stdout.write(s),
      err: (s) => process.stderr.write(s),
      stdoutIsTTY: Boolean(process.stdout.isTTY),
      ttySize: () => (process.stdout.isTTY ? [process.stdout.rows, process.stdout.columns] : undefined),
    },
    get stdin() {
      return process.stdin as Stdin;
    },
    env: process.env,
  };
}

const globalFlags: FlagSpec[] = [
  { name: 'config', type: 'string', description: 'Location of client config files', valueName: 'string' },
  { name: 'context', short: 'c', type: 'string', description: 'Name of the context to use to connect to the daemon' },
  { name: 'debug', short: 'D', type: 'bool', description: 'Enable debug mode' },
  { name: 'host', short: 'H', type: 'list', description: 'Daemon socket to connect to' },
  {
    name: 'log-level',
    short: 'l',
    type: 'string',
    description: 'Set the logging level ("debug", "info", "warn", "error", "fatal")',
    default: 'info',
  },
  { name: 'tls', type: 'bool', description: 'Use TLS; implied by --tlsverify' },
  { name: 'tlscacert', type: 'string', description: 'Trust certs signed only by this CA' },
  { name: 'tlscert', type: 'string', description: 'Path to TLS certificate file' },
  { name: 'tlskey', type: 'string', description: 'Path to TLS key file' },
  { name: 'tlsverify', type: 'bool', description: 'Use TLS and verify the remote' },
  { name: 'version', short: 'v', type: 'bool', description: 'Print version information and quit' },
  { name: 'help', type: 'bool', description: 'Print usage', hidden: true },
];

function rootHelp(): string {
  const names = Object.keys(commands);
  const w = Math.max(...names.map((n) => n.length), ...Object.keys(groups).map((n) => n.length));
  const line = (n: string, s: string) => `  ${n.padEnd(w)}  ${s}`;
  return [
    '',
    `Usage:  ${BIN} [OPTIONS] COMMAND`,
    '',
    'A Docker-compatible container engine',
    '',
    'Commands:',
    ...names.map((n) => line(n, commands[n]!.short)),
    '',
    'Management Commands:',
    ...Object.entries(groups).map(([n, g]) => line(n, g.short)),
    '',
    'Global Options:',
    formatFlagHelp(globalFlags.filter((f) => f.name !== 'help')),
    '',
    `Run '${BIN} COMMAND --help' for more information on a command.`,
    '',
  ].join('\n');
}

function groupHelp(name: string): string {
  const g = groups[name]!;
  const subs = Object.keys(g.subs);
  const w = Math.max(...subs.map((s) => s.length));
  return [
    '',
    `Usage:  ${BIN} ${name} COMMAND`,
    '',
    g.short,
    '',
    'Commands:',
    ...subs.map((s) => `  ${s.padEnd(w)}  ${lookup(g.subs[s]!)?.short ?? ''}`),
    '',
    `Run '${BIN} ${name} COMMAND --help' for more information on a command.`,
    '',
  ].join('\n');
}

export function commandHelp(cmd: Command, path: string): string {
  return [
    '',
    `Usage:  ${path} ${cmd.usage}`.trimEnd(),
    '',
    cmd.short,
    ...(cmd.aliases ? ['', 'Aliases:', `  ${cmd.aliases}`] : []),
    ...(cmd.flags.some((f) => !f.hidden)
      ? ['', 'Options:', formatFlagHelp([...cmd.flags].sort((a, b) => a.name.localeCompare(b.name)))]
      : []),
    '',
  ].join('\n');
}

/** cli/required.go (docker v27 wording). */
function checkArgs(cmd: Command, path: string, n: number): string | undefined {
  const r = cmd.args;
  if (!r) return undefined;
  const tail = `.\nSee '${path} --help'.\n\nUsage:  ${path} ${cmd.usage}\n\n${cmd.short}`;
  const plural = (k: number) => (k === 1 ? 'argument' : 'arguments');
  if (r.exact !== undefined && n !== r.exact) return `"${path}" requires exactly ${r.exact} ${plural(r.exact)}${tail}`;
  if (r.max === 0 && n > 0) return `"${path}" accepts no arguments${tail}`;
  if (r.min !== undefined && r.max !== undefined && r.max > 0 && (n < r.min || n > r.max)) {
    return `"${path}" requires at least ${r.min} and at most ${r.max} ${plural(r.max)}${tail}`;
  }
  if (r.min !== undefined && n < r.min) return `"${path}" requires at least ${r.min} ${plural(r.min)}${tail}`;
  if (r.max !== undefined && n > r.max) return `"${path}" requires at most ${r.max} ${plural(r.max)}${tail}`;
  return undefined;
}

/** Message and exit code for anything a command throws. */
export function describeError(err: unknown): { message: string; status: number } {
  const e = err as { name?: string; message?: string; status?: number };
  if (err instanceof CliError) return { message: err.message, status: err.status };
  if (e?.name === 'ApiError') return { message: `Error response from daemon: ${e.message}`, status: 1 };
  if (e?.name === 'StreamError') return { message: e.message ?? '', status: 1 };
  if (err instanceof Error) return { message: err.message, status: 1 };
  return { message: String(err), status: 1 };
}

export async function runCli(argv: readonly string[], rio: RunIO = processIO()): Promise<number> {
  const { io } = rio;
  const cleanups: (() => void)[] = [];
  const say = (msg: string) => {
    if (msg) io.err(msg.endsWith('\n') ? msg : `${msg}\n`);
  };

  // global flags stop at the command name
  let g;
  try {
    g = parseFlags(globalFlags, argv, { interspersed: false });
  } catch (e) {
    if (e instanceof FlagError) {
      say(`${e.message}\nSee '${BIN} --help'.`);
      return 125;
    }
    throw e;
  }
  if (g.values.version) {
    io.out(`Berth version ${await cliVersion()}\n`);
    return 0;
  }
  const hosts = g.values.host as string[];
  if (hosts.length > 1) {
    say('Please specify only one -H');
    return 1;
  }
  const host = hosts[0];
  let [name, ...rest] = g.args;
  if (!name || g.values.help) {
    io.out(rootHelp());
    return 0;
  }
  if (name === 'help') {
    if (rest.length === 0) {
      io.out(rootHelp());
      return 0;
    }
    [name, ...rest] = [...rest, '--help'];
  }
  let path = `${BIN} ${name}`;
  let key = name;
  if (groups[name]) {
    const sub = rest[0];
    if (!sub || sub === '--help' || sub === '-h') {
      io.out(groupHelp(name));
      return 0;
    }
    const target = groups[name]!.subs[sub];
    if (!target) {
      say(`${BIN}: '${name} ${sub}' is not a ${BIN} command.\nSee '${BIN} ${name} --help'`);
      return 1;
    }
    key = target;
    path = `${BIN} ${name} ${sub}`;
    rest = rest.slice(1);
  }
  const entry = lookup(key);
  if (!entry || !(commands[key] || groups[name])) {
    say(`${BIN}: '${name}' is not a ${BIN} command.\nSee '${BIN} --help'`);
    return 1;
  }
  const cmd = (await entry.load()).default;
  const specs: FlagSpec[] = [...cmd.flags, { name: 'help', type: 'bool', description: 'Print usage', hidden: true }];
  let parsed;
  try {
    parsed = cmd.passthrough
      ? { args: rest, values: {}, changed: new Set<string>() }
      : parseFlags(specs, rest, { interspersed: cmd.interspersed ?? true });
  } catch (e) {
    if (e instanceof FlagError) {
      say(`${e.message}\nSee '${path} --help'.`);
      return 125;
    }
    throw e;
  }
  if (parsed.values.help) {
    io.out(commandHelp(cmd, path));
    return 0;
  }
  const argErr = checkArgs(cmd, path, parsed.args.length);
  if (argErr) {
    say(argErr);
    return 1;
  }
  let client: Promise<Client> | undefined;
  const ctx: Ctx = {
    commandPath: path,
    args: parsed.args,
    flags: parsed.values,
    changed: parsed.changed,
    io,
    get stdin() {
      return rio.stdin;
    },
    env: rio.env,
    host,
    client() {
      client ??= import('../client/index.ts').then((m) =>
        m.createClient(
          host || rio.env.BERTH_HOST || rio.env.DOCKER_HOST || undefined,
          m.clientTls(
            {
              tls: g.values.tls as boolean,
              tlsverify: g.values.tlsverify as boolean,
              tlscacert: g.values.tlscacert as string | undefined,
              tlscert: g.values.tlscert as string | undefined,
              tlskey: g.values.tlskey as string | undefined,
            },
            rio.env,
          ),
        ),
      );
      return client;
    },
    onExit(fn) {
      cleanups.push(fn);
    },
  };
  try {
    const code = await cmd.run(ctx);
    return code ?? 0;
  } catch (err) {
    const d = describeError(err);
    say(d.message);
    return d.status;
  } finally {
    for (const fn of cleanups.reverse()) {
      try {
        fn();
      } catch {
        // best effort
      }
    }
    if (client)
      client.then(
        (c) => c.close(),
        () => {},
      );
  }
}
