// Test helpers: create/run containers through the API the way `docker run` does.
import { request as httpRequest } from 'node:http';
import type { TestDaemon } from './daemon.ts';
import { demux } from './http.ts';

export async function createContainer(d: TestDaemon, body: Record<string, unknown>, name?: string): Promise<string> {
  const r = await d.api('POST', `/containers/create${name ? `?name=${name}` : ''}`, { body });
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.body}`);
  return r.json().Id;
}

/** Opens a hijacked attach (Upgrade: tcp), returns the raw output once the stream ends. */
export function attach(d: TestDaemon, id: string, stdin?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      socketPath: d.socket,
      method: 'POST',
      path: `/v1.47/containers/${id}/attach?stream=1&stdout=1&stderr=1${stdin !== undefined ? '&stdin=1' : ''}`,
      headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
    });
    req.on('upgrade', (_res, socket, head) => {
      const chunks: Buffer[] = [head];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
      if (stdin !== undefined) socket.end(stdin);
      (req as unknown as { attached: true }).attached = true;
      attached.get(req)?.();
    });
    req.on('error', reject);
    req.end();
    attachedPromise.set(id, new Promise<void>((r) => attached.set(req, r)));
  });
}
const attached = new Map<unknown, () => void>();
const attachedPromise = new Map<string, Promise<void>>();

/** create → attach → wait(next-exit) → start → collect output and exit code. */
export async function runToCompletion(d: TestDaemon, body: Record<string, unknown>, opts: { stdin?: string } = {}) {
  const id = await createContainer(d, body);
  const out = attach(d, id, opts.stdin);
  await attachedPromise.get(id);
  const wait = d.api('POST', `/containers/${id}/wait?condition=next-exit`);
  const start = await d.api('POST', `/containers/${id}/start`);
  if (start.status !== 204) throw new Error(`start failed: ${start.status} ${start.body}`);
  const code = (await wait).json().StatusCode as number;
  const { stdout, stderr } = demux(await out);
  await d.api('DELETE', `/containers/${id}?force=1`);
  return { id, code, stdout, stderr };
}

/** Polls `cond` until it holds; `timeoutMs` is only an overall limit, generous for a loaded host. */
export async function waitFor(cond: () => Promise<boolean>, timeoutMs = 60_000, stepMs = 50): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
