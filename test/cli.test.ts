// The user scenario, end to end, through our `berth` CLI and the real `docker` CLI
// (the docker client only; berthd is the engine) against a real berthd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startDaemon, isRoot, hasDockerCli, runCli, busyboxRootfs, type TestDaemon } from './helpers/daemon.ts';
import { waitFor } from './helpers/containers.ts';

const skip = isRoot ? false : 'needs root (real mounts, runc, shims)';
let d: TestDaemon;

before(
  async () => {
    if (skip) return;
    d = await startDaemon();
    await writeFile(join(d.root, 'busybox-rootfs.tar'), await busyboxRootfs());
  },
  { timeout: 60_000 },
);
after(async () => {
  if (d) await d.cleanup();
});

for (const cli of ['berth', 'docker'] as const) {
  const skipCli = skip || (cli === 'docker' && !hasDockerCli() ? 'the docker CLI is not installed' : false);
  const run = (...args: string[]) => runCli(cli, d, args);
  const img = `bb-${cli}`;
  const name = `web-${cli}`;

  test(`${cli}: import, run, exit codes, detached lifecycle`, { skip: skipCli }, async () => {
    const imp = await run('import', join(d.root, 'busybox-rootfs.tar'), img);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const hello = await run('run', '--rm', img, 'echo', 'hello');
    assert.equal(hello.stdout, 'hello\n');
    assert.equal(hello.code, 0);
    assert.equal((await run('run', '--rm', img, 'sh', '-c', 'exit 3')).code, 3);
    const det = await run('run', '-d', '--name', name, img, 'sh', '-c', 'echo started; exec sleep 300');
    assert.equal(det.code, 0, det.stderr);
    assert.match(det.stdout, /^[0-9a-f]{64}\n$/);
    await waitFor(async () => (await run('logs', name)).stdout !== '', 60_000).catch(() => {});
    assert.equal((await run('logs', name)).stdout, 'started\n');
    const ps = await run('ps');
    assert.match(ps.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
    assert.match(ps.stdout, new RegExp(`${img}\\s+"sh -c 'echo started…"\\s+.*Up .*${name}`));
    const pid = (await run('inspect', '-f', '{{.State.Pid}}', name)).stdout.trim();
    assert.match(pid, /^[1-9]\d*$/);
    for (const cmd of [
      ['stop', '-t', '1', name],
      ['start', name],
      ['restart', '-t', '1', name],
      ['kill', '-s', 'USR1', name],
    ]) {
      const r = await run(...cmd);
      assert.equal(r.code, 0, `${cmd.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, `${name}\n`);
    }
    const rmRunning = await run('rm', name);
    assert.equal(rmRunning.code, 1);
    assert.match(rmRunning.stderr, /Error response from daemon: cannot remove container/);
    assert.equal((await run('rm', '-f', name)).stdout, `${name}\n`);
    assert.equal((await run('ps', '-a', '-q', '--filter', `name=${name}`)).stdout, '');
  });

  test(`${cli}: stdin, missing images and commands, inspect templates, images`, { skip: skipCli }, async () => {
    const cat = await runCli(cli, d, ['run', '-i', '--rm', img, 'cat'], 'piped\n');
    assert.equal(cat.stdout, 'piped\n');
    const missing = await run('run', '--rm', 'no-such-image-here');
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /Unable to find image 'no-such-image-here:latest' locally/);
    const notFound = await run('run', '--rm', img, '/no/such/cmd');
    assert.equal(notFound.code, 127);
    const tpl = await run(
      'inspect',
      '-f',
      '{{json .Config.Cmd}} {{.Config.Image}} {{index .Config.Labels "k"}}',
      await created(cli, img),
    );
    assert.equal(tpl.stdout, `["sleep","1"] ${img} v\n`);
    const images = await run('images');
    assert.match(images.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
    assert.match(images.stdout, new RegExp(`${img}\\s+latest\\s+[0-9a-f]{12}\\s+.*ago\\s+\\d`));
    const noObj = await run('inspect', 'nothing-by-that-name');
    assert.equal(noObj.code, 1);
    assert.match(noObj.stderr, /No such object: nothing-by-that-name/i);
  });

  async function created(c: typeof cli, image: string): Promise<string> {
    const r = await runCli(c, d, ['create', '--label', 'k=v', image, 'sleep', '1']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  }
}
