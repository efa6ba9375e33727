// RUN --mount (cache, bind, secret, tmpfs) and COPY heredocs through a real berthd: what a
// RUN sees, what the image keeps (nothing of any mount), the cache, and secrets that never
// reach a layer, the history, the config or the build output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { hasDockerCli, isRoot, mountsUnder, runCli, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { TarReader } from '../src/tar/reader.ts';

process.env.DOCKER_BUILDKIT = '0';
let d: TestDaemon;
useDaemon((x) => (d = x));
const skip = !isRoot && 'needs root';

function ctxDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-mounts-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

async function cli(args: string[], expect = 0, bin: 'berth' | 'docker' = 'berth', env?: Record<string, string>) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const r = await runCli(bin, d, args, undefined, 120_000);
    assert.equal(r.code, expect, `${bin} ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
    return r;
  } finally {
    for (const k of Object.keys(env ?? {}))
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
  }
}

const runIn = async (image: string, script: string) => (await cli(['run', '--rm', image, 'sh', '-c', script])).stdout;

async function collect(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c);
  return Buffer.concat(parts);
}

/** The image as `docker save` writes it: every file's bytes, and each layer's entry names. */
async function saved(image: string): Promise<{ raw: Buffer; layerNames: string[][] }> {
  const res = await d.api('GET', `/images/${encodeURIComponent(image)}/get`);
  assert.equal(res.status, 200);
  const reader = new TarReader(Readable.from([res.body]));
  const layerNames: string[][] = [];
  for (let e = await reader.next(); e; e = await reader.next()) {
    const body = await collect(e.body);
    if (body.length >= 512 && body.subarray(257, 262).toString() === 'ustar') {
      const names: string[] = [];
      const inner = new TarReader(Readable.from([body]));
      for (let f = await inner.next(); f; f = await inner.next()) {
        names.push(f.header.name.replace(/\/$/, ''));
        await collect(f.body);
      }
      layerNames.push(names);
    }
  }
  return { raw: res.body, layerNames };
}

test('cache mount: persists across builds and berthd restarts, never in the image', { skip }, async () => {
  const one = ctxDir({
    Dockerfile:
      'FROM busybox\nRUN --mount=type=cache,target=/var/cache/app,id=c1 echo first > /var/cache/app/f && echo built > /built\n',
  });
  await cli(['build', '-t', 'cache1', one]);
  const two = ctxDir({
    Dockerfile:
      'FROM busybox\nRUN --mount=type=cache,target=/var/cache/app,id=c1 cat /var/cache/app/f > /seen && echo again >> /var/cache/app/f\n',
  });
  await cli(['build', '-t', 'cache2', two]);
  assert.equal(await runIn('cache2', 'cat /seen'), 'first\n');
  await d.stop();
  await d.start();
  const three = ctxDir({ Dockerfile: 'FROM busybox\nRUN --mount=type=cache,target=/c,id=c1,ro cat /c/f > /seen\n' });
  await cli(['build', '-t', 'cache3', three]);
  assert.equal(await runIn('cache3', 'cat /seen'), 'first\nagain\n');
  // The target is left out of the layer (or at most an empty directory, as Docker).
  assert.equal(await runIn('cache1', 'find /var/cache/app -mindepth 1 2>/dev/null | wc -l'), '0\n');
  for (const img of ['cache1', 'cache2', 'cache3']) {
    const { layerNames } = await saved(img);
    for (const names of layerNames.slice(1))
      assert.ok(!names.some((n) => /var\/cache\/app\/|^c\/f/.test(n)), `${img}: ${names.join(' ')}`);
  }
  // Default id = target; another id is another directory.
  const four = ctxDir({
    Dockerfile: 'FROM busybox\nRUN --mount=type=cache,target=/var/cache/app ls -A /var/cache/app > /seen\n',
  });
  await cli(['build', '-t', 'cache4', four]);
  assert.equal(await runIn('cache4', 'cat /seen'), '');
  assert.deepEqual(mountsUnder(d.dataRoot), []);
  // system df counts the cache mounts; builder prune -a drops them, and the next build starts empty.
  const df = (await d.api('GET', '/system/df?type=build-cache')).json<{
    BuildCache: { Type: string; Size: number }[];
  }>();
  const mounts = df.BuildCache.filter((e) => e.Type === 'exec.cachemount');
  assert.equal(mounts.length, 2, JSON.stringify(df.BuildCache));
  assert.ok(mounts.some((m) => m.Size > 0));
  const pruned = (await d.api('POST', '/build/prune?all=1')).json<{ CachesDeleted: string[] }>();
  assert.ok(pruned.CachesDeleted.length >= 2, JSON.stringify(pruned));
  const five = ctxDir({ Dockerfile: 'FROM busybox\nRUN --mount=type=cache,target=/c,id=c1 ls -A /c > /seen\n' });
  await cli(['build', '-t', 'cache5', five]);
  assert.equal(await runIn('cache5', 'cat /seen'), '');
});

test('bind mount: context files read-only (rw writes discarded), a stage, content in the cache key', {
  skip,
}, async () => {
  const dir = ctxDir({
    Dockerfile: `FROM busybox AS tools
RUN mkdir /tools && echo tool-v1 > /tools/v
FROM busybox
RUN --mount=type=bind,from=tools,source=/tools,target=/t cat /t/v > /tool
RUN --mount=type=bind,source=sub,target=/s cat /s/other > /other
RUN --mount=type=bind,source=data.txt,target=/mnt/d cat /mnt/d > /copied && ! touch /mnt/d 2>/dev/null
RUN --mount=type=bind,target=/ctx,rw touch /ctx/new && ls /ctx > /list
`,
    'data.txt': 'ctx-data\n',
    'sub/other': 'o\n',
  });
  await cli(['build', '-t', 'bind1', dir]);
  assert.equal(
    await runIn('bind1', 'cat /copied /tool /other; cat /list; find /mnt/d /ctx /t /s -mindepth 1 2>/dev/null | wc -l'),
    'ctx-data\ntool-v1\no\nDockerfile\ndata.txt\nnew\nsub\n0\n',
  );
  const { layerNames } = await saved('bind1');
  for (const names of layerNames.slice(1))
    assert.ok(!names.some((n) => /^ctx\/|^mnt\/d|^t\/v|^s\/other/.test(n)), names.join(' '));
  const again = await cli(['build', '-t', 'bind1', dir]);
  assert.equal((again.stdout.match(/Using cache/g) ?? []).length, 5, again.stdout);
  writeFileSync(join(dir, 'data.txt'), 'changed\n');
  const third = await cli(['build', '-t', 'bind1', dir]);
  // Steps binding other files stay cached; the ones binding data.txt (alone or in the whole context) run again.
  assert.equal((third.stdout.match(/Using cache/g) ?? []).length, 3, third.stdout);
  assert.equal(await runIn('bind1', 'cat /copied'), 'changed\n');
  const bad = ctxDir({ Dockerfile: 'FROM busybox\nRUN --mount=type=bind,source=nope,target=/n true\n' });
  const r = await cli(['build', bad], 1);
  assert.match(r.stderr, /Dockerfile:2: bind mount source "nope": file not found/);
});

const SECRET = 'S3cr3t-VALUE-7f9a2c';

test('secret mount: visible to the RUN only, absent from layers, history, config and output', { skip }, async () => {
  const dir = ctxDir({
    Dockerfile: `FROM busybox
RUN --mount=type=secret,id=tok cat /run/secrets/tok > /dev/null && test -s /run/secrets/tok && stat -c %a:%u /run/secrets/tok > /perm
RUN --mount=type=secret,id=tok,target=/etc/tok,mode=0440,uid=100 test "$(md5sum < /etc/tok | cut -d' ' -f1)" = ${createHash('md5').update(SECRET).digest('hex')} && stat -c %a:%u /etc/tok >> /perm
RUN --mount=type=tmpfs,target=/scratch,size=1m echo tmp > /scratch/x && df /scratch | grep -q tmpfs && echo ok >> /perm
`,
  });
  const src = join(mkdtempSync(join(tmpdir(), 'berth-sec-')), 'tok');
  writeFileSync(src, SECRET);
  const r = await cli(['build', '--secret', `id=tok,src=${src}`, '-t', 'sec1', dir]);
  assert.ok(!(r.stdout + r.stderr).includes(SECRET));
  assert.equal(
    await runIn('sec1', 'cat /perm; find /run/secrets /etc/tok /scratch -mindepth 1 2>/dev/null | wc -l'),
    '400:0\n440:100\nok\n0\n',
  );
  const { raw, layerNames } = await saved('sec1');
  assert.ok(!raw.includes(SECRET), 'the secret is in the saved image');
  for (const names of layerNames.slice(1))
    assert.ok(!names.some((n) => /^run\/secrets\/tok|^etc\/tok|^scratch\/x/.test(n)), names.join(' '));
  const hist = await cli(['history', '--no-trunc', 'sec1']);
  assert.ok(!hist.stdout.includes(SECRET));
  const insp = await cli(['image', 'inspect', 'sec1']);
  assert.ok(!insp.stdout.includes(SECRET));
  assert.ok(!d.logs().includes(SECRET), "the secret is in berthd's log");
  // From the environment; a rebuild with the same secret is cached.
  const again = await cli(['build', '--secret', 'id=tok,env=BERTH_TEST_TOK', '-t', 'sec1', dir], 0, 'berth', {
    BERTH_TEST_TOK: SECRET,
  });
  assert.equal((again.stdout.match(/Using cache/g) ?? []).length, 3, again.stdout);
  assert.deepEqual(mountsUnder(d.dataRoot), []);
});

test('secret mount: required and missing is a clear error; optional and missing is absent (docker CLI too)', {
  skip,
}, async () => {
  const req = ctxDir({ Dockerfile: 'FROM busybox\nRUN --mount=type=secret,id=tok,required true\n' });
  const r = await cli(['build', req], 1);
  assert.match(r.stderr, /Dockerfile:2: secret tok is required but was not provided/);
  const opt = ctxDir({
    Dockerfile: 'FROM busybox\nRUN --mount=type=secret,id=tok test ! -e /run/secrets/tok && echo absent > /a\n',
  });
  for (const bin of ['berth', 'docker'] as const) {
    if (bin === 'docker' && !hasDockerCli()) continue;
    await cli(['build', '--no-cache', '-t', `opt-${bin}`, opt], 0, bin);
    assert.equal(await runIn(`opt-${bin}`, 'cat /a'), 'absent\n');
  }
  const res = await d.api('POST', '/build', {
    raw: Buffer.from('FROM busybox\n'),
    headers: { 'X-Berth-Build-Secrets': '!!notbase64' },
  });
  assert.equal(res.status, 400);
  assert.ok(!res.body.toString().includes('notbase64'));
});

test('COPY/ADD heredocs: content, expansion unless quoted, <<- tabs, mode; RUN heredocs', { skip }, async () => {
  const dir = ctxDir({
    Dockerfile: [
      'FROM busybox',
      'ARG NAME=world',
      'COPY <<EOF /greet',
      'hello $NAME "q" ${NAME:-x}',
      'EOF',
      'COPY --chmod=755 <<-"EOT" <<two /opt/dir/',
      '\traw $NAME',
      '\tEOT',
      'second',
      'two',
      'ADD <<EOF /added',
      'added',
      'EOF',
      'RUN <<EOF',
      'X=1',
      'echo "x=$X name=$NAME" > /x',
      'EOF',
      'RUN cat <<EOF > /y',
      'y=$NAME',
      'EOF',
      'RUN <<EOF',
      '#!/bin/sh -e',
      'echo "from $0" > /z',
      'EOF',
      '',
    ].join('\n'),
  });
  await cli(['build', '-t', 'here1', dir]);
  const out = await runIn(
    'here1',
    'cat /greet /opt/dir/EOT /opt/dir/two /added /x /y /z; ls -A /dev/pipes 2>&1; stat -c %a /greet /opt/dir/EOT /opt/dir/two',
  );
  assert.equal(
    out,
    'hello world "q" world\nraw $NAME\nsecond\nadded\nx=1 name=world\ny=world\nfrom /dev/pipes/EOF\nls: /dev/pipes: No such file or directory\n644\n755\n755\n',
  );
  const again = await cli(['build', '-t', 'here1', dir]);
  assert.equal((again.stdout.match(/Using cache/g) ?? []).length, 7, again.stdout);
  const changed = await cli(['build', '--build-arg', 'NAME=you', '-t', 'here2', dir]);
  assert.ok((changed.stdout.match(/Using cache/g) ?? []).length < 7);
  assert.equal(await runIn('here2', 'cat /greet'), 'hello you "q" you\n');
});

test('sharing=locked: concurrent builds take the cache directory one at a time', { skip }, async () => {
  const mk = (n: number) =>
    ctxDir({
      Dockerfile: `FROM busybox\nRUN --mount=type=cache,target=/c,id=lk,sharing=locked test ! -e /c/busy && touch /c/busy && sleep 1 && rm /c/busy && echo ${n} > /n\n`,
    });
  await Promise.all([cli(['build', '-t', 'lk1', mk(1)]), cli(['build', '-t', 'lk2', mk(2)])]);
  assert.equal(await runIn('lk2', 'cat /n'), '2\n');
});

test('berthd SIGKILLed during a RUN with secret and tmpfs mounts: nothing stays mounted or behind, the next build works', {
  skip,
}, async () => {
  const { readdirSync } = await import('node:fs');
  const dir = ctxDir({
    Dockerfile:
      'FROM busybox\nRUN --mount=type=secret,id=k --mount=type=tmpfs,target=/t --mount=type=bind,target=/ctx --mount=type=cache,target=/c sleep 60\n',
  });
  const src = join(mkdtempSync(join(tmpdir(), 'berth-sec-')), 'k');
  writeFileSync(src, SECRET);
  const building = runCli('berth', d, ['build', '--secret', `id=k,src=${src}`, dir], undefined, 120_000);
  for (let i = 0; ; i++) {
    const ps = JSON.parse((await d.api('GET', '/containers/json')).body.toString()) as { Command: string }[];
    if (ps.some((c) => c.Command.includes('sleep 60'))) break;
    assert.ok(i < 300, 'the RUN never started');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(
    mountsUnder(join(d.dataRoot, 'build')).length >= 2,
    'the secret and tmpfs mounts are there while the RUN runs',
  );
  await d.stop('SIGKILL');
  assert.notEqual((await building).code, 0);
  await d.start();
  assert.deepEqual(mountsUnder(d.dataRoot), []);
  assert.ok(!readdirSync(join(d.dataRoot, 'build')).includes('tmp'));
  assert.ok(readdirSync(join(d.dataRoot, 'build', 'cache-mounts')).every((n) => !n.startsWith('.tmp-')));
  const all = JSON.parse((await d.api('GET', '/containers/json?all=1')).body.toString());
  assert.equal(all.length, 0, 'no build container is left');
  writeFileSync(
    join(dir, 'Dockerfile'),
    'FROM busybox\nRUN --mount=type=secret,id=k --mount=type=tmpfs,target=/t test -s /run/secrets/k\n',
  );
  await cli(['build', '--secret', `id=k,src=${src}`, dir]);
  assert.deepEqual(mountsUnder(d.dataRoot), []);
});
