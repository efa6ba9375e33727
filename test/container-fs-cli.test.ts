// diff, commit, export and cp through the berth CLI and the real docker CLI against berthd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, readlinkSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { berthMain, hasDockerCli, isRoot, runCli, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { listTar } from './helpers/fs.ts';
import { tarToBuffer } from '../src/tar/writer.ts';

let d: TestDaemon;

/** A CLI's stdout as bytes (runCli decodes text). */
function rawStdout(cli: 'berth' | 'docker', args: string[]): Buffer {
  const [cmd, argv] = cli === 'docker' ? ['docker', args] : [process.execPath, [berthMain, ...args]];
  return execFileSync(cmd, argv, {
    env: { ...process.env, DOCKER_HOST: d.host, BERTH_HOST: d.host, DOCKER_CONFIG: join(d.root, 'docker-config') },
    maxBuffer: 64 << 20,
  });
}
useDaemon((x) => (d = x));

for (const cli of ['berth', 'docker'] as const) {
  const skip = !isRoot ? 'needs root' : cli === 'docker' && !hasDockerCli() ? 'docker CLI not installed' : false;
  const name = `fs-${cli}`;
  const run = async (args: string[], input?: string | Buffer) => {
    const r = await runCli(cli, d, args, input);
    assert.equal(r.code, 0, `${cli} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  test(`${cli}: diff, commit -m -a -c, run the committed image`, { skip }, async () => {
    await run([
      'run',
      '--name',
      name,
      'busybox',
      'sh',
      '-c',
      'mkdir /new; echo hi > /new/f; rm /bin/ls; echo y >> /etc/passwd',
    ]);
    assert.equal(await run(['diff', name]), 'C /bin\nD /bin/ls\nC /etc\nC /etc/passwd\nA /new\nA /new/f\n');
    const id = (
      await run(['commit', '-m', 'msg', '-a', 'me', '-c', 'CMD ["cat", "/new/f"]', name, `${name}:v2`])
    ).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await run(['run', '--rm', `${name}:v2`]), 'hi\n');
    const insp = JSON.parse(await run(['image', 'inspect', `${name}:v2`]))[0];
    assert.equal(insp.Comment, 'msg');
    assert.equal(insp.Author, 'me');
    await run(['commit', '-p=false', name, `${name}:v3`]);
    await run(['container', 'commit', name]);
  });

  test(`${cli}: export -o and to stdout`, { skip }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-export-'));
    try {
      await run(['export', '-o', join(dir, 'out.tar'), name]);
      const names = (await listTar(readFileSync(join(dir, 'out.tar')))).map((e) => e.name);
      assert.ok(names.includes('new/f') && names.includes('bin/busybox') && !names.includes('bin/ls'));
      const r = await runCli(cli, d, ['export', name]);
      assert.equal(r.code, 0);
      assert.ok(r.stdout.length > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${cli}: cp both directions, directories, renames, - for tar, -L`, { skip }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-cp-'));
    const ctr = `${name}-cp`;
    try {
      await run([
        'run',
        '-d',
        '--name',
        ctr,
        'busybox',
        'sh',
        '-c',
        'mkdir -p /data/sub; echo one > /data/sub/a; ln -s /data/sub/a /data/lnk; exec sleep 1000',
      ]);
      // container → host: a file into a directory, a file to a new name, a directory.
      await run(['cp', `${ctr}:/etc/hostname`, dir]);
      assert.equal(
        readFileSync(join(dir, 'hostname'), 'utf8'),
        `${(await run(['inspect', '-f', '{{.Config.Hostname}}', ctr])).trim()}\n`,
      );
      await run(['cp', `${ctr}:/data/sub/a`, join(dir, 'renamed')]);
      assert.equal(readFileSync(join(dir, 'renamed'), 'utf8'), 'one\n');
      await run(['cp', `${ctr}:/data`, join(dir, 'data')]);
      assert.equal(readFileSync(join(dir, 'data', 'sub', 'a'), 'utf8'), 'one\n');
      assert.equal(readlinkSync(join(dir, 'data', 'lnk')), '/data/sub/a');
      await run(['cp', '-L', `${ctr}:/data/lnk`, join(dir, 'followed')]);
      assert.equal(readFileSync(join(dir, 'followed'), 'utf8'), 'one\n');
      // host → container: a file into a directory, to a new name, a directory.
      writeFileSync(join(dir, 'up.txt'), 'up');
      mkdirSync(join(dir, 'updir'));
      writeFileSync(join(dir, 'updir', 'x'), 'x');
      await run(['cp', join(dir, 'up.txt'), `${ctr}:/tmp/`]);
      await run(['cp', join(dir, 'up.txt'), `${ctr}:/tmp/other.txt`]);
      await run(['cp', join(dir, 'updir'), `${ctr}:/tmp`]);
      await run(['cp', `${ctr}:/tmp/updir`, join(dir, 'updir-back')]);
      assert.equal(readFileSync(join(dir, 'updir-back', 'x'), 'utf8'), 'x');
      await run(['cp', `${ctr}:/tmp/up.txt`, join(dir, 'up-back.txt')]);
      assert.equal(readFileSync(join(dir, 'up-back.txt'), 'utf8'), 'up');
      // - : a tar on stdout and on stdin.
      const tar = await listTar(rawStdout(cli, ['cp', `${ctr}:/data/sub`, '-']));
      assert.deepEqual(
        tar.map((e) => e.name),
        ['sub/', 'sub/a'],
      );
      const upload = await tarToBuffer([{ entry: { name: 'fromstdin', type: 'file' }, body: 'stdin\n' }]);
      await run(['cp', '-', `${ctr}:/tmp`], upload);
      await run(['cp', `${ctr}:/tmp/fromstdin`, join(dir, 'fromstdin')]);
      assert.equal(readFileSync(join(dir, 'fromstdin'), 'utf8'), 'stdin\n');
      await run(['cp', `${ctr}:/tmp/other.txt`, join(dir, 'back.txt')]);
      assert.equal(readFileSync(join(dir, 'back.txt'), 'utf8'), 'up');
      assert.ok(statSync(join(dir, 'back.txt')).isFile());
      const missing = await runCli(cli, d, ['cp', `${ctr}:/nope`, dir]);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /Could not find the file \/nope in container/);
    } finally {
      await runCli(cli, d, ['rm', '-f', ctr]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
