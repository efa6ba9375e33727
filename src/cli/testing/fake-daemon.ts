// A tiny in-test Engine API server on a temp unix socket: just the endpoints
// `run` needs (create, attach with 101, wait, start) plus a few for other tests.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frame } from '../../client/stdcopy.ts';

export interface FakeContainer {
  id: string;
  body: Record<string, unknown>;
  name: string;
  attach?: Socket;
  /** stdin received on the attach socket, and whether it was half-closed */
  stdin: Buffer[];
  stdinEnded: boolean;
  started: boolean;
  waiters: ServerResponse[];
  exitCode?: number;
  /** Behaviour when started: what the "process" writes and its exit code. */
}

export interface Script {
  /** Frames to send after start: [stream, text]. */
  output?: [1 | 2, string][];
  exitCode?: number;
  /** Echo stdin back on stdout until stdin is half-closed, then exit. */
  echoStdin?: boolean;
}

export interface FakeDaemon {
  readonly host: string;
  readonly requests: { method: string; url: string; body: string }[];
  readonly containers: Map<string, FakeContainer>;
  script: Script;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, obj: unknown) => {
  const b = Buffer.from(JSON.stringify(obj));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': b.length });
  res.end(b);
};

export async function startFakeDaemon(): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-fake-'));
  const sock = join(dir, 'd.sock');
  const containers = new Map<string, FakeContainer>();
  const requests: FakeDaemon['requests'] = [];
  let n = 0;
  const d: FakeDaemon = {
    host: `unix://${sock}`,
    requests,
    containers,
    script: { output: [[1, 'hello\n']], exitCode: 0 },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of containers.values()) c.attach?.destroy();
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
  const find = (ref: string) =>
    containers.get(ref) ?? [...containers.values()].find((c) => c.id.startsWith(ref) || c.name === ref);

  const finish = (c: FakeContainer, code: number) => {
    c.exitCode = code;
    c.attach?.end();
    for (const w of c.waiters) w.end(JSON.stringify({ StatusCode: code, Error: null }) + '\n');
    c.waiters = [];
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/^\/v[0-9.]+/, '');
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && path === '/containers/create') {
      const b = JSON.parse(body) as Record<string, unknown>;
      if (b.Image === 'missing') return json(res, 404, { message: 'No such image: missing:latest' });
      const id = (++n).toString(16).padStart(64, 'a');
      containers.set(id, {
        id,
        body: b,
        name: url.searchParams.get('name') ?? `c${n}`,
        waiters: [],
        stdin: [],
        stdinEnded: false,
        started: false,
      });
      return json(res, 201, { Id: id, Warnings: [] });
    }
    if ((m = /^\/containers\/([^/]+)\/(start|wait|kill|stop)$/.exec(path)) && req.method === 'POST') {
      const c = find(decodeURIComponent(m[1]!));
      if (!c) return json(res, 404, { message: `No such container: ${m[1]}` });
      if (m[2] === 'wait') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        if (c.exitCode !== undefined && url.searchParams.get('condition') !== 'next-exit')
          return res.end(JSON.stringify({ StatusCode: c.exitCode }));
        c.waiters.push(res);
        return;
      }
      if (m[2] === 'start') {
        if ((c.body.Cmd as string[] | null)?.[0] === 'nonexistent') {
          return json(res, 400, {
            message: 'failed to create task: exec: "nonexistent": executable file not found in $PATH',
          });
        }
        res.writeHead(204);
        res.end();
        const s = d.script;
        c.started = true;
        setImmediate(() => {
          if (s.echoStdin) {
            // the "process" reads what stdin delivered so far, then the rest
            for (const chunk of c.stdin) c.attach?.write(c.body.Tty ? chunk : frame(1, chunk));
            if (c.stdinEnded) finish(c, s.exitCode ?? 0);
          }
          for (const [stream, text] of s.output ?? []) {
            c.attach?.write(c.body.Tty ? Buffer.from(text) : frame(stream, text));
          }
          if (!s.echoStdin) finish(c, s.exitCode ?? 0);
        });
        return;
      }
      res.writeHead(204);
      return res.end();
    }
    if ((m = /^\/containers\/([^/]+)\/json$/.exec(path))) {
      const c = find(decodeURIComponent(m[1]!));
      if (!c) return json(res, 404, { message: `No such container: ${m[1]}` });
      return json(res, 200, {
        Id: c.id,
        Name: `/${c.name}`,
        State: { Running: false, Pid: 0, ExitCode: c.exitCode ?? 0 },
        Config: { Tty: Boolean(c.body.Tty), Env: c.body.Env, Labels: c.body.Labels ?? {} },
      });
    }
    if ((m = /^\/images\/([^/]+)\/json$/.exec(path)))
      return json(res, 404, { message: `No such image: ${decodeURIComponent(m[1]!)}` });
    // Pulling an image no registry has: Docker's answer before any progress is sent.
    if (path === '/images/create')
      return json(res, 404, {
        message: "pull access denied for missing, repository does not exist or may require 'docker login'",
      });
    if ((m = /^\/containers\/([^/]+)$/.exec(path)) && req.method === 'DELETE') {
      const c = find(decodeURIComponent(m[1]!));
      if (!c) return json(res, 404, { message: `No such container: ${m[1]}` });
      containers.delete(c.id);
      res.writeHead(204);
      return res.end();
    }
    return json(res, 404, { message: 'page not found' });
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      handle(req, res, body);
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', body: '' });
    const m = /\/containers\/([^/]+)\/attach/.exec(req.url ?? '');
    const c = m ? find(decodeURIComponent(m[1]!)) : undefined;
    if (!c) {
      const b = JSON.stringify({ message: 'No such container' });
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\n\r\n${b}`);
      return;
    }
    socket.write(
      'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
    );
    c.attach = socket;
    if (head.length) socket.unshift(head);
    socket.on('data', (chunk: Buffer) => {
      if (c.started && d.script.echoStdin) socket.write(c.body.Tty ? chunk : frame(1, chunk));
      else c.stdin.push(chunk);
    });
    socket.on('end', () => {
      c.stdinEnded = true;
      if (c.started && d.script.echoStdin) finish(c, d.script.exitCode ?? 0);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(sock, r));
  return d;
}
