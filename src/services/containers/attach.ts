// POST /containers/{id}/attach on a hijacked connection: output from the live stdio hub,
// stdin into the container, detach keys, StdinOnce.
import type { Duplex } from 'node:stream';
import { conflict, invalidArgument } from '../../common/errors.ts';
import { frame, STDERR, STDOUT } from '../../common/stdcopy.ts';
import type { ContainerDeps } from './deps.ts';
import { containerLogs } from './logs.ts';

export interface AttachOptions {
  stream: boolean;
  logs: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string;
}

/** Parses Docker's detach key spec ("ctrl-p,ctrl-q", "a", "ctrl-@") into bytes. */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    if (k.length === 1) { out.push(k.charCodeAt(0)); continue; }
    const m = /^ctrl-(.)$/.exec(k);
    if (!m) throw invalidArgument(`Invalid detach keys (${spec}) provided`);
    const ch = m[1];
    const code = ch === '@' ? 0 : ch === '[' ? 27 : ch === '\\' ? 28 : ch === ']' ? 29 : ch === '^' ? 30 : ch === '_' ? 31
      : /[a-z]/.test(ch) ? ch.charCodeAt(0) - 96 : -1;
    if (code < 0) throw invalidArgument(`Invalid detach keys (${spec}) provided`);
    out.push(code);
  }
  return Buffer.from(out);
}

/** Validates before the connection is hijacked, so errors still get a proper status. */
export function prepareAttach(deps: ContainerDeps, idOrName: string, o: AttachOptions) {
  const c = deps.store.resolve(idOrName);
  const st = c.runtime.state.Status;
  if (o.stream && st !== 'created' && st !== 'running' && st !== 'paused' && st !== 'restarting') {
    if (!o.logs) throw conflict('You cannot attach to a stopped container, start it first');
  }
  const keys = parseDetachKeys(o.detachKeys || 'ctrl-p,ctrl-q');
  return { c, tty: Boolean(c.record.config.Tty), keys };
}

export async function runAttach(deps: ContainerDeps, prepared: ReturnType<typeof prepareAttach>, o: AttachOptions, conn: Duplex, framed: boolean): Promise<void> {
  const { c, keys } = prepared;
  const live = deps.live.get(c.record.id);
  if (o.logs) {
    const { chunks } = containerLogs(deps, c.record.id, { stdout: o.stdout, stderr: o.stderr });
    
    for await (const ch of chunks) conn.write(framed ? frame(ch.stream === 'stdout' ? STDOUT : STDERR, ch.data) : ch.data);
  }
  const running = ['created', 'running', 'paused', 'restarting'].includes(c.runtime.state.Status);
  if (!o.stream || !running) { conn.end(); return; }
  const unsubscribe = live.io.subscribe(conn as never, { stdout: o.stdout, stderr: o.stderr, framed });
  deps.events.publish('container', 'attach', c.record.id, { image: c.record.config.Image, name: c.record.name });
  let matched = 0;
  const detach = () => {
    unsubscribe();
    deps.events.publish('container', 'detach', c.record.id, { image: c.record.config.Image, name: c.record.name });
    conn.end();
  };
  if (o.stdin) {
    conn.on('data', (b: Buffer) => {
      // Detach keys may span chunks: a partial match is held back until it resolves.
      if (matched === 0 && b.indexOf(keys[0]) === -1) { live.io.writeStdin(b); return; }
      const out: number[] = [];
      for (const byte of b) {
        if (byte === keys[matched]) {
          if (++matched === keys.length) {
            if (out.length) live.io.writeStdin(Buffer.from(out));
            detach();
            return;
          }
          continue;
        }
        for (let j = 0; j < matched; j++) out.push(keys[j]);
        matched = 0;
        if (byte === keys[0]) matched = 1;
        else out.push(byte);
      }
      if (out.length) live.io.writeStdin(Buffer.from(out));
    });
    conn.on('end', () => {
      if (c.record.config.StdinOnce) live.io.endStdin();
    });
  } else {
    conn.resume();
  }
  await new Promise<void>((resolve) => {
    conn.once('close', () => { unsubscribe(); resolve(); });
    conn.once('error', () => { unsubscribe(); resolve(); });
  });
}
