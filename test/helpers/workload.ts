// A mixed client workload against a daemon that may be killed at any moment: run -d, exec,
// stop, rm, network connect/disconnect, builds, log reads. Calls that fail while berthd is
// down just fail; the loops go on until stop(). Used by the crash test and scripts/soak.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestDaemon } from './daemon.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WorkloadOptions {
  /** A user network containers are connected to and disconnected from. */
  network: string;
  /** Clients of each kind (default 1). */
  runners?: number;
  execs?: number;
  builders?: number;
  logReaders?: number;
  /** Containers kept at most (the reaper removes beyond it). */
  maxContainers?: number;
  /** How long the containers it starts live (s). */
  lifetime?: number;
}

export interface Workload {
  /** Calls made and calls that failed (berthd down, or refused). */
  readonly counts: { calls: number; failed: number };
  stop(): Promise<void>;
}

function buildContext(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'berth-work-ctx-'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nRUN echo built > /built && sleep 0.3\n');
  const tar = execFileSync('tar', ['-C', dir, '-c', '.']);
  execFileSync('rm', ['-rf', dir]);
  return tar;
}

export function startWorkload(d: TestDaemon, o: WorkloadOptions): Workload {
  let stopped = false;
  const counts = { calls: 0, failed: 0 };
  const mine = new Set<string>();
  const api = async (method: string, path: string, body?: unknown, timeoutMs = 20_000) => {
    counts.calls++;
    try {
      const r = await d.api(method, path, body === undefined ? { timeoutMs } : { body, timeoutMs });
      if (r.status >= 400) counts.failed++;
      return r;
    } catch {
      counts.failed++;
      await sleep(50);
      return undefined;
    }
  };
  const pick = () => [...mine][Math.floor(Math.random() * mine.size)];
  const many = (n: number | undefined, f: () => Promise<void>) => Array.from({ length: n ?? 1 }, f);
  const ctx = buildContext();
  const loops = [
    ...many(o.runners, async () => {
      for (let i = 0; !stopped; i++) {
        if (mine.size >= (o.maxContainers ?? 12)) {
          await sleep(100);
          continue;
        }
        // Every other one publishes a port (an ephemeral host port): DNAT rules to clean up.
        const r = await api('POST', '/containers/create', {
          Image: 'busybox',
          Cmd: ['sleep', String(o.lifetime ?? 30)],
          ...(i % 2 === 0
            ? { ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '' }] } } }
            : {}),
        });
        if (r?.status !== 201) continue;
        const id = r.json().Id as string;
        mine.add(id);
        await api('POST', `/containers/${id}/start`);
        if (i % 3 === 0) await api('POST', `/networks/${o.network}/connect`, { Container: id });
      }
    }),
    ...many(o.execs, async () => {
      while (!stopped) {
        const id = pick();
        if (!id) {
          await sleep(50);
          continue;
        }
        const e = await api('POST', `/containers/${id}/exec`, { Cmd: ['sh', '-c', 'echo x; sleep 0.2'] });
        if (e?.status === 201) await api('POST', `/exec/${e.json().Id}/start`, { Detach: false });
      }
    }),
    // the reaper: stop, rm, disconnect
    (async () => {
      while (!stopped) {
        await sleep(150);
        if (mine.size < 4) continue;
        const id = pick()!;
        const what = Math.random();
        if (what < 0.3) await api('POST', `/containers/${id}/stop?t=0`);
        else if (what < 0.5) await api('POST', `/networks/${o.network}/disconnect`, { Container: id, Force: true });
        else if ((await api('DELETE', `/containers/${id}?force=1`))?.status === 204) mine.delete(id);
      }
    })(),
    ...many(o.builders, async () => {
      while (!stopped) {
        counts.calls++;
        try {
          const r = await d.api('POST', '/build?t=work-build&rm=1', {
            raw: ctx,
            headers: { 'Content-Type': 'application/x-tar' },
            timeoutMs: 60_000,
          });
          if (r.status !== 200 || r.body.includes('"errorDetail"')) counts.failed++;
        } catch {
          counts.failed++;
          await sleep(100);
        }
      }
    }),
    ...many(o.logReaders ?? 0, async () => {
      while (!stopped) {
        const id = pick();
        if (id) await api('GET', `/containers/${id}/logs?stdout=1&stderr=1&tail=50`);
        await sleep(100);
      }
    }),
  ];
  return {
    counts,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
