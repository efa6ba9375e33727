// A small volume plugin for tests, speaking Docker's protocol over a unix socket: volumes
// are directories under `base`, mounts are counted per ID, and every call is recorded.
// `misbehave` makes chosen methods hang, answer garbage or answer an error.
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';

export type Misbehaviour = 'hang' | 'garbage' | 'error' | 'http500' | 'bad-mountpoint';

export interface FakePlugin {
  readonly socket: string;
  readonly base: string;
  readonly calls: { method: string; body: Record<string, unknown> }[];
  readonly volumes: Map<string, { opts: Record<string, string> | null; mounts: Set<string> }>;
  misbehave: Partial<Record<string, Misbehaviour>>;
  close(): Promise<void>;
}

export async function startFakePlugin(socket: string, base: string): Promise<FakePlugin> {
  mkdirSync(base, { recursive: true });
  const hung: ServerResponse[] = [];
  const p: FakePlugin = {
    socket,
    base,
    calls: [],
    volumes: new Map(),
    misbehave: {},
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hung) r.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const answer = (res: ServerResponse, v: unknown, status = 200) => {
    res.writeHead(status, { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' });
    res.end(JSON.stringify(v));
  };
  const handle = (method: string, body: Record<string, unknown>, res: ServerResponse) => {
    p.calls.push({ method, body });
    const mis = p.misbehave[method];
    if (mis === 'hang') {
      hung.push(res);
      return;
    }
    if (mis === 'garbage') {
      res.writeHead(200);
      res.end('<html>definitely not json');
      return;
    }
    if (mis === 'error') return answer(res, { Err: `${method} refused by the test` });
    if (mis === 'http500') return answer(res, 'internal trouble', 500);
    const name = String(body.Name ?? '');
    const v = p.volumes.get(name);
    switch (method) {
      case 'Plugin.Activate':
        return answer(res, { Implements: ['VolumeDriver'] });
      case 'VolumeDriver.Capabilities':
        return answer(res, { Capabilities: { Scope: 'local' } });
      case 'VolumeDriver.Create':
        if (!v) {
          mkdirSync(join(base, name), { recursive: true });
          p.volumes.set(name, { opts: (body.Opts as Record<string, string>) ?? null, mounts: new Set() });
        }
        return answer(res, { Err: '' });
      case 'VolumeDriver.Remove':
        if (!v) return answer(res, { Err: 'no such volume' });
        if (v.mounts.size) return answer(res, { Err: 'volume is mounted' });
        rmSync(join(base, name), { recursive: true, force: true });
        p.volumes.delete(name);
        return answer(res, { Err: '' });
      case 'VolumeDriver.Mount':
        if (!v) return answer(res, { Err: 'no such volume' });
        v.mounts.add(String(body.ID));
        if (mis === 'bad-mountpoint') return answer(res, { Mountpoint: 'relative/path', Err: '' });
        return answer(res, { Mountpoint: join(base, name), Err: '' });
      case 'VolumeDriver.Unmount':
        v?.mounts.delete(String(body.ID));
        return answer(res, { Err: '' });
      case 'VolumeDriver.Path':
        return answer(res, v ? { Mountpoint: join(base, name), Err: '' } : { Err: 'no such volume' });
      case 'VolumeDriver.Get':
        if (!v) return answer(res, { Err: 'no such volume' });
        return answer(res, {
          Volume: { Name: name, Mountpoint: v.mounts.size ? join(base, name) : '', Status: { mounts: v.mounts.size } },
          Err: '',
        });
      case 'VolumeDriver.List':
        return answer(res, {
          Volumes: [...p.volumes.keys()].map((n) => ({ Name: n, Mountpoint: join(base, n) })),
          Err: '',
        });
      default:
        return answer(res, { Err: `unknown method ${method}` }, 404);
    }
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> = {};
      try {
        body = text.trim() ? JSON.parse(text) : {};
      } catch {
        return answer(res, { Err: 'bad request body' }, 400);
      }
      handle((req.url ?? '/').slice(1), body ?? {}, res);
    });
  });
  rmSync(socket, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  return p;
}
