// Logging drivers whose server misbehaves, through the docker CLI. A syslog server that
// stops reading for a minute: a mode=blocking container is held back (nothing lost once the
// server reads again), a mode=non-blocking one runs to its end dropping what its ring cannot
// hold (the count is in berthd's log), berthd answers throughout and its memory stays bounded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { hasDockerCli, isRoot, runCli, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { waitUntil } from './helpers/log-servers.ts';

const skip = !isRoot ? 'needs root' : !hasDockerCli() ? 'needs the docker CLI' : false;
const STALL_MS = 60_000;

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

describe('a stalled syslog server', { skip }, () => {
  let d!: TestDaemon;
  useDaemon((x) => (d = x));
  let server!: net.Server;
  const sockets: net.Socket[] = [];
  const received = { blk: 0, nb: 0 };
  let port = 0;

  before(async () => {
    // Accepts, then reads nothing until resumed: the kernel buffers fill and writers stall.
    server = net.createServer({ pauseOnConnect: true }, (s) => {
      sockets.push(s);
      let rest = '';
      s.setEncoding('utf8');
      s.on('data', (c: string) => {
        rest += c;
        const lines = rest.split('\n');
        rest = lines.pop()!;
        for (const l of lines) {
          if (l.includes(' blk[')) received.blk++;
          else if (l.includes(' nb[')) received.nb++;
        }
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  test('blocking holds the container, non-blocking drops and counts; berthd stays responsive and bounded', {
    timeout: 240_000,
  }, async (t) => {
    const docker = async (args: string[]) => {
      const r = await runCli('docker', d, args, undefined, 120_000);
      assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    const addr = `syslog-address=tcp://127.0.0.1:${port}`;
    const line = 'x'.repeat(200);
    const pid = d.proc.pid!;
    const base = rssKb(pid);
    // 200 000 lines (52 MB of syslog: more than the kernel's socket buffers) that must all
    // arrive, and 500 000 (100 MB) that cannot.
    await docker([
      'run',
      '-d',
      '--name',
      'blk',
      '--log-driver',
      'syslog',
      '--log-opt',
      addr,
      '--log-opt',
      'tag=blk',
      '--log-opt',
      'mode=blocking',
      'busybox',
      'sh',
      '-c',
      `yes ${line} | head -n 200000`,
    ]);
    await docker([
      'run',
      '-d',
      '--name',
      'nb',
      '--log-driver',
      'syslog',
      '--log-opt',
      addr,
      '--log-opt',
      'tag=nb',
      '--log-opt',
      'mode=non-blocking',
      '--log-opt',
      'max-buffer-size=256k',
      'busybox',
      'sh',
      '-c',
      `yes ${line} | head -n 500000`,
    ]);
    let peak = base;
    let settled = 0; // RSS once the non-blocking run is over
    let lateMax = 0; // the most it reached after that, while the server still stalls
    const t0 = Date.now();
    let nbDone = 0;
    let slowest = 0;
    while (Date.now() - t0 < STALL_MS) {
      const rss = rssKb(pid);
      peak = Math.max(peak, rss);
      if (nbDone) {
        settled ||= rss;
        lateMax = Math.max(lateMax, rss);
      }
      const p0 = Date.now();
      const state = await docker(['inspect', '-f', '{{.State.Status}}', 'nb']);
      slowest = Math.max(slowest, Date.now() - p0);
      if (state === 'exited' && !nbDone) nbDone = Date.now() - t0;
      await new Promise((r) => setTimeout(r, 1000));
    }
    t.diagnostic(
      `berthd RSS: ${base} kB before, ${peak} kB at most, ${settled} kB after the non-blocking run, ` +
        `${lateMax} kB at most for the rest of the stall; non-blocking run ${nbDone} ms; slowest inspect ${slowest} ms`,
    );
    assert.ok(
      nbDone > 0 && nbDone < STALL_MS - 10_000,
      'the non-blocking container ran to its end while the server stalled',
    );
    assert.equal(await docker(['inspect', '-f', '{{.State.ExitCode}}', 'nb']), '0');
    assert.equal(
      await docker(['inspect', '-f', '{{.State.Status}}', 'blk']),
      'running',
      'the blocking one is held back',
    );
    // Bounded: holding a blocked container costs nothing more as the stall goes on, and the
    // flood's churn stays within a fixed margin (the V8 heap, not the undelivered data).
    assert.ok(lateMax - settled < 30_000, `berthd grew by ${lateMax - settled} kB while the server stalled`);
    assert.ok(peak - base < 300_000, `berthd grew by ${peak - base} kB in all`);
    assert.ok(slowest < 5000, `berthd answered within ${slowest} ms`);
    // Dropped messages are counted in berthd's log at the end of the run.
    const drops = /log messages dropped during this run[^\n]*droppedTotal=(\d+)/.exec(d.logs());
    assert.ok(drops && Number(drops[1]) > 100_000, `drop count logged: ${drops?.[0]}`);
    // The server reads again: the blocking container's output all arrives and it ends.
    for (const s of sockets) s.resume();
    await docker(['wait', 'blk']);
    await waitUntil(() => received.blk >= 200_000, 'every blocking line', 120_000);
    assert.equal(received.blk, 200_000);
    assert.ok(received.nb < 500_000, `${received.nb} non-blocking lines arrived, the rest were dropped`);
  });
});
