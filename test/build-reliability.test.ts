// Builds, lane B of issue 6 (and system df of issue 4): --cache-from (local and pulled
// from a registry), builder prune and system df (ours and the real docker CLI's), --ulimit,
// X-Registry-Config for a private FROM, ADD of hostile archives, and stages in parallel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { hasDockerCli, isRoot, runCli, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { hasRegistry, startRegistry } from './helpers/registry.ts';
import { TarWriter } from '../src/tar/writer.ts';

process.env.DOCKER_BUILDKIT = '0';
let d: TestDaemon;
useDaemon((x) => (d = x));
const skip = !isRoot && 'needs root';

function ctxDir(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-rel-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

async function cli(args: string[], expect = 0, bin: 'berth' | 'docker' = 'berth', input?: string) {
  const r = await runCli(bin, d, args, input, 120_000);
  assert.equal(r.code, expect, `${bin} ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
  return r;
}

const cacheHits = (out: string) => (out.match(/Using cache/g) ?? []).length;
const builtId = (out: string) => /Successfully built ([0-9a-f]{12})/.exec(out)?.[1];

async function tarOf(
  entries: { name: string; type: 'file' | 'dir' | 'symlink'; body?: string; linkname?: string }[],
): Promise<Buffer> {
  const w = new TarWriter();
  const chunks: Buffer[] = [];
  w.stream.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => w.stream.on('end', r));
  for (const e of entries) {
    const body = e.body === undefined ? undefined : Buffer.from(e.body);
    await w.add(
      { name: e.name, type: e.type, mode: e.type === 'dir' ? 0o755 : 0o644, size: body?.length, linkname: e.linkname },
      body,
    );
  }
  await w.finish();
  await ended;
  return Buffer.concat(chunks);
}

const APP = 'FROM busybox\nCOPY f /f\nRUN echo built > /x\nENV A=1\nWORKDIR /w\nCMD ["cat", "/x"]\n';

test('--cache-from a local image after the build cache is pruned: every step from it', { skip }, async () => {
  const dir = ctxDir({ Dockerfile: APP, f: 'one\n' });
  const first = await cli(['build', '-t', 'cf:1', dir]);
  const pruned = await cli(['builder', 'prune', '-a', '-f']);
  assert.match(pruned.stdout, /^Deleted build cache objects:\n[0-9a-f]{25}\n/);
  assert.match(pruned.stdout, /Total reclaimed space: /);
  const df = JSON.parse((await d.api('GET', '/system/df?type=build-cache')).body.toString());
  assert.deepEqual(df.BuildCache, [], 'no step record is left');
  assert.equal(df.Images, undefined, 'only the type asked for');
  const again = await cli(['build', '--cache-from', 'cf:1', '-t', 'cf:2', dir]);
  assert.equal(cacheHits(again.stdout), 5, again.stdout);
  assert.equal(builtId(again.stdout), builtId(first.stdout), 'the last step is the cache-from image itself');
  // A changed file: its COPY and everything after it run again.
  writeFileSync(join(dir, 'f'), 'two\n');
  await cli(['builder', 'prune', '-a', '-f']);
  const changed = await cli(['build', '--cache-from', 'cf:1', dir]);
  assert.equal(cacheHits(changed.stdout), 0, changed.stdout);
  assert.match(changed.stdout, /Running in/);
});

test('--cache-from an image pushed to a registry, removed, and pulled again (docker CLI)', {
  skip: skip || (!hasRegistry && 'docker-registry not installed') || (!hasDockerCli() && 'docker CLI not installed'),
}, async () => {
  const reg = await startRegistry();
  try {
    const dir = ctxDir({ Dockerfile: APP.replace('built', 'pushed'), f: 'reg\n' });
    const name = `${reg.host}/cf/app:1`;
    await cli(['build', '-t', name, dir]);
    await cli(['push', name]);
    await cli(['rmi', name]);
    await cli(['builder', 'prune', '-a', '-f'], 0, 'docker');
    await cli(['pull', name]);
    const r = await cli(['build', '--cache-from', name, '-t', 'cf-reg', dir], 0, 'docker');
    assert.equal(cacheHits(r.stdout), 5, r.stdout);
    assert.equal((await cli(['run', '--rm', 'cf-reg'])).stdout, 'pushed\n');
  } finally {
    await reg.stop();
  }
});

test('system df and builder prune: berth and the docker CLI agree; prune frees an untagged build', {
  skip: skip || (!hasDockerCli() && 'docker CLI not installed'),
}, async () => {
  const dir = ctxDir({ Dockerfile: 'FROM busybox\nRUN head -c 3000000 /dev/urandom > /big\n' });
  const built = await cli(['build', dir]);
  const id = builtId(built.stdout)!;
  await cli(['create', '--name', 'df-user', 'busybox', 'true']);
  const ours = await cli(['system', 'df']);
  const theirs = await cli(['system', 'df'], 0, 'docker');
  assert.equal(ours.stdout, theirs.stdout);
  assert.match(
    ours.stdout,
    /^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +\d+ +\d+ +[\d.]+[kMG]?B +[\d.]+[kMG]?B \(\d+%\)\nContainers +1 +0 +0B +0B\nLocal Volumes +0 +0 +0B +0B\nBuild Cache +\d+ +0 +[\d.]+[kMG]?B +[\d.]+[kMG]?B\n$/,
  );
  const cacheLine = /Build Cache +\d+ +0 +([\d.]+)MB +([\d.]+)MB/.exec(ours.stdout);
  assert.ok(cacheLine && Number(cacheLine[2]) >= 3, ours.stdout);
  const verbose = await cli(['system', 'df', '-v']);
  assert.match(
    verbose.stdout,
    /^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS\n/,
  );
  assert.match(
    verbose.stdout,
    /\nBuild cache usage: [\d.]+MB\n\nCACHE ID +CACHE TYPE +SIZE +CREATED +LAST USED +USAGE +SHARED\n/,
  );
  await cli(['system', 'df', '-v'], 0, 'docker');
  assert.match(
    (await cli(['system', 'df', '--format', '{{.Type}}={{.TotalCount}}'])).stdout,
    /^Images=\d+\nContainers=1\nLocal Volumes=0\nBuild Cache=\d+\n$/,
  );
  // Without -a: only what nothing else reaches (the untagged build), and its space comes back.
  const pruned = await cli(['builder', 'prune', '-f'], 0, 'docker');
  assert.match(pruned.stdout, /Deleted build cache objects:\n([0-9a-f]{25}\n)+\nTotal reclaimed space: 3(\.\d+)?MB\n/);
  assert.equal((await d.api('GET', `/images/${id}/json`)).status, 404);
  assert.equal((await d.api('GET', '/images/busybox/json')).status, 200);
  const bad = await d.api('POST', '/build/prune?filters=' + encodeURIComponent('{"nope":{"x":true}}'));
  assert.equal(bad.status, 400);
  await cli(['rm', 'df-user']);
});

test('--ulimit and --shm-size apply to RUN containers; a bad value is refused', { skip }, async () => {
  const dir = ctxDir({
    Dockerfile:
      'FROM busybox\nRUN ulimit -n > /n; ulimit -Hn >> /n; df -k /dev/shm | tail -1 | awk \'{print $2}\' >> /n\nCMD ["cat", "/n"]\n',
  });
  await cli(['build', '--ulimit', 'nofile=1234:2345', '--shm-size', '32m', '-t', 'ul', dir]);
  assert.equal((await cli(['run', '--rm', 'ul'])).stdout, '1234\n2345\n32768\n');
  assert.match(
    (await cli(['build', '--shm-size', 'lots', dir], 125)).stderr,
    /invalid argument "lots" for "--shm-size" flag/,
  );
  const bad = await d.api('POST', '/build?ulimits=' + encodeURIComponent('[{"Name":"nofile","Soft":"x"}]'), {
    raw: Buffer.from('FROM busybox\n'),
  });
  assert.equal(bad.status, 400);
});

test('X-Registry-Config: FROM an auth-protected registry pulls with the CLI credentials', {
  skip: skip || (!hasRegistry && 'docker-registry not installed'),
}, async () => {
  const reg = await startRegistry({ users: { alice: 's3cret' } });
  try {
    await cli(['login', reg.host, '-u', 'alice', '--password-stdin'], 0, 'berth', 's3cret\n');
    const name = `${reg.host}/alice/base:1`;
    await cli(['tag', 'busybox', name]);
    await cli(['push', name]);
    await cli(['rmi', name]);
    const dir = ctxDir({ Dockerfile: `FROM ${name}\nRUN echo private > /p\nCMD ["cat", "/p"]\n` });
    await cli(['logout', reg.host]);
    const anon = await cli(['build', dir], 1);
    assert.match(anon.stderr, /unauthorized|authentication required|401/i);
    await cli(['login', reg.host, '-u', 'alice', '--password-stdin'], 0, 'berth', 's3cret\n');
    await cli(['build', '-t', 'from-private', dir]);
    assert.equal((await cli(['run', '--rm', 'from-private'])).stdout, 'private\n');
    if (hasDockerCli()) {
      await cli(['rmi', name]);
      await cli(['build', '--no-cache', dir], 0, 'docker');
    }
  } finally {
    await reg.stop();
  }
});

test('ADD of hostile archives: ../ entries and escaping links refused, absolute links contained, a bomb refused at its header', {
  skip,
}, async () => {
  const marker = `berth-escape-${randomBytes(4).toString('hex')}`;
  const up = await tarOf([
    { name: 'ok', type: 'file', body: 'x' },
    { name: `../../../../tmp/${marker}`, type: 'file', body: 'escaped' },
  ]);
  let r = await cli(['build', ctxDir({ Dockerfile: 'FROM busybox\nADD up.tar /dst/\n', 'up.tar': up })], 1);
  assert.match(r.stderr, /is outside of "\/dst"/);
  assert.ok(!existsSync(`/tmp/${marker}`));
  const rel = await tarOf([{ name: 'l', type: 'symlink', linkname: '../../../../../tmp' }]);
  r = await cli(['build', ctxDir({ Dockerfile: 'FROM busybox\nADD rel.tar /dst/\n', 'rel.tar': rel })], 1);
  assert.match(r.stderr, /invalid symlink "\/dst\/l" -> "..\/..\/..\/..\/..\/tmp"/);
  // An absolute link is the image's own path (Docker): what goes through it stays in the image.
  const abs = await tarOf([
    { name: 'l', type: 'symlink', linkname: '/tmp' },
    { name: `l/${marker}`, type: 'file', body: 'inside' },
  ]);
  await cli(['build', '-t', 'abs-link', ctxDir({ Dockerfile: 'FROM busybox\nADD abs.tar /dst/\n', 'abs.tar': abs })]);
  assert.ok(!existsSync(`/tmp/${marker}`), 'nothing written on the host');
  assert.equal((await cli(['run', '--rm', 'abs-link', 'cat', `/tmp/${marker}`])).stdout, 'inside');
  // A gzip whose tar declares a petabyte: refused at the header, long before any disk fills.
  const w = new TarWriter();
  const gz = createGzip({ level: 1 });
  const parts: Buffer[] = [];
  gz.on('data', (c: Buffer) => parts.push(c));
  let sent = 0;
  const zeros = new Readable({
    read() {
      this.push(Buffer.alloc(1 << 20));
    },
  });
  void w.add({ name: 'bomb', type: 'file', mode: 0o644, size: 2 ** 50 }, zeros).catch(() => {});
  for await (const c of w.stream) {
    gz.write(c);
    sent += (c as Buffer).length;
    if (sent > 32 << 20) break;
  }
  await new Promise((res) => gz.end(res));
  zeros.destroy();
  const started = Date.now();
  r = await cli(
    ['build', ctxDir({ Dockerfile: 'FROM busybox\nADD bomb.tar.gz /dst/\n', 'bomb.tar.gz': Buffer.concat(parts) })],
    1,
  );
  assert.match(r.stderr, /bomb\.tar\.gz: it expands to more than \d+ bytes .*decompression bomb/);
  assert.ok(Date.now() - started < 20_000, 'refused quickly');
  const ps = JSON.parse((await d.api('GET', '/containers/json?all=1')).body.toString());
  assert.equal(ps.length, 0);
});

test('independent stages run in parallel; output stays in stage order; unneeded stages are skipped', {
  skip,
}, async () => {
  // A rendezvous through a shared cache mount proves the overlap without timing: each
  // stage marks its arrival and waits (up to 20 s) for the other's mark, which a build
  // running the stages one after the other could never see.
  const id = `rv-${Date.now()}`;
  const meet = (me: string, other: string) =>
    `RUN --mount=type=cache,id=${id},target=/rv touch /rv/${me} && for i in $(seq 200); do [ -e /rv/${other} ] && break; sleep 0.1; done && [ -e /rv/${other} ] && echo from-${me} > /${me}\n`;
  const df =
    `FROM busybox AS a\n${meet('a', 'b')}` +
    'FROM busybox AS unused\nRUN exit 7\n' +
    `FROM busybox AS b\n${meet('b', 'a')}` +
    'FROM busybox\nCOPY --from=a /a /a\nCOPY --from=b /b /b\nCMD ["cat", "/a", "/b"]\n';
  const dir = ctxDir({ Dockerfile: df });
  const r = await cli(['build', '--no-cache', '-t', 'par', dir]);
  const steps = [...r.stdout.matchAll(/^Step (\d+)\/(\d+) : (.*)$/gm)].map((m) => `${m[1]}/${m[2]} ${m[3]}`);
  assert.deepEqual(steps, [
    '1/8 FROM busybox AS a',
    `2/8 ${meet('a', 'b').slice(0, -1)}`,
    '3/8 FROM busybox AS b',
    `4/8 ${meet('b', 'a').slice(0, -1)}`,
    '5/8 FROM busybox',
    '6/8 COPY --from=a /a /a',
    '7/8 COPY --from=b /b /b',
    '8/8 CMD ["cat", "/a", "/b"]',
  ]);
  assert.equal((await cli(['run', '--rm', 'par'])).stdout, 'from-a\nfrom-b\n');
  // A failing stage stops the others and is the build's error.
  const fail = ctxDir({
    Dockerfile:
      'FROM busybox AS a\nRUN sleep 30\nFROM busybox AS b\nRUN exit 3\nFROM busybox\nCOPY --from=a /bin/sh /x\nCOPY --from=b /bin/sh /y\n',
  });
  const t0 = Date.now();
  const f = await cli(['build', fail], 3);
  assert.match(f.stderr, /returned a non-zero code: 3/);
  assert.ok(Date.now() - t0 < 15_000, 'the sleeping stage was stopped');
  const ps = JSON.parse((await d.api('GET', '/containers/json?all=1')).body.toString());
  assert.equal(ps.length, 0, 'no build container is left');
});

test('ADD <url>: a file from loopback, redirects, --checksum, mode 600; bad URLs are clear errors', {
  skip,
}, async () => {
  const { createServer } = await import('node:http');
  const { createHash } = await import('node:crypto');
  const body = 'hello url\n';
  const srv = createServer((req, res) => {
    if (req.url === '/file.txt')
      res.writeHead(200, { 'Content-Length': body.length, 'Last-Modified': 'Wed, 21 Oct 2015 07:28:00 GMT' }).end(body);
    else if (req.url === '/redir') res.writeHead(302, { Location: '/file.txt' }).end();
    else if (req.url === '/tofile') res.writeHead(302, { Location: 'file:///etc/passwd' }).end();
    else if (req.url === '/huge') res.writeHead(200, { 'Content-Length': String(1e15) }).flushHeaders();
    else res.writeHead(404).end('no');
  });
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
  try {
    const sum = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const dir = ctxDir({
      Dockerfile: `FROM busybox\nADD ${base}/file.txt /dl/\nADD --checksum=${sum} ${base}/redir /dl/renamed.txt\nRUN stat -c '%a %s' /dl/file.txt /dl/renamed.txt > /meta\n`,
    });
    await cli(['build', '-t', 'addurl', dir]);
    assert.equal(
      (await cli(['run', '--rm', 'addurl', 'sh', '-c', 'cat /dl/file.txt /dl/renamed.txt /meta'])).stdout,
      `${body}${body}600 10\n600 10\n`,
    );
    const bad = async (df: string, re: RegExp) =>
      assert.match((await cli(['build', ctxDir({ Dockerfile: df })], 1)).stderr, re);
    await bad(`FROM busybox\nADD --checksum=sha256:${'0'.repeat(64)} ${base}/file.txt /x\n`, /digest mismatch/);
    await bad(`FROM busybox\nADD ${base}/missing /x\n`, /failed to GET .*404/);
    await bad(`FROM busybox\nADD ${base}/tofile /x\n`, /unsupported URL scheme "file:"/);
    await bad(`FROM busybox\nADD ${base}/huge /x\n`, /more than the \d+ bytes of space the build may use/);
    assert.deepEqual(JSON.parse((await d.api('GET', '/containers/json?all=1')).body.toString()), []);
    assert.ok(
      !existsSync(join(d.dataRoot, 'build', 'tmp')) ||
        (await import('node:fs')).readdirSync(join(d.dataRoot, 'build', 'tmp')).every((n) => !n.startsWith('dl-')),
    );
  } finally {
    srv.closeAllConnections();
    srv.close();
  }
});

test('a client that hangs up mid-RUN cancels the build: its container goes, no image is made', { skip }, async () => {
  const { request } = await import('node:http');
  const { waitFor } = await import('./helpers/containers.ts');
  const req = request({
    socketPath: d.socket,
    method: 'POST',
    path: '/v1.47/build?t=hangup',
    headers: { 'Content-Type': 'application/x-tar' },
  });
  req.on('error', () => {});
  req.on('response', (res) => res.resume());
  req.end('FROM busybox\nRUN echo started && sleep 300\n');
  await waitFor(
    async () =>
      (JSON.parse((await d.api('GET', '/containers/json')).body.toString()) as { Command: string }[]).some((c) =>
        c.Command.includes('sleep 300'),
      ),
    60_000,
  );
  req.destroy();
  await waitFor(
    async () => JSON.parse((await d.api('GET', '/containers/json?all=1')).body.toString()).length === 0,
    30_000,
  );
  assert.equal((await d.api('GET', '/images/hangup/json')).status, 404);
});
