// Networking figures (issue 5): `docker run --rm busybox true` on the default bridge
// (berthd vs a dockerd with a bridge of its own), network set-up + teardown alone (our
// netlink batch on a private bridge), and host → container throughput and small-HTTP
// requests/s through a published port on 127.0.0.1 next to the container's IP direct.
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { runCmd, type Daemon } from './daemons.ts';
import { ms, summarize, table, type Summary } from './stats.ts';
import { netnsPath, ensureBridge, setup, teardown, deleteBridge } from '../src/network/links.ts';

const DOCKER = '/usr/local/bin/docker';

export interface NetworkFigures {
  runBridge: { berthd?: Summary; dockerd?: Summary; ratio?: number };
  setupTeardown?: Summary;
  /** The same, waiting until the kernel removed the host end (as berthd's release does). */
  release?: Summary;
  throughput?: { publishedMBps: number; directMBps: number };
  http?: { publishedRps: number; directRps: number };
  errors: string[];
}

export interface NetworkBenchInput {
  berthd: Daemon;
  dockerd?: Daemon;
  env: (d: Daemon) => NodeJS.ProcessEnv;
  runs: number;
  warmup: number;
  tag: string;
}

/** `docker run --rm busybox true` on the default bridge, interleaved across daemons so drift hits all alike. */
async function dockerRuns(
  ds: Daemon[],
  env: (d: Daemon) => NodeJS.ProcessEnv,
  runs: number,
  warmup: number,
): Promise<(Summary | undefined)[]> {
  const samples: number[][] = ds.map(() => []);
  for (let i = 0; i < runs + warmup; i++) {
    for (const [k, d] of ds.entries()) {
      const r = await runCmd(DOCKER, ['run', '--rm', 'busybox', 'true'], env(d));
      if (r.code !== 0) throw new Error(`${d.name}: docker run on the bridge failed: ${r.stderr.trim()}`);
      if (i >= warmup) samples[k].push(r.ms);
    }
  }
  return samples.map((x) => summarize(x));
}

/**
 * Our set-up + teardown of one namespace with a veth on a private bridge: `setupTeardown`
 * as measured since the start (the namespace unmounted, the kernel then drops the veth on
 * its own), `release` as berthd's release does it (waits until the host end is gone).
 */
async function setupTeardown(tag: string, runs: number): Promise<{ setupTeardown?: Summary; release?: Summary }> {
  const bridge = `bnb${tag.slice(0, 8)}`;
  await ensureBridge(bridge, '10.254.253.1/24', 1500);
  const samples: number[] = [];
  const full: number[] = [];
  try {
    for (let i = 0; i < 2 * runs + 2; i++) {
      const wait = i % 2 === 1; // interleaved, so drift hits both alike
      const t = performance.now();
      const ns = netnsPath(`berth-bench-${tag}-${i}`);
      const hostIf = `vbn${tag.slice(0, 6)}${i % 10}`;
      await setup(
        ns,
        [
          {
            kind: 'veth',
            bridge,
            hostIf,
            ifname: 'eth0',
            address: '10.254.253.2/24',
            mac: '02:42:0a:fe:fd:02',
            mtu: 1500,
            gateway: '10.254.253.1',
          },
        ],
        true,
        true,
      );
      await teardown(ns, wait ? [hostIf] : []);
      if (i >= 2) (wait ? full : samples).push(performance.now() - t);
      if (!wait) await teardown(ns, [hostIf]); // the next run starts from a quiet kernel
    }
  } finally {
    await deleteBridge(bridge);
  }
  return { setupTeardown: summarize(samples), release: summarize(full) };
}

/** Sends `bytes` to host:port and resolves with MB/s once the receiver closed. */
function push(host: string, port: number, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(1 << 20, 7);
    const s = connect({ host, port });
    let sent = 0;
    const t = performance.now();
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!s.write(chunk)) {
          s.once('drain', pump);
          return;
        }
      }
      s.end();
    };
    s.on('connect', pump);
    s.on('error', reject);
    s.on('close', () => {
      if (s.bytesWritten < bytes) reject(new Error(`receiver closed after ${s.bytesWritten} of ${bytes} bytes`));
      else resolve(bytes / (1 << 20) / ((performance.now() - t) / 1000));
    });
  });
}

async function rps(host: string, port: number, n: number, concurrency: number): Promise<number> {
  let next = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host, port, path: '/', agent: false }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) await one();
    }),
  );
  return n / ((performance.now() - t) / 1000);
}

async function traffic(env: NodeJS.ProcessEnv, f: NetworkFigures): Promise<void> {
  // -i: nc must not see EOF on its stdin, or it closes the connection before draining it.
  const sink = await runCmd(
    DOCKER,
    [
      'run',
      '-d',
      '-i',
      '-p',
      '127.0.0.1::5000',
      'busybox',
      'sh',
      '-c',
      'while true; do nc -l -p 5000 >/dev/null; done',
    ],
    env,
  );
  const web = await runCmd(
    DOCKER,
    [
      'run',
      '-d',
      '-p',
      '127.0.0.1::80',
      'busybox',
      'sh',
      '-c',
      'mkdir /www && echo ok > /www/index.html && exec httpd -f -p 80 -h /www',
    ],
    env,
  );
  if (sink.code !== 0 || web.code !== 0) throw new Error(`traffic containers: ${sink.stderr}${web.stderr}`);
  const info = async (id: string, port: string) => {
    const r = await runCmd(
      DOCKER,
      [
        'inspect',
        '-f',
        `{{.NetworkSettings.IPAddress}} {{(index (index .NetworkSettings.Ports "${port}") 0).HostPort}}`,
        id.trim(),
      ],
      env,
    );
    const [ip, hp] = r.stdout.trim().split(' ');
    return { ip, hp: Number(hp) };
  };
  const s = await info(sink.stdout, '5000/tcp');
  const w = await info(web.stdout, '80/tcp');
  const GB = 1 << 30;
  // nc is restarted by its shell loop after each transfer: retry until it listens again.
  const retry = async (host: string, port: number) => {
    for (let k = 0; ; k++) {
      try {
        return await push(host, port, GB);
      } catch (e) {
        if (k > 50) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  try {
    f.throughput = { publishedMBps: await retry('127.0.0.1', s.hp), directMBps: await retry(s.ip, 5000) };
    await rps('127.0.0.1', w.hp, 200, 4); // warm-up
    f.http = { publishedRps: await rps('127.0.0.1', w.hp, 2000, 8), directRps: await rps(w.ip, 80, 2000, 8) };
  } finally {
    await runCmd(DOCKER, ['rm', '-f', sink.stdout.trim(), web.stdout.trim()], env);
  }
}

export async function networkBench(i: NetworkBenchInput): Promise<NetworkFigures> {
  const f: NetworkFigures = { runBridge: {}, errors: [] };
  const guard = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      f.errors.push(`${what}: ${(e as Error).message}`);
    }
  };
  await guard('docker run on the bridge', async () => {
    [f.runBridge.berthd, f.runBridge.dockerd] = await dockerRuns(
      i.dockerd ? [i.berthd, i.dockerd] : [i.berthd],
      i.env,
      i.runs,
      i.warmup,
    );
  });
  if (f.runBridge.berthd && f.runBridge.dockerd)
    f.runBridge.ratio = f.runBridge.berthd.median / f.runBridge.dockerd.median;
  await guard('set-up + teardown', async () => {
    Object.assign(f, await setupTeardown(i.tag, Math.max(20, i.runs)));
  });
  await guard('traffic', () => traffic(i.env(i.berthd), f));
  process.stdout.write(
    table([
      ['network (issue 5)', 'value'],
      [
        'docker run --rm busybox true, bridge, berthd (median)',
        f.runBridge.berthd ? ms(f.runBridge.berthd.median) : 'n/a',
      ],
      ['same against dockerd (own bridge)', f.runBridge.dockerd ? ms(f.runBridge.dockerd.median) : 'n/a'],
      ['ratio (goal <= 0.35)', f.runBridge.ratio !== undefined ? f.runBridge.ratio.toFixed(3) : 'n/a'],
      ['netns set-up + teardown alone (median, goal <= 15 ms)', f.setupTeardown ? ms(f.setupTeardown.median) : 'n/a'],
      ['same, until the kernel removed the host veth (median)', f.release ? ms(f.release.median) : 'n/a'],
      [
        '1 GB host -> container, published 127.0.0.1 port',
        f.throughput ? `${f.throughput.publishedMBps.toFixed(0)} MB/s` : 'n/a',
      ],
      [
        '1 GB host -> container, container IP direct',
        f.throughput ? `${f.throughput.directMBps.toFixed(0)} MB/s` : 'n/a',
      ],
      ['small HTTP requests/s, published 127.0.0.1 port', f.http ? f.http.publishedRps.toFixed(0) : 'n/a'],
      ['small HTTP requests/s, container IP direct', f.http ? f.http.directRps.toFixed(0) : 'n/a'],
    ]) + '\n',
  );
  for (const e of f.errors) process.stdout.write(`network bench: ${e}\n`);
  return f;
}
