// berth build's incremental context transfer (POST /build/context, then POST /build with
// only the files berthd lacks) against a real berthd: what is asked for, what the build
// sees, and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { isRoot, runCli, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { tarToBuffer } from '../src/tar/writer.ts';

const skip = isRoot ? false : 'needs root';
let d: TestDaemon;
useDaemon((x) => (d = x));

const key = (s: string) => createHash('sha256').update(s).digest('hex');
const file = (name: string, body: string, mtime = 1_700_000_000_000) => ({
  name,
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size: Buffer.byteLength(body),
  mtime,
  linkname: '',
  body,
});
type F = ReturnType<typeof file>;
const manifest = (
  files: (
    | F
    | {
        name: string;
        type: string;
        mode: number;
        uid: number;
        gid: number;
        size: number;
        mtime: number;
        linkname: string;
      }
  )[],
) => ({
  entries: files.map(({ name, type, mode, uid, gid, size, mtime, linkname }) => ({
    name,
    type,
    mode,
    uid,
    gid,
    size,
    mtime,
    linkname,
  })),
});

async function offer(k: string, files: Parameters<typeof manifest>[0]) {
  const r = await d.api('POST', `/build/context?key=${k}`, { body: manifest(files) });
  assert.equal(r.status, 200, r.body.toString());
  return r.json() as { session: string; need: string[] };
}

async function build(session: string, files: F[], tag: string, extra = '') {
  const tar = await tarToBuffer(
    files.map((f) => ({
      entry: { name: f.name, type: 'file' as const, mode: f.mode, size: f.size },
      body: Buffer.from(f.body),
    })),
  );
  const r = await d.api('POST', `/build?t=${tag}&berthcontext=${session}${extra}`, {
    raw: tar,
    headers: { 'Content-Type': 'application/x-tar' },
  });
  const lines = r.body
    .toString()
    .split('\r\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { stream?: string; error?: string; message?: string });
  return {
    status: r.status,
    text: lines.map((l) => l.stream ?? '').join(''),
    error: lines.map((l) => l.error ?? l.message).find(Boolean),
  };
}

const DF = 'FROM busybox\nCOPY . /ctx/\nCMD ["cat", "/ctx/a"]\n';

test('only new or changed files are asked for; the build sees the whole context', { skip }, async () => {
  const k = key('sync-1');
  const dockerfile = file('Dockerfile', DF);
  let a = file('a', 'one\n');
  const b = file('sub/b', 'bee\n');
  const sub = { name: 'sub', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0, linkname: '' };
  let o = await offer(k, [dockerfile, a, sub, b]);
  assert.deepEqual(o.need.sort(), ['Dockerfile', 'a', 'sub/b']);
  let r = await build(o.session, [dockerfile, a, b], 'sync:1');
  assert.equal(r.error, undefined, r.text);

  // Same manifest: nothing to send, and every step is cached.
  o = await offer(k, [dockerfile, a, sub, b]);
  assert.deepEqual(o.need, []);
  r = await build(o.session, [], 'sync:1');
  assert.equal(r.error, undefined, r.text);
  assert.equal((r.text.match(/Using cache/g) ?? []).length, 2, r.text);

  // A changed mtime asks for the file again; content alone decides the cache.
  a = file('a', 'two\n', 1_700_000_000_500);
  o = await offer(k, [dockerfile, a, sub, b]);
  assert.deepEqual(o.need, ['a']);
  r = await build(o.session, [a], 'sync:2');
  assert.equal(r.error, undefined, r.text);
  assert.match(r.text, /Step 2\/3 : COPY \. \/ctx\/\n ---> [0-9a-f]{12}/);
  const run = await runCli('berth', d, ['run', '--rm', 'sync:2', 'sh', '-c', 'cat /ctx/a /ctx/sub/b']);
  assert.equal(run.stdout, 'two\nbee\n');

  // A file gone from the manifest is gone from the context.
  o = await offer(k, [dockerfile, a]);
  r = await build(o.session, [], 'sync:3');
  assert.equal(r.error, undefined, r.text);
  const ls = await runCli('berth', d, ['run', '--rm', 'sync:3', 'ls', '/ctx']);
  assert.equal(ls.stdout, 'Dockerfile\na\n');
});

test('bad manifests, keys, sessions and tars are refused', { skip }, async () => {
  const k = key('sync-bad');
  for (const [q, body] of [
    ['key=nothex', manifest([file('a', 'x')])],
    [`key=${k}`, { entries: 'no' }],
    [`key=${k}`, manifest([file('../escape', 'x')])],
    [`key=${k}`, manifest([file('a/../b', 'x')])],
    [`key=${k}`, manifest([file('a', 'x'), file('a', 'y')])],
    [`key=${k}`, { entries: [{ ...manifest([file('a', 'x')]).entries[0], type: 'fifo' }] }],
    [`key=${k}`, { entries: [{ ...manifest([file('a', 'x')]).entries[0], size: -1 }] }],
  ] as const) {
    const r = await d.api('POST', `/build/context?${q}`, { body });
    assert.equal(r.status, 400, `${q} ${JSON.stringify(body)}: ${r.body}`);
  }
  assert.equal((await build('0'.repeat(32), [], 'bad:1')).status, 400);
  // A file the session did not ask for, or one it asked for and did not get.
  const dockerfile = file('Dockerfile', DF);
  let o = await offer(k, [dockerfile]);
  let r = await build(o.session, [dockerfile, file('extra', 'x')], 'bad:2');
  assert.match(`${r.status} ${r.error ?? r.text}`, /400 .*"extra" was not asked for/);
  o = await offer(k, [dockerfile, file('a', 'x')]);
  r = await build(o.session, [dockerfile], 'bad:3');
  assert.match(`${r.status} ${r.error ?? r.text}`, /409 .*changed while it was sent/);
  // Two builds of one directory at once: the later-finishing one finds the file it relied
  // on gone with the other's context, and says so.
  const a = file('a', 'x');
  const s0 = await offer(k, [dockerfile, a]);
  assert.equal(
    (
      await build(
        s0.session,
        [dockerfile, a].filter((f) => s0.need.includes(f.name)),
        'race:0',
      )
    ).error,
    undefined,
  );
  const s1 = await offer(k, [dockerfile, a]);
  assert.deepEqual(s1.need, []);
  const s2 = await offer(k, [dockerfile]);
  assert.equal((await build(s2.session, [], 'race:2')).error, undefined);
  r = await build(s1.session, [], 'race:1');
  assert.match(`${r.status} ${r.error ?? r.text}`, /409 .*changed while it was sent \(a\)/);
  // A session is good for one build.
  o = await offer(k, [dockerfile]);
  assert.equal(
    (
      await build(
        o.session,
        [dockerfile].filter((f) => o.need.includes(f.name)),
        'bad:4',
      )
    ).error,
    undefined,
  );
  assert.equal((await build(o.session, [], 'bad:5')).status, 400);
});

test('a damaged kept file fails the step that reads it, with a clear error', { skip }, async () => {
  const k = key('sync-damaged');
  const dockerfile = file('Dockerfile', DF);
  const a = file('a', 'good\n');
  let o = await offer(k, [dockerfile, a]);
  assert.equal((await build(o.session, [dockerfile, a], 'dmg:1')).error, undefined);
  const blobs = join(d.dataRoot, 'build', 'contexts', 'blobs');
  const hash = createHash('sha256').update('good\n').digest('hex');
  writeFileSync(join(blobs, hash), 'evil\n');
  o = await offer(k, [dockerfile, a]);
  const r = await build(o.session, [], 'dmg:2', '&nocache=1');
  assert.match(r.error ?? '', /damaged/, r.text);
});

test('berth build sends a directory incrementally and follows edits and deletions', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sync-'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY . /ctx/\n');
  writeFileSync(join(dir, 'keep'), 'k\n');
  writeFileSync(join(dir, 'gone'), 'g\n');
  const b = async () => {
    const r = await runCli('berth', d, ['build', '-q', '-t', 'syncdir', dir]);
    assert.equal(r.code, 0, r.stderr);
    return (await runCli('berth', d, ['run', '--rm', 'syncdir', 'sh', '-c', 'ls /ctx; cat /ctx/keep'])).stdout;
  };
  assert.equal(await b(), 'Dockerfile\ngone\nkeep\nk\n');
  rmSync(join(dir, 'gone'));
  writeFileSync(join(dir, 'keep'), 'K\n');
  // Same size, mtime forced back: content still decides once the file is sent.
  utimesSync(join(dir, 'keep'), new Date(), new Date(Date.now() + 5000));
  assert.equal(await b(), 'Dockerfile\nkeep\nK\n');
  const kept = readdirSync(join(d.dataRoot, 'build', 'contexts')).filter((n) => n !== 'blobs');
  assert.equal(kept.length >= 1, true);
  // builder prune -a forgets kept contexts too; the next build sends everything again.
  const pruned = await d.api('POST', '/build/prune?all=1');
  assert.equal(pruned.status, 200, pruned.body.toString());
  assert.ok(!existsSync(join(d.dataRoot, 'build', 'contexts')));
  assert.equal(await b(), 'Dockerfile\nkeep\nK\n');
  rmSync(dir, { recursive: true, force: true });
});

test('a huge context file streams through both transfers without growing berthd', {
  skip,
  timeout: 300_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-huge-'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY big /big\nRUN stat -c %s /big > /size\n');
  writeFileSync(join(dir, 'big'), '');
  truncateSync(join(dir, 'big'), 384 << 20); // sparse: cheap to make, full size to send
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d.proc.pid}/status`, 'utf8'))![1]) * 1024;
  const before = rss();
  for (const cli of ['berth', 'docker'] as const) {
    const r = await runCli(cli, d, ['build', '-q', '-t', `huge-${cli}`, dir], undefined, 240_000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await runCli('berth', d, ['run', '--rm', `huge-${cli}`, 'cat', '/size'])).stdout, `${384 << 20}\n`);
    await d.api('DELETE', `/images/huge-${cli}`);
  }
  assert.ok(rss() - before < 200 << 20, `berthd grew by ${(rss() - before) >> 20} MiB`);
  rmSync(dir, { recursive: true, force: true });
});
