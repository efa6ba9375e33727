// A Docker authorization plugin for tests, on /run/docker/plugins/<name>.sock: it records
// what it is asked and answers as a real one would. It denies privileged containers and
// the image list's response, and fails (HTTP 500, {"Err": "boom"}) for ?name=plugin-fails.
import { createServer, type Server } from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface AuthzPluginServer {
  name: string;
  requests: { kind: 'AuthZReq' | 'AuthZRes'; doc: Record<string, any> }[];
  close(): Promise<void>;
}

export async function startAuthzPlugin(name: string): Promise<AuthzPluginServer> {
  const dir = '/run/docker/plugins';
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.sock`);
  rmSync(path, { force: true });
  const requests: AuthzPluginServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const doc = text ? JSON.parse(text) : null;
      const answer = (status: number, v: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' });
        res.end(JSON.stringify(v));
      };
      if (req.url === '/Plugin.Activate') return answer(200, { Implements: ['authz'] });
      const kind =
        req.url === '/AuthZPlugin.AuthZReq' ? 'AuthZReq' : req.url === '/AuthZPlugin.AuthZRes' ? 'AuthZRes' : undefined;
      if (!kind) return answer(404, { Err: 'unknown method' });
      requests.push({ kind, doc });
      const uri: string = doc.RequestUri ?? '';
      if (kind === 'AuthZReq' && uri.includes('name=plugin-fails')) return answer(500, { Err: 'boom' });
      const body = doc.RequestBody ? Buffer.from(doc.RequestBody, 'base64').toString() : '';
      if (kind === 'AuthZReq' && /"Privileged":\s*true/i.test(body))
        return answer(200, { Allow: false, Msg: 'no privileged containers' });
      if (kind === 'AuthZRes' && /\/images\/json/.test(uri))
        return answer(200, { Allow: false, Msg: 'images are secret' });
      answer(200, { Allow: true });
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  let closed = false;
  return {
    name,
    requests,
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(path, { force: true });
    },
  };
}
